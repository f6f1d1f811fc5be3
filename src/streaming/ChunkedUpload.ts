/**
 * Pull a handler's `Stream<Uint8Array>` into a streamed Runtime API reply, with backpressure, and end it the
 * way Lambda understands:
 *
 * - the POST is opened only when the first non-empty chunk is ready, and that chunk goes out with the head;
 * - a failure before the first byte opens nothing: the outcome is `NotStarted` and the caller posts `/error`;
 * - a stream that ends without a chunk still sends one streamed reply, with an empty body;
 * - a failure, defect or interruption after the first byte ends the body with the error trailers
 *   (`Lambda-Runtime-Function-Error-Type`, `Lambda-Runtime-Function-Error-Body` = base64 of the JSON report),
 *   never with body bytes;
 * - a chunk is pulled only when the connection took the previous one (`write` → `false` waits for `drained`);
 *   empty chunks are skipped; the stream is never buffered whole;
 * - a connection that breaks mid-stream interrupts the stream (its finalizers run): outcome `Broken`;
 * - past `maxBytes` the stream is stopped and the reply ends with `Function.ResponseSizeTooLarge` trailers.
 *
 * The stream's finalizers always run before the reply is ended. Only pulling the stream and waiting for the
 * connection to drain can be interrupted (always, even when `run` is called from an uninterruptible region, so
 * that a deadline or a shutdown stops the stream); ending the reply is not: once the stream stopped (for whatever
 * reason, a deadline included), the reply is always finished properly, and the {@link Outcome} says how.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Channel from "effect/Channel"
import type * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as ErrorTypes from "../internal/ErrorTypes.js"
import * as Limits from "../internal/Limits.js"
import type * as RuntimeApi from "../services/RuntimeApi.js"
import * as ErrorReport from "./ErrorReport.js"

/**
 * Default limit of a streamed reply: 200 MB.
 *
 * @since 0.1.0
 * @category constants
 */
export const DefaultMaxBytes = Limits.DefaultMaxStreamedBytes

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Largest body, in bytes, before the stream is stopped with `Function.ResponseSizeTooLarge`. */
  readonly maxBytes: number
  /** Turn the stream's failure (or interruption) into the report sent in the trailers or to `/error`. */
  readonly report: (cause: Cause.Cause<unknown>) => ErrorReport.ErrorReport
}

/**
 * How a streamed reply ended.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome =
  /** Nothing was sent: the stream failed before its first byte. The caller reports `report` to `/error`. */
  | { readonly _tag: "NotStarted"; readonly report: ErrorReport.ErrorReport; readonly cause: Cause.Cause<unknown> }
  /** The whole stream was sent and the reply ended cleanly. */
  | { readonly _tag: "Completed"; readonly bytes: number }
  /** The reply ended with error trailers after `bytes` bytes. */
  | {
      readonly _tag: "Failed"
      readonly bytes: number
      readonly report: ErrorReport.ErrorReport
      readonly cause: Cause.Cause<unknown>
    }
  /** The connection broke, or the API refused the reply, after `bytes` bytes; the stream was stopped. */
  | { readonly _tag: "Broken"; readonly bytes: number; readonly error: RuntimeApi.RuntimeApiError }

/**
 * The trailers for a report: the error type made header-safe, and the standard base64 of the JSON report.
 *
 * @since 0.1.0
 * @category encoding
 */
export const errorTrailers = (report: ErrorReport.ErrorReport): RuntimeApi.ErrorTrailers => ({
  "Lambda-Runtime-Function-Error-Type": ErrorReport.headerSafeType(report.errorType),
  "Lambda-Runtime-Function-Error-Body": Buffer.from(ErrorReport.toJson(report), "utf8").toString("base64")
})

/**
 * `errorType` of a streamed reply stopped at the size limit.
 *
 * @since 0.1.0
 * @category constants
 */
export const ResponseSizeTooLargeType = ErrorTypes.ResponseSizeTooLarge

const sizeReport = (maxBytes: number) =>
  ErrorReport.make(
    ResponseSizeTooLargeType,
    `Response payload size exceeded maximum allowed payload size (${maxBytes} bytes).`
  )

/**
 * Send `stream` as a streamed reply opened with `open`. Never fails for the stream's sake: every ending is an
 * {@link Outcome}, and only `NotStarted` leaves the invocation unanswered. A Runtime API that refuses the reply
 * (any status, or a broken connection) gives `Broken` with its `RuntimeApiError`, for the caller to judge (a 500
 * is fatal). A finalizer of the stream that dies counts as a failure of the stream (its defect joins the cause).
 * `run` fails only when `open` fails (nothing was sent); it dies only on a defect of the transport after the
 * reply was opened, which it then aborts (the invocation counts as answered).
 *
 * @since 0.1.0
 * @category sinks
 */
