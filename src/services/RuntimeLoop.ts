/**
 * The supervisor loop: poll `/next`, run the handler for the invocation in a child fiber with its
 * {@link InvocationContext.InvocationContext} provided, send exactly one reply, repeat. A failure or a
 * defect of the handler becomes an error report and never ends the loop; only a broken Runtime API
 * (`RuntimeApiError`) or interruption (shutdown) does.
 *
 * With `maxConcurrency` = N > 1 (Lambda Managed Instances), N workers poll `/next` at once, and the
 * trace id lives only in each invocation's context, never in `process.env`. Each invocation's fibers then run
 * inside `@aws/lambda-invoke-store` with the invocation's request id, trace id and tenant id, so the AWS SDK
 * (and anything else reading that store) sees the invocation's own trace id: every task of those fibers is
 * scheduled inside `InvokeStore.run`.
 *
 * Deadlines: each invocation is interrupted `deadlineMarginMs` before its deadline; its finalizers run and
 * `Runtime.DeadlineExceeded` is reported.
 *
 * @since 0.1.0
 */
import { InvokeStore, InvokeStoreBase } from "@aws/lambda-invoke-store"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scheduler from "effect/Scheduler"
import type * as Handler from "../handler/Handler.js"
import * as ErrorTypes from "../internal/ErrorTypes.js"
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
export const DeadlineExceededType = ErrorTypes.DeadlineExceeded

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

/** The longest delay `setTimeout` holds. */
const MaxTimerMs = 2 ** 31 - 1

/**
 * Run `self` (an invocation's fiber) so that each of its tasks, and its children's, runs inside `store.run` with
 * the invocation's values: promises it creates (an AWS SDK call) see them in their async context.
 */
const inInvokeStore = <A, E, R>(
  store: InvokeStoreBase,
  context: InvocationContext.Context,
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  const keys = InvokeStoreBase.PROTECTED_KEYS
  const values: Record<symbol, unknown> = { [keys.REQUEST_ID]: context.requestId }
  if (Option.isSome(context.traceId)) values[keys.X_RAY_TRACE_ID] = context.traceId.value
  if (Option.isSome(context.tenantId)) values[keys.TENANT_ID] = context.tenantId.value
  return Effect.flatMap(FiberRef.get(FiberRef.currentScheduler), (base) => {
    const scheduler: Scheduler.Scheduler = {
      shouldYield: (fiber) => base.shouldYield(fiber),
      scheduleTask: (task, priority) => base.scheduleTask(() => store.run(values, task), priority)
    }
    // Yield once under the new scheduler, so that even the first step of the handler runs inside the store.
    return Effect.withScheduler(Effect.zipRight(Effect.yieldNow(), self), scheduler)
  })
}

/** What an invocation's fiber ends with: a buffered payload, how a streamed reply ended, or a fatal API error. */
type Done = Handler.Payload | ChunkedUpload.Outcome | RuntimeApi.RuntimeApiError

/**
 * Build the loop.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (api: RuntimeApi.Service, sink: ResponseSink.Service, config: RuntimeConfig.Settings): Service => {
  const inFlight = new Map<RuntimeApi.Invocation, Fiber.RuntimeFiber<void, RuntimeApi.RuntimeApiError>>()
  const singleConcurrency = config.maxConcurrency <= 1
  /** With N > 1: the shared `@aws/lambda-invoke-store` instance, once `run` has fetched it. */
  let invokeStore: InvokeStoreBase | undefined
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
      const state = { opened: false, timedOut: false }
      const report = (cause: Cause.Cause<unknown>): ErrorReport.ErrorReport =>
        state.timedOut && Cause.isInterruptedOnly(cause) ? deadlineReport : handler.report(cause)
      const work = Effect.flatMap(handler.run(invocation.body), (payload): Effect.Effect<Done> => {
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
      })
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
      const store = invokeStore
      // The invocation's own fiber: it runs the handler (interruptible, so the deadline or a shutdown can stop
      // it) and then, whatever happened, sends the one reply (uninterruptible). Its FiberRefs are its own, so
      // they are set, not scoped.
      const own = Effect.uninterruptibleMask((restore) =>
        FiberRef.update(FiberRef.currentContext, (services) =>
          Context.add(services, InvocationContext.InvocationContext, context)
        ).pipe(Effect.zipRight(Effect.exit(restore(work as Effect.Effect<Done, unknown>))), Effect.flatMap(settle))
      )
      const child = store === undefined ? own : inInvokeStore(store, context, own)
      return Effect.flatMap(Effect.fork(child), (fiber) => {
        const expire = () => {
          state.timedOut = true
          fiber.unsafeInterruptAsFork(FiberId.none)
        }
        const left = context.deadlineMs - Date.now() - margin
        // setTimeout holds at most 2^31 - 1 ms (about 24.8 days; a longer delay fires at once): clamp and re-arm.
        const rearm = (): void => {
          const rest = context.deadlineMs - Date.now() - margin
          timer = rest > MaxTimerMs ? setTimeout(rearm, MaxTimerMs) : setTimeout(expire, Math.max(0, rest))
        }
        let timer = left > MaxTimerMs ? setTimeout(rearm, MaxTimerMs) : setTimeout(expire, Math.max(0, left))
        inFlight.set(invocation, fiber)
        fiber.addObserver(() => {
          clearTimeout(timer)
          inFlight.delete(invocation)
        })
        // A child stopped by its deadline ends interrupted after it replied; only a real failure (a broken
        // Runtime API) ends the loop.
        return Effect.flatMap(Fiber.await(fiber), (exit) =>
          Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause) ? Effect.failCause(exit.cause) : Effect.void
        )
      })
    }) as Effect.Effect<void, RuntimeApi.RuntimeApiError, R>

  /** On shutdown: stop the invocations in flight and wait until each has sent its reply (`Runtime.Interrupted`). */
  const interruptInFlight = Effect.suspend(() =>
    Effect.timeoutOption(Fiber.interruptAll(Array.from(inFlight.values())), "500 millis")
  )

  const run = <E, R>(handler: Handler.Handler<E, R>): Effect.Effect<never, RuntimeApi.RuntimeApiError, R> => {
    const worker = Effect.forever(Effect.flatMap(api.next, (invocation) => handleOne(handler, invocation)))
    const workers = singleConcurrency
      ? worker
      : Effect.promise(() => InvokeStore.getInstanceAsync(true)).pipe(
          Effect.flatMap((store) => {
            invokeStore = store
            return Effect.forEach(Array.from({ length: config.maxConcurrency }), () => worker, {
              concurrency: "unbounded",
              discard: true
            })
          }),
          Effect.zipRight(Effect.never)
        )
    return Effect.onInterrupt(workers, () => interruptInFlight)
  }

  return { run, handleOne, inFlight: () => Array.from(inFlight.keys()) }
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
