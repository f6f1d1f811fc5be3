/**
 * One invocation of a local function on one generation, from queueing to its last byte, and its hand-over
 * to the invoker. Its timeout runs from the moment it is queued (or, when the process is still starting,
 * from the moment the process first polls `/next`): an invocation that no poll takes still times out.
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as LocalFunction from "../LocalFunction.js"
import * as RuntimeApiServer from "../RuntimeApiServer.js"
import * as ErrorTypes from "./ErrorTypes.js"
import * as FunctionErrors from "./FunctionErrors.js"
import type * as FunctionGenerations from "./FunctionGenerations.js"
import type * as FunctionProcess from "./FunctionProcess.js"
import { logResult } from "./InvocationLog.js"

/** Where an invocation's reply goes: the invoker, or nowhere when it stopped waiting. @internal */
export interface Handoff {
  readonly reply: Deferred.Deferred<LocalFunction.Reply>
  abandoned: boolean
  drained: boolean
}

/** @internal */
export interface AttemptContext {
  readonly generations: FunctionGenerations.Generations
  readonly fibers: FiberSet.FiberSet
  readonly functionArn: string
  readonly timeoutMs: number
  readonly initTimeoutMs: number
  readonly memoryMb: number
}

interface Exited {
  readonly _tag: "Exited"
  readonly info: FunctionProcess.ExitInfo
}

type Phase1 =
  | { readonly _tag: "Delivered"; readonly delivery: RuntimeApiServer.Delivery }
  | Exited
  | { readonly _tag: "InitError" }
  | { readonly _tag: "InitTimeout" }
  | { readonly _tag: "Timeout" }

type Phase2 = { readonly _tag: "Reply"; readonly reply: RuntimeApiServer.Reply } | Exited | { readonly _tag: "Timeout" }

type Phase3 =
  | { readonly _tag: "Outcome"; readonly outcome: RuntimeApiServer.Outcome }
  | Exited
  | { readonly _tag: "Timeout" }

/**
 * A client context as an HTTP header value: its JSON with every character outside printable ASCII written
 * as a `\uXXXX` escape (the same JSON value, readable by any header decoder).
 *
 * @internal
 */
export const clientContextHeader = (text: string): string => {
  let json = text
  try {
    json = JSON.stringify(JSON.parse(text))
  } catch {
    // not JSON: passed on as it is, only made a valid header
  }
  let out = ""
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i)
    out += code >= 0x20 && code <= 0x7e ? json[i] : `\\u${code.toString(16).padStart(4, "0")}`
  }
  return out
}

const nextHeaders = (functionArn: string, request: LocalFunction.InvokeRequest): Record<string, string> => {
  const headers: Record<string, string> = { "Lambda-Runtime-Invoked-Function-Arn": functionArn }
  if (request.clientContext !== undefined) {
    headers["Lambda-Runtime-Client-Context"] = clientContextHeader(request.clientContext)
  }
  if (request.tenantId !== undefined) headers["Lambda-Runtime-Aws-Tenant-Id"] = request.tenantId
  return headers
}

/** Start draining a reply nobody reads any more (once). @internal */
export const drainOnce = (fibers: FiberSet.FiberSet, handoff: Handoff, reply: LocalFunction.Reply) =>
  Effect.suspend(() => {
    if (reply._tag !== "Response" || handoff.drained) return Effect.void
    handoff.drained = true
    return FiberSet.run(fibers, Stream.runDrain(reply.body)).pipe(Effect.asVoid)
  })

/** Give the invoker its reply (drained at once when the invoker is gone). @internal */
export const hand = (fibers: FiberSet.FiberSet, handoff: Handoff, reply: LocalFunction.Reply) =>
  Effect.suspend(() => {
    Deferred.unsafeDone(handoff.reply, Exit.succeed(reply))
    return handoff.abandoned ? drainOnce(fibers, handoff, reply) : Effect.void
  })

/** The invoker stopped waiting: its reply, if it came or comes, is drained. @internal */
export const abandon = (fibers: FiberSet.FiberSet, handoff: Handoff) =>
  Effect.suspend(() => {
    handoff.abandoned = true
    return Effect.flatMap(Deferred.poll(handoff.reply), (polled) =>
      Option.isNone(polled)
        ? Effect.void
        : Effect.flatMap(Effect.exit(polled.value), (exit) =>
            Exit.isSuccess(exit) ? drainOnce(fibers, handoff, exit.value) : Effect.void
          )
    )
  })

/**
 * One attempt on one process. `retry`: the process died before it took the invocation (and this was not
 * the last attempt).
 *
 * @internal
 */
