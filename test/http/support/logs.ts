/**
 * Capture log records (instead of printing them): level, message, cause, and the request id the runtime's
 * logger stamps (the `InvocationContext` in the logging fiber's context).
 */
import { Cause, Context, Effect, FiberRef, FiberRefs, Logger, Option } from "effect"
import { InvocationContext } from "../../../src/index.js"

export interface Record {
  readonly level: string
  readonly message: string
  readonly cause: Cause.Cause<unknown>
  readonly requestId: string | undefined
}

export const capture = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<[A, ReadonlyArray<Record>], E, R> =>
  Effect.suspend(() => {
    const records: Array<Record> = []
    const logger = Logger.make(({ logLevel, message, cause, context }) => {
      records.push({
        level: logLevel.label,
        message: (Array.isArray(message) ? message : [message]).map(String).join(" "),
        cause,
        requestId: Context.getOption(
          FiberRefs.getOrDefault(context, FiberRef.currentContext),
          InvocationContext.InvocationContext
        ).pipe(
          Option.map((invocation) => invocation.requestId),
          Option.getOrUndefined
        )
      })
    })
    return effect.pipe(
      Effect.map((a): [A, ReadonlyArray<Record>] => [a, records]),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger))
    )
  })

export const pretty = (records: ReadonlyArray<Record>): string =>
  records.map((r) => `${r.level} ${r.message}${Cause.isEmpty(r.cause) ? "" : ` (${Cause.pretty(r.cause)})`}`).join("\n")
