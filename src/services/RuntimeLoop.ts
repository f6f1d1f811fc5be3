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
      const program = Effect.locally(
        Effect.provideService(handler.run(invocation.body), InvocationContext.InvocationContext, context),
        InvocationContext.current,
        context
      ).pipe(Effect.withUnhandledErrorLogLevel(Option.none()))
      const settle = (exit: Exit.Exit<Handler.Payload, unknown>, timedOut: boolean) =>
        Effect.locally(
          Exit.isSuccess(exit)
            ? sink.reply(invocation, exit.value.body, exit.value.contentType)
            : reportFailure(handler, invocation, exit.cause, timedOut),
          InvocationContext.current,
          context
        )
      return Effect.flatMap(Effect.fork(program), (fiber) => {
        let timedOut = false
        const timer = setTimeout(
          () => {
            timedOut = true
            fiber.unsafeInterruptAsFork(FiberId.none)
          },
          Math.max(0, context.deadlineMs - Date.now() - margin)
        )
        return Fiber.await(fiber).pipe(
          Effect.onInterrupt(() =>
            Effect.zipRight(
              Fiber.interrupt(fiber),
              settle(Exit.interrupt(FiberId.none), false).pipe(Effect.timeoutOption("200 millis"), Effect.ignore)
            )
          ),
          Effect.flatMap((exit) => settle(exit, timedOut)),
          Effect.ensuring(
            Effect.sync(() => {
              clearTimeout(timer)
              inFlight.delete(invocation)
            })
          )
        )
      })
    })

  const reportFailure = <E, R>(
    handler: Handler.Handler<E, R>,
    invocation: RuntimeApi.Invocation,
    cause: Cause.Cause<unknown>,
    timedOut: boolean
  ) => {
    if (timedOut && Cause.isInterruptedOnly(cause)) {
      const report = ErrorReport.make(
        DeadlineExceededType,
        `Task timed out: the invocation was stopped ${margin} ms before its deadline.`
      )
      return Effect.zipRight(Effect.logError(report.errorMessage), sink.reportError(invocation, report))
    }
    const report = handler.report(cause)
    const line = `Invoke Error: ${report.errorType}: ${report.errorMessage}`
    // A typed failure is an expected outcome: its type and message say it all. A defect gets its stack.
    return Effect.zipRight(
      Cause.isFailType(cause) ? Effect.logError(line) : Effect.logError(line, cause),
      sink.reportError(invocation, report)
    )
  }

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