export const attempt = (
  ctx: AttemptContext,
  gen: FunctionGenerations.Generation,
  request: LocalFunction.InvokeRequest,
  requestId: string,
  startedAt: number,
  handoff: Handoff,
  lastAttempt: boolean
): Effect.Effect<"done" | "retry"> =>
  Effect.gen(function* () {
    const { generations, fibers, timeoutMs, initTimeoutMs } = ctx
    const logFrom = gen.log.offset
    const elapsed = () => Date.now() - startedAt
    const logOf = () => logResult(requestId, gen.log.since(logFrom), elapsed(), ctx.memoryMb)
    const fail = (error: LocalFunction.FunctionError) =>
      hand(fibers, handoff, { _tag: "Error", requestId, error, durationMs: elapsed(), logResult: logOf() })
    const exited = Effect.map(gen.process.exited, (info): Exited => ({ _tag: "Exited", info }))
    const enqueued = yield* gen.server.enqueue({
      event: request.event,
      requestId,
      timeoutMs,
      headers: nextHeaders(ctx.functionArn, request),
      live: true
    })
    const queuedAt = Date.now()
    // The clock starts when the invocation is queued, or when a process still starting first polls.
    // A child fiber (ended with the attempt) sets it once, so that a race that loses cannot interrupt it.
    const deadlineSet = yield* Deferred.make<number>()
    yield* Effect.fork(
      Effect.flatMap(Deferred.await(gen.ready), () =>
        Deferred.succeed(deadlineSet, Math.max(queuedAt, Date.now()) + timeoutMs)
      )
    )
    const deadline = Deferred.await(deadlineSet)
    const timerUntil = (at: Effect.Effect<number>) =>
      Effect.flatMap(at, (ms) => Effect.as(Effect.sleep(Math.max(0, ms - Date.now())), { _tag: "Timeout" } as const))
    const watchdog = Deferred.await(gen.ready).pipe(
      Effect.timeout(initTimeoutMs),
      Effect.option,
      Effect.flatMap((ready) =>
        Option.isSome(ready) ? Effect.never : Effect.succeed({ _tag: "InitTimeout" } as const)
      )
    )
    const onTimeout = Effect.zipRight(
      generations.notice(`${requestId}: timed out after ${timeoutMs / 1000} s; the function process is stopped`),
      generations.stopNow(gen, "timeout")
    )
    const first: Phase1 = yield* Effect.raceAll<Effect.Effect<Phase1>>([
      Effect.map(enqueued.delivered, (delivery) => ({ _tag: "Delivered", delivery }) as const),
      exited,
      Effect.as(gen.server.awaitInitError, { _tag: "InitError" } as const),
      watchdog,
      timerUntil(deadline)
    ])
    switch (first._tag) {
      case "InitTimeout": {
        yield* generations.notice(`the function did not start within ${initTimeoutMs / 1000} s; stopping it`)
        yield* generations.stopNow(gen, "timeout")
        yield* fail(FunctionErrors.initTimedOut(requestId, initTimeoutMs))
        return "done"
      }
      case "Timeout": {
        yield* onTimeout
        yield* fail(FunctionErrors.timedOut(requestId, timeoutMs))
        return "done"
      }
      case "InitError": {
        yield* generations.retireFailed(gen)
        const initError = yield* generations.initErrorOf(gen)
        yield* fail(initError ?? FunctionErrors.made(ErrorTypes.Unknown, "init failed"))
        return "done"
      }
      case "Exited": {
        const initError = yield* generations.initErrorOf(gen)
        if (initError !== undefined) {
          yield* fail(initError)
          return "done"
        }
        if (!lastAttempt) return "retry"
        yield* fail(FunctionErrors.exitError(requestId, first.info))
        return "done"
      }
      case "Delivered":
        break
    }
    const delivery = (first as { readonly delivery: RuntimeApiServer.Delivery }).delivery
    // Never before the deadline the runtime was given, so that the runtime's own deadline comes first.
    const timer = timerUntil(Effect.map(deadline, (ms) => Math.max(ms, delivery.deadlineMs)))
    const second: Phase2 = yield* Effect.raceAll<Effect.Effect<Phase2>>([
      Effect.map(enqueued.reply, (reply) => ({ _tag: "Reply", reply }) as const),
      exited,
      timer
    ])
    if (second._tag === "Timeout") {
      yield* onTimeout
      yield* fail(FunctionErrors.timedOut(requestId, timeoutMs))
      return "done"
    }
    if (second._tag === "Exited") {
      yield* fail(FunctionErrors.exitError(requestId, second.info))
      return "done"
    }
    const reply = second.reply
    if (reply._tag === "Error") {
      const error = FunctionErrors.fromPosted(
        reply.body,
        reply.headers[FunctionErrors.TrailerNames.errorType] ?? reply.report?.errorType
      )
      yield* fail(error)
      return "done"
    }
    const completion = yield* Deferred.make<LocalFunction.Completion>()
    yield* hand(fibers, handoff, {
      _tag: "Response",
      requestId,
      contentType: reply.headers["content-type"] ?? "application/json",
      streamed: reply.streamed,
      body: reply.body.pipe(Stream.catchAll(() => Stream.empty)),
      completion: Deferred.await(completion)
    })
    const third: Phase3 = yield* Effect.raceAll<Effect.Effect<Phase3>>([
      Effect.map(enqueued.outcome, (outcome) => ({ _tag: "Outcome", outcome }) as const),
      exited,
      timer
    ])
    let error: LocalFunction.FunctionError | undefined
    switch (third._tag) {
      case "Timeout": {
        yield* onTimeout
        error = FunctionErrors.timedOut(requestId, timeoutMs)
        break
      }
      case "Exited": {
        error = FunctionErrors.exitError(requestId, third.info)
        break
      }
      case "Outcome": {
        const outcome = third.outcome
        if (outcome.status === 413) {
          error = FunctionErrors.tooLarge(
            reply.headers["lambda-runtime-function-response-mode"] === "streaming"
              ? RuntimeApiServer.Limits.streamedResponseBytes
              : RuntimeApiServer.Limits.bufferedResponseBytes
          )
        } else if (outcome.status !== 202) {
          error = FunctionErrors.made(ErrorTypes.InvalidResponse, `the runtime's reply was answered ${outcome.status}`)
        } else if (outcome._tag === "Response") {
          error = FunctionErrors.fromTrailers(outcome.trailers)
        }
      }
    }
    yield* Deferred.succeed(completion, { error, durationMs: elapsed(), logResult: logOf() })
    return "done"
  })
