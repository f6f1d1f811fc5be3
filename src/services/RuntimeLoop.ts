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
import type * as InvokeStoreModule from "@aws/lambda-invoke-store"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import type * as FiberRefs from "effect/FiberRefs"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as RuntimeFlags from "effect/RuntimeFlags"
import type * as Scheduler from "effect/Scheduler"
import type * as Handler from "../handler/Handler.js"
import * as ErrorTypes from "../internal/ErrorTypes.js"
import { InFlight } from "../internal/InFlight.js"
import { logInvokeError } from "../internal/logInvokeError.js"
import * as TraceIdEnv from "../internal/TraceIdEnv.js"
import { StreamReply } from "../handler/Handler.js"
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

/** The longest delay `setTimeout` holds. */
const MaxTimerMs = 2 ** 31 - 1

/** Who interrupts an invocation at its deadline: an interruption by this id is reported as a deadline. */
const DeadlineId = FiberId.make(-1, 0)

/** Whether `cause` is the deadline's interruption (and nothing else). */
const isDeadline = (cause: Cause.Cause<unknown>): boolean =>
  Cause.isInterruptedOnly(cause) && HashSet.has(Cause.interruptors(cause), DeadlineId)

/** The shared `@aws/lambda-invoke-store` instance (N > 1) and its key names. */
interface Store {
  readonly instance: InvokeStoreModule.InvokeStoreBase
  readonly keys: typeof InvokeStoreModule.InvokeStoreBase.PROTECTED_KEYS
}

/**
 * Start `self` (an invocation's fiber) inside `store.run` with the invocation's values, and run every later task of
 * it in the store too: promises it creates (an AWS SDK call) see them in their async context.
 */
const forkInStore = <A, E, R>(
  store: Store,
  context: InvocationContext.Context,
  runtime: Runtime.Runtime<R>,
  base: Scheduler.Scheduler,
  self: Effect.Effect<A, E, R>
): Fiber.RuntimeFiber<A, E> => {
  const values: Record<symbol, unknown> = { [store.keys.REQUEST_ID]: context.requestId }
  if (Option.isSome(context.traceId)) values[store.keys.X_RAY_TRACE_ID] = context.traceId.value
  if (Option.isSome(context.tenantId)) values[store.keys.TENANT_ID] = context.tenantId.value
  const scheduler: Scheduler.Scheduler = {
    shouldYield: (fiber) => base.shouldYield(fiber),
    scheduleTask: (task, priority) => base.scheduleTask(() => store.instance.run(values, task), priority)
  }
  return store.instance.run(values, () => Runtime.runFork(runtime, self, { scheduler }))
}

/**
 * A reply of `run` is followed by its worker's `/next`: the transport may send it right behind (see `PostOptions`).
 * `handleOne` says nothing of what its caller does next.
 */
const ThenNext: RuntimeApi.PostOptions = { thenNext: true }

/** How the loop goes on after an invocation's fiber ended: only a broken Runtime API ends it. */
const afterInvocation = (
  exit: Exit.Exit<void, RuntimeApi.RuntimeApiError>
): Effect.Effect<void, RuntimeApi.RuntimeApiError> =>
  // A fiber stopped by its deadline or a shutdown ends interrupted after it replied.
  Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause) ? Effect.failCause(exit.cause) : Effect.void