export const run = <E, R>(
  stream: Stream.Stream<Uint8Array, E, R>,
  open: Effect.Effect<RuntimeApi.StreamWriter, RuntimeApi.RuntimeApiError>,
  options: Options
): Effect.Effect<Outcome, RuntimeApi.RuntimeApiError, R> =>
  Effect.uninterruptible(
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const close = (exit: Exit.Exit<unknown, unknown>) => Scope.close(scope, exit)
      // The channel's own pull, in this scope: each step is a chunk (`Right`) or the end (`Left`), a failure is the
      // stream's own cause (no `Option` around it, as `Stream.toPull` would add, in two more steps every pull).
      const pull: Effect.Effect<Exit.Exit<Either.Either<Chunk.Chunk<Uint8Array>, unknown>, E>, never, R> = Effect.exit(
        Effect.interruptible(yield* Channel.toPullIn(Stream.toChannel(stream), scope))
      )
      let writer: RuntimeApi.StreamWriter | undefined
      let bytes = 0
      let finished = false
      const start = Effect.tap(open, (opened) => {
        writer = opened
      })
      /** Close the stream's scope; a finalizer's defect is returned as a cause, never thrown. */
      const closeStream = (exit: Exit.Exit<unknown, unknown>) =>
        Effect.map(Effect.exit(close(exit)), (closed) => (Exit.isFailure(closed) ? closed.cause : undefined))
      /** End the open reply; a Runtime API that refuses or breaks gives `Broken` (the sink judges the status). */
      const end = (
        trailers: RuntimeApi.ErrorTrailers | undefined,
        outcome: Outcome
      ): Effect.Effect<Outcome, RuntimeApi.RuntimeApiError> =>
        Effect.matchEffect(writer!.end(trailers), {
          onFailure: (error) => {
            finished = true
            return Effect.succeed<Outcome>({ _tag: "Broken", bytes, error })
          },
          onSuccess: () => {
            finished = true
            return Effect.succeed(outcome)
          }
        })
      const fail = (cause: Cause.Cause<unknown>, fixed?: ErrorReport.ErrorReport) =>
        Effect.flatMap(closeStream(Exit.failCause(cause)), (finalizerDefect) => {
          const all = finalizerDefect === undefined ? cause : Cause.sequential(cause, finalizerDefect)
          const report = fixed ?? options.report(all)
          if (writer === undefined) return Effect.succeed<Outcome>({ _tag: "NotStarted", report, cause: all })
          return end(errorTrailers(report), { _tag: "Failed", bytes, report, cause: all })
        })

      return yield* Effect.gen(function* () {
        for (;;) {
          const step = yield* pull
          if (Exit.isFailure(step)) return yield* fail(step.cause)
          if (Either.isLeft(step.value)) {
            const finalizerDefect = yield* closeStream(Exit.void)
            if (finalizerDefect !== undefined) return yield* fail(finalizerDefect)
            if (writer === undefined) yield* start
            return yield* end(undefined, { _tag: "Completed", bytes })
          }
          for (const chunk of step.value.right) {
            if (chunk.length === 0) continue
            if (bytes + chunk.length > options.maxBytes) {
              return yield* fail(Cause.interrupt(FiberId.none), sizeReport(options.maxBytes))
            }
            if (writer === undefined) yield* start
            bytes += chunk.length
            if (!writer!.write(chunk)) {
              const drained = yield* Effect.exit(Effect.interruptible(writer!.drained))
              if (Exit.isFailure(drained)) {
                const error = Cause.failureOption(drained.cause)
                if (Option.isNone(error)) return yield* fail(drained.cause)
                yield* closeStream(Exit.interrupt(FiberId.none))
                finished = true
                yield* writer!.abort
                return { _tag: "Broken", bytes, error: error.value } as const
              }
            }
          }
        }
      }).pipe(
        // Only reached when `open` fails or on a defect (here or in the transport): never leave a reply open.
        Effect.catchAllCause((cause) =>
          Effect.zipRight(
            Effect.ignore(close(Exit.failCause(cause))),
            Effect.suspend(() => {
              if (writer !== undefined)
                return Effect.zipRight(finished ? Effect.void : writer.abort, Effect.failCause(cause))
              const failure = Cause.failureOption(cause)
              if (Option.isSome(failure)) return Effect.fail(failure.value)
              return Effect.succeed<Outcome>({ _tag: "NotStarted", report: options.report(cause), cause })
            })
          )
        )
      )
    })
  )
