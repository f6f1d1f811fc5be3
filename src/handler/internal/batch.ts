/**
 * The engine behind `Batch`: run one Effect per record of a batch event and build Lambda's partial batch
 * response from the records that did not succeed.
 *
 * @internal
 */
import type * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { logInvokeError } from "../../internal/logInvokeError.js"
import { InvocationContext } from "../../services/InvocationContext.js"
import * as RuntimeConfig from "../../services/RuntimeConfig.js"
import * as ErrorReport from "../../streaming/ErrorReport.js"
import { EventError } from "../Handler.js"

/** @internal */
export interface BatchResponse {
  readonly batchItemFailures: Array<{ readonly itemIdentifier: string }>
}

/** How one event source names, orders and reports its records. @internal */
export interface Source {
  /** `SQS message`, `Kinesis record`, … */
  readonly noun: string
  /** The field that identifies a record, as it is named in the event (`messageId`, …). */
  readonly idName: string
  readonly identify: (record: unknown) => string | undefined
  /**
   * `unordered`: records run concurrently and each failure is reported alone. `fifo`: in order, stop at the
   * first failure and report it with every record after it. `stream`: in order, stop at the first failure and
   * report only it (the checkpoint).
   */
  readonly mode: (records: ReadonlyArray<unknown>) => "unordered" | "fifo" | "stream"
}

/** @internal */
export interface Options {
  readonly concurrency: number | "unbounded"
  readonly deadlineReserve: Duration.Duration
}

const isObject = (u: unknown): u is { readonly [key: string]: unknown } =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.length === 0 ? "(root)" : path.map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`)).join("")

const schemaError = (error: ParseResult.ParseError): EventError => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const detail = issues.map((issue) => `at ${formatPath(issue.path)}: ${issue.message}`).join("; ")
  return new EventError({ reason: "Schema", detail: `The record does not match the handler's schema: ${detail}` })
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`

const reportOf = (cause: Cause.Cause<unknown>): ErrorReport.ErrorReport =>
  ErrorReport.fromCause(cause, (error) =>
    error instanceof EventError ? ErrorReport.make(error.errorType, error.message) : undefined
  )

/** @internal */
export const run = <Rec, E, R>(
  source: Source,
  recordSchema: Schema.Schema<Rec, unknown>,
  f: (record: Rec) => Effect.Effect<unknown, E, R>,
  options: Options
) => {
  const decode = Schema.decodeUnknown(recordSchema)
  return (event: unknown): Effect.Effect<BatchResponse, EventError, R | InvocationContext> =>
    Effect.gen(function* () {
      const records = isObject(event) ? event.Records : undefined
      if (!Array.isArray(records)) {
        return yield* new EventError({
          reason: "Schema",
          detail: `The event is not a batch of ${source.noun}s: at .Records: Expected an array, actual ${
            isObject(event) ? (records === undefined ? "nothing" : JSON.stringify(records)) : JSON.stringify(event)
          }`
        })
      }
      const ids: Array<string> = []
      for (let i = 0; i < records.length; i++) {
        const id = source.identify(records[i])
        if (id === undefined) {
          return yield* new EventError({
            reason: "Schema",
            detail: `The event does not match the handler's schema: at .Records[${i}]: the ${source.noun} has no ${source.idName}`
          })
        }
        ids.push(id)
      }
      const mode = source.mode(records)
      const succeeded = new Array<boolean>(records.length).fill(false)
      const failed: Array<number> = []
      const label = (i: number) => `${source.noun} Records[${i}] (${source.idName} ${ids[i]})`

      const one = (i: number): Effect.Effect<boolean, never, R> =>
        Effect.flatMap(
          Effect.exit(
            Effect.flatMap(Effect.mapError(decode(records[i], { errors: "all" }), schemaError), (record) => f(record))
          ),
          (exit) => {
            if (Exit.isSuccess(exit)) {
              succeeded[i] = true
              return Effect.succeed(true)
            }
            failed.push(i)
            return Effect.as(logInvokeError(reportOf(exit.cause), exit.cause, `${label(i)} failed`), false)
          }
        )

      const all: Effect.Effect<void, never, R> =
        mode === "unordered"
          ? Effect.forEach(records, (_, i) => one(i), { concurrency: options.concurrency, discard: true })
          : Effect.suspend(function loop(i = 0): Effect.Effect<void, never, R> {
              if (i >= records.length) return Effect.void
              return Effect.flatMap(one(i), (ok) => (ok ? loop(i + 1) : Effect.void))
            })

      const context = yield* InvocationContext
      const config = yield* Effect.serviceOption(RuntimeConfig.RuntimeConfig)
      const margin = Option.match(config, {
        onNone: () => RuntimeConfig.defaults.deadlineMarginMs,
        onSome: (settings) => settings.deadlineMarginMs
      })
      const now = yield* Clock.currentTimeMillis
      const budget = context.deadlineMs - margin - Duration.toMillis(options.deadlineReserve) - now
      const finished = yield* Effect.timeoutOption(all, Duration.millis(Math.max(0, budget)))

      let report: Array<number>
      if (Option.isNone(finished)) {
        report = ids.map((_, i) => i).filter((i) => !succeeded[i])
        yield* Effect.logWarning(
          `Deadline: stopped the batch with ${report.length} of ${plural(records.length, source.noun)} unfinished; reported as failed`
        )
      } else if (mode === "unordered") {
        report = failed.sort((a, b) => a - b)
      } else {
        const first = failed[0]
        if (first === undefined) report = []
        else if (mode === "stream") report = [first]
        else {
          report = ids.map((_, i) => i).slice(first)
          if (report.length > 1) {
            yield* Effect.logWarning(
              `${label(first)} failed: ${plural(report.length - 1, `later ${source.noun}`)} not processed, reported for retry in order`
            )
          }
        }
      }
      return { batchItemFailures: report.map((i) => ({ itemIdentifier: ids[i]! })) }
    })
}