/**
 * Build the loop.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (api: RuntimeApi.Service, sink: ResponseSink.Service, config: RuntimeConfig.Settings): Service => {
  const inFlight = new InFlight<RuntimeApi.Invocation, Fiber.RuntimeFiber<void, RuntimeApi.RuntimeApiError>>()
  const singleConcurrency = config.maxConcurrency <= 1
  /** With N > 1: the shared `@aws/lambda-invoke-store` instance, once `run` has loaded it. */
  let invokeStore: Store | undefined
  const margin = config.deadlineMarginMs
  const deadlineReport = ErrorReport.make(
    DeadlineExceededType,
    `Task timed out: the invocation was stopped ${margin} ms before its deadline.`
  )

  const reportOf = (
    handler: Handler.Handler<unknown, unknown>,
    cause: Cause.Cause<unknown>
  ): ErrorReport.ErrorReport => (isDeadline(cause) ? deadlineReport : handler.report(cause))

  const failed = (
    invocation: RuntimeApi.Invocation,
    report: ErrorReport.ErrorReport,
    cause: Cause.Cause<unknown>,
    post: RuntimeApi.PostOptions | undefined
  ): Effect.Effect<void, RuntimeApi.RuntimeApiError> =>
    Effect.zipRight(logInvokeError(report, cause), sink.reportError(invocation, report, post))

  /** The one reply for a handler's exit. Runs in the invocation's fiber, uninterruptible. */
  const settle = (
    handler: Handler.Handler<unknown, unknown>,
    invocation: RuntimeApi.Invocation,
    exit: Exit.Exit<Handler.Payload | StreamReply, unknown>,
    post: RuntimeApi.PostOptions | undefined
  ): Effect.Effect<void, RuntimeApi.RuntimeApiError> => {
    if (Exit.isFailure(exit)) return failed(invocation, reportOf(handler, exit.cause), exit.cause, post)
    const payload = exit.value
    if (!(payload instanceof StreamReply)) return sink.reply(invocation, payload.body, payload.contentType, post)
    // Only `NotStarted` leaves the invocation unanswered; a defect means the reply was opened, then aborted.
    return Effect.catchAllDefect(
      Effect.flatMap(
        sink.replyStream(invocation, payload, { report: (cause) => reportOf(handler, cause) }),
        (outcome) =>
          outcome._tag === "NotStarted" ? failed(invocation, outcome.report, outcome.cause, post) : Effect.void
      ),
      (defect) => Effect.logError(`The streamed reply for ${invocation.requestId} was aborted`, Cause.die(defect))
    )
  }

  /** Interrupt `fiber` as its deadline (minus the margin) passes; the returned function disarms the timer. */
  const armDeadline = (fiber: Fiber.RuntimeFiber<unknown, unknown>, deadlineMs: number): (() => void) => {
    let timer: ReturnType<typeof setTimeout>
    // setTimeout holds at most 2^31 - 1 ms (about 24.8 days; a longer delay fires at once): clamp and re-arm.
    const arm = (): void => {
      const left = deadlineMs - Date.now() - margin
      timer =
        left > MaxTimerMs
          ? setTimeout(arm, MaxTimerMs)
          : setTimeout(() => fiber.unsafeInterruptAsFork(DeadlineId), Math.max(0, left))
    }
    arm()
    return () => clearTimeout(timer)
  }

  /**
   * Serve `invocation` in a fiber of its own. `workerRefs`: the calling worker's FiberRefs when it took them once (a
   * worker of `run`, whose own steps set none), else they are read now. A worker of `run` (`stopOnInterrupt` false)
   * asks for `/next` after the reply, so its reply says so (`ThenNext`).
   */
  const handle = <E, R>(
    handler: Handler.Handler<E, R>,
    invocation: RuntimeApi.Invocation,
    stopOnInterrupt: boolean,
    workerRefs?: FiberRefs.FiberRefs
  ): Effect.Effect<void, RuntimeApi.RuntimeApiError, R> =>
    Effect.withFiberRuntime<void, RuntimeApi.RuntimeApiError, R>((worker, status) => {
      const post = stopOnInterrupt ? undefined : ThenNext
      const context = InvocationContext.fromHeaders(invocation.requestId, invocation.headers)
      if (context instanceof InvocationContext.MalformedInvocation) {
        return Effect.zipRight(
          Effect.logError(`Invocation ${invocation.requestId} is malformed: ${context.message}`),
          sink.reportError(
            invocation,
            ErrorReport.make(InvocationContext.MalformedInvocationType, context.message),
            post
          )
        )
      }
      if (singleConcurrency) {
        TraceIdEnv.set(Option.getOrUndefined(context.traceId))
      }
      /** Whether nothing interruptible is left: the handler ended, and its reply is not a stream to pull. */
      let ran = false
      // The invocation's own fiber: it runs the handler and then, whatever happened, sends the one reply. The fiber
      // starts uninterruptible (its runtime flags below); only the handler runs with the worker's interruptibility
      // (as `uninterruptibleMask`'s `restore` would give it, for two steps fewer), so the deadline or a shutdown can
      // stop it but not the reply.
      let handled: Effect.Effect<Handler.Payload | StreamReply, unknown, R | InvocationContext.InvocationContext>
      try {
        handled = handler.run(invocation.body)
      } catch (defect) {
        // A handler whose `run` throws instead of returning an Effect: a defect of this invocation, not of the loop.
        handled = Effect.die(defect)
      }
      if (RuntimeFlags.interruption(status.runtimeFlags)) handled = Effect.interruptible(handled)
      const own = Effect.flatMap(Effect.exit(handled), (exit) => {
        // A streamed reply is still to be pulled (interruptibly): the deadline still applies to it.
        ran = Exit.isFailure(exit) || !(exit.value instanceof StreamReply)
        return settle(handler as Handler.Handler<unknown, unknown>, invocation, exit, post)
      })
      // Started right here, on this call stack: a handler that completes synchronously runs without a scheduler
      // hop, and needs no deadline timer. The worker's services and FiberRefs, plus the invocation's context.
      const runtime = Runtime.make({
        context: Context.add(worker.currentContext as Context.Context<R>, InvocationContext.InvocationContext, context),
        fiberRefs: workerRefs ?? worker.getFiberRefs(),
        runtimeFlags: RuntimeFlags.disable(status.runtimeFlags, RuntimeFlags.Interruption)
      })
      const store = invokeStore
      const fiber =
        store === undefined
          ? Runtime.runFork(runtime, own)
          : forkInStore(store, context, runtime, worker.currentScheduler, own)
      const done = fiber.unsafePoll()
      if (done !== null) return afterInvocation(done)
      const disarm = ran ? undefined : armDeadline(fiber, context.deadlineMs)
      inFlight.add(invocation, fiber)
      return Effect.async<void, RuntimeApi.RuntimeApiError>((resume) => {
        fiber.addObserver((exit) => {
          if (disarm !== undefined) disarm()
          inFlight.delete(invocation)
          resume(afterInvocation(exit))
        })
        // The waiter interrupted (a shutdown): stop the invocation and wait until it has replied. Inside `run` the
        // loop's own interruption does that for every invocation in flight, and this wait stays one step.
        if (stopOnInterrupt) return Fiber.interrupt(fiber)
      })
    })

  /** On shutdown: stop the invocations in flight and wait until each has sent its reply (`Runtime.Interrupted`). */
  const interruptInFlight = Effect.suspend(() =>
    Effect.timeoutOption(Fiber.interruptAll(inFlight.values()), "500 millis")
  )

  /** Load `@aws/lambda-invoke-store` (only a function with N > 1 evaluates it) and fetch its shared instance. */
  const loadStore = Effect.promise(async (): Promise<Store> => {
    const module = await import("@aws/lambda-invoke-store")
    const instance = await module.InvokeStore.getInstanceAsync(true)
    return { instance, keys: module.InvokeStoreBase.PROTECTED_KEYS }
  })

  const run = <E, R>(handler: Handler.Handler<E, R>): Effect.Effect<never, RuntimeApi.RuntimeApiError, R> => {
    // Not `Effect.forever`, which yields to the scheduler after every invocation: `/next` is I/O, so the worker
    // suspends there anyway, and the fiber's own op budget still yields a loop that never suspends.
    // Its FiberRefs are taken once (reading them copies them): nothing the loop itself runs sets one.
    const worker = Effect.withFiberRuntime<never, RuntimeApi.RuntimeApiError, R>((fiber) => {
      const refs = fiber.getFiberRefs()
      const loop: Effect.Effect<never, RuntimeApi.RuntimeApiError, R> = Effect.flatMap(api.next, (invocation) =>
        Effect.flatMap(handle(handler, invocation, false, refs), () => loop)
      )
      return loop
    })
    const workers = singleConcurrency
      ? worker
      : loadStore.pipe(
          Effect.flatMap((store) => {
            invokeStore = store
            return Effect.forEach(Array.from({ length: config.maxConcurrency }), () => worker, {
              concurrency: "unbounded",
              discard: true
            })
          }),
          Effect.zipRight(Effect.never)
        )
    // However the workers end (a shutdown, or one of N failing), the invocations still in flight are stopped and
    // given their replies here: the workers' own waits do not stop them.
    return Effect.ensuring(workers, interruptInFlight)
  }

  return {
    run,
    handleOne: (handler, invocation) => handle(handler, invocation, true),
    inFlight: () => inFlight.keys()
  }
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
