/**
 * The supervisor loop: poll `/next`, run the handler for the invocation in a child fiber with its
 * {@link InvocationContext.InvocationContext} provided, send exactly one reply, repeat. A failure or a
 * defect of the handler becomes an error report and never ends the loop; only a broken Runtime API
 * (`RuntimeApiError`) or interruption (shutdown) does.
 *
 * With `maxConcurrency` = N > 1 (Lambda Managed Instances), N workers poll `/next` at once, and the
 * trace id lives only in each invocation's context, never in `process.env`.
 *
 * Deadlines: each invocation is interrupted `deadlineMarginMs` before its deadline; its finalizers run and
 * `Runtime.DeadlineExceeded` is reported.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Handler from "../handler/Handler.js"
import { logInvokeError } from "../internal/logInvokeError.js"
import { StreamReply } from "../handler/Handler.js"
import type * as ChunkedUpload from "../streaming/ChunkedUpload.js"
import * as ErrorReport from "../streaming/ErrorReport.js"
import * as InvocationContext from "./InvocationContext.js"
import * as ResponseSink from "./ResponseSink.js"
import * as RuntimeApi from "./RuntimeApi.js"
import * as RuntimeConfig from "./RuntimeConfig.js"

/**
 * `errorType` of an invocation stopped at its deadline.
 *
 * @since 0.1.0
 * @category constants
 */
export const DeadlineExceededType = "Runtime.DeadlineExceeded"

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Serve invocations until interrupted. Fails only when the Runtime API is broken. */
  readonly run: <E, R>(handler: Handler.Handler<E, R>) => Effect.Effect<never, RuntimeApi.RuntimeApiError, R>
  /** Serve one invocation already taken from `/next`. */
  readonly handleOne: <E, R>(
    handler: Handler.Handler<E, R>,
    invocation: RuntimeApi.Invocation
  ) => Effect.Effect<void, RuntimeApi.RuntimeApiError, R>
  /** The invocations being served right now (for crash reports). */
  readonly inFlight: () => ReadonlyArray<RuntimeApi.Invocation>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RuntimeLoop extends Context.Tag("effect-lambda-runtime/RuntimeLoop")<RuntimeLoop, Service>() {}

const TRACE_ENV = "_X_AMZN_TRACE_ID"

/** What an invocation's fiber ends with: a buffered payload, how a streamed reply ended, or a fatal API error. */
type Done = Handler.Payload | ChunkedUpload.Outcome | RuntimeApi.RuntimeApiError

/**
 * Build the loop.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (api: RuntimeApi.Service, sink: ResponseSink.Service, config: RuntimeConfig.Settings): Service => {
  const inFlight = new Set<RuntimeApi.Invocation>()
  const singleConcurrency = config.maxConcurrency <= 1
  const margin = config.deadlineMarginMs
  const deadlineReport = ErrorReport.make(
    DeadlineExceededType,
    `Task timed out: the invocation was stopped ${margin} ms before its deadline.`
  )

  const handleOne = <E, R>(
    handler: Handler.Handler<E, R>,
    invocation: RuntimeApi.Invocation
  ): Effect.Effect<void, RuntimeApi.RuntimeApiError, R> =>
    Effect.suspend(() => {
      const context = InvocationContext.fromHeaders(invocation.requestId, invocation.headers)
      if (context instanceof InvocationContext.MalformedInvocation) {
        return Effect.zipRight(
          Effect.logError(`Invocation ${invocation.requestId} is malformed: ${context.message}`),
          sink.reportError(invocation, ErrorReport.make(InvocationContext.MalformedInvocationType, context.message))
        )
      }
      if (singleConcurrency) {
        if (Option.isSome(context.traceId)) process.env[TRACE_ENV] = context.traceId.value
        else delete process.env[TRACE_ENV]
      }
      inFlight.add(invocation)
      const state = { opened: false, timedOut: false }
      const report = (cause: Cause.Cause<unknown>): ErrorReport.ErrorReport =>
        state.timedOut && Cause.isInterruptedOnly(cause) ? deadlineReport : handler.report(cause)
      const program = Effect.locally(
        Effect.provideService(
          Effect.flatMap(handler.run(invocation.body), (payload): Effect.Effect<Done> => {
            if (!(payload instanceof StreamReply)) return Effect.succeed(payload)
            return Effect.catchAll(
              sink.replyStream(invocation, payload, {
                report,
                onOpen: () => {
                  state.opened = true
                }
              }),
              Effect.succeed
            )
          }),
          InvocationContext.InvocationContext,
          context
        ),
        InvocationContext.current,
        context
      ).pipe(Effect.withUnhandledErrorLogLevel(Option.none()))
      const settle = (exit: Exit.Exit<Done, unknown>): Effect.Effect<void, RuntimeApi.RuntimeApiError> => {
        if (Exit.isFailure(exit)) {
          // After a streamed reply was opened, the stream itself carried the outcome (trailers).
          if (state.opened) return Effect.void
          const failure = report(exit.cause)
          return Effect.zipRight(logInvokeError(failure, exit.cause), sink.reportError(invocation, failure))
        }
        const done = exit.value
        if (done instanceof RuntimeApi.RuntimeApiError) return Effect.fail(done)
        if (!("_tag" in done)) return sink.reply(invocation, done.body, done.contentType)
        if (done._tag !== "NotStarted") return Effect.void
        return Effect.zipRight(logInvokeError(done.report, done.cause), sink.reportError(invocation, done.report))
      }
      return Effect.flatMap(Effect.fork(program), (fiber) => {
        const timer = setTimeout(
          () => {
            state.timedOut = true
            fiber.unsafeInterruptAsFork(FiberId.none)
          },
          Math.max(0, context.deadlineMs - Date.now() - margin)
        )
        return Fiber.await(fiber).pipe(
          Effect.onInterrupt(() =>
            Effect.zipRight(
              Fiber.interrupt(fiber),
              Effect.locally(settle(Exit.interrupt(FiberId.none)), InvocationContext.current, context).pipe(
                Effect.timeoutOption("200 millis"),
                Effect.ignore
              )
            )
          ),
          Effect.flatMap((exit) => Effect.locally(settle(exit), InvocationContext.current, context)),
          Effect.ensuring(
            Effect.sync(() => {
              clearTimeout(timer)
              inFlight.delete(invocation)
            })
          )
        )
      })
    })

  const run = <E, R>(handler: Handler.Handler<E, R>): Effect.Effect<never, RuntimeApi.RuntimeApiError, R> => {
    const worker = Effect.forever(Effect.flatMap(api.next, (invocation) => handleOne(handler, invocation)))
    if (singleConcurrency) return worker
    return Effect.flatMap(
      Effect.forEach(Array.from({ length: config.maxConcurrency }), () => worker, {
        concurrency: "unbounded",
        discard: true
      }),
      () => Effect.never
    )
  }

  return { run, handleOne, inFlight: () => Array.from(inFlight) }
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<
  RuntimeLoop,
  never,
  RuntimeApi.RuntimeApi | ResponseSink.ResponseSink | RuntimeConfig.RuntimeConfig
> = Layer.effect(
  RuntimeLoop,
  Effect.all([RuntimeApi.RuntimeApi, ResponseSink.ResponseSink, RuntimeConfig.RuntimeConfig]).pipe(
    Effect.map(([api, sink, config]) => make(api, sink, config))
  )
)
