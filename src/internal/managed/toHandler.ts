/**
 * The body of `ManagedRuntime.toHandler`: build the Layer at init, then run each invocation the managed runtime
 * hands over in its own fiber, with its `InvocationContext`, its deadline, and exactly one outcome (a value, or a
 * rejection with an `Error` named after the report's `errorType`).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Handler from "../../handler/Handler.js"
import * as LambdaLogger from "../../layers/LambdaLogger.js"
import * as ErrorTypes from "../ErrorTypes.js"
import * as TraceIdEnv from "../TraceIdEnv.js"
import type {
  BufferedFunction,
  LambdaContext,
  ManagedHandler,
  Options,
  ResponseStream,
  StreamingFunction
} from "../../ManagedRuntime.js"
import * as InvocationContext from "../../services/InvocationContext.js"
import { MaxBufferedBytes, ResponseSizeTooLargeType } from "../../services/ResponseSink.js"
import * as RuntimeConfig from "../../services/RuntimeConfig.js"
import { DeadlineExceededType } from "../../services/RuntimeLoop.js"
import * as ChunkedUpload from "../../streaming/ChunkedUpload.js"
import * as ErrorReport from "../../streaming/ErrorReport.js"
import { fromLambdaContext } from "./context.js"
import * as ResponseStreamWriter from "./responseStream.js"

/** The `awslambda` global the managed runtime installs (the member the adapter uses). */
interface AwsLambdaGlobal {
  readonly streamifyResponse: (
    handler: StreamingFunction,
    options?: { readonly highWaterMark?: number }
  ) => StreamingFunction
}

const SerializationErrorType = ErrorTypes.SerializationError

/** The `Error` the managed runtime turns into this report: it reads `name`, `message` and `stack`. */
const toError = (report: ErrorReport.ErrorReport): Error => {
  const error = new Error(report.errorMessage)
  Object.defineProperty(error, "name", { value: report.errorType, writable: true, configurable: true })
  Object.defineProperty(error, "stack", {
    value: report.stackTrace.length === 0 ? undefined : report.stackTrace.join("\n"),
    writable: true,
    configurable: true
  })
  return error
}

const shutdownBudgetMs = (): number => {
  const raw = Number(process.env.EFFECT_LAMBDA_SHUTDOWN_TIMEOUT_MS)
  return Number.isFinite(raw) && raw >= 0 ? raw : 500
}

const isJson = (contentType: string): boolean => {
  const type = contentType.split(";")[0]!.trim().toLowerCase()
  return type === "application/json" || type.endsWith("+json")
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** A buffered reply as the value the managed runtime serializes (it sends JSON only). */
const toValue = (payload: Handler.Payload): unknown => {
  const size = typeof payload.body === "string" ? Buffer.byteLength(payload.body, "utf8") : payload.body.length
  if (size > MaxBufferedBytes) {
    throw toError(
      ErrorReport.make(
        ResponseSizeTooLargeType,
        `Response payload size (${size} bytes) exceeded maximum allowed payload size (${MaxBufferedBytes} bytes).`
      )
    )
  }
  let text: string
  try {
    text = typeof payload.body === "string" ? payload.body : utf8.decode(payload.body)
  } catch {
    throw toError(
      ErrorReport.make(
        SerializationErrorType,
        `The ${payload.contentType} reply is not UTF-8 text; the managed runtime sends buffered replies as JSON only.`
      )
    )
  }
  if (!isJson(payload.contentType)) return text
  try {
    return JSON.parse(text)
  } catch (error) {
    throw toError(
      ErrorReport.make(
        SerializationErrorType,
        `The ${payload.contentType} reply is not valid JSON: ${error instanceof Error ? error.message : String(error)}`
      )
    )
  }
}

/** A buffered payload sent on a response stream: one chunk (none when empty). */
const payloadStream = (payload: Handler.Payload): Handler.StreamReply => {
  const bytes = typeof payload.body === "string" ? Buffer.from(payload.body, "utf8") : payload.body
  return new Handler.StreamReply(bytes.length === 0 ? Stream.empty : Stream.succeed(bytes), payload.contentType)
}

const eventBytes = (event: unknown): Uint8Array => Buffer.from(JSON.stringify(event === undefined ? null : event))

/** What one invocation needs from init. */
interface Prepared<R> {
  readonly runtime: Runtime.Runtime<R>
  readonly marginMs: number
  readonly maxStreamedBytes: number
}

/**
 * Run `work` for one invocation in its own fiber, interrupted `marginMs` before the deadline (`state.timedOut` says
 * so from then on, for the reports made while the fiber ends). Resolves with its exit.
 */
const runInvocation = <A, R>(
  prepared: Prepared<R>,
  context: InvocationContext.Context,
  state: { timedOut: boolean },
  work: Effect.Effect<A, unknown, R | InvocationContext.InvocationContext>
): Promise<Exit.Exit<A, unknown>> =>
  new Promise((resolve) => {
    const fiber = Runtime.runFork(prepared.runtime)(
      Effect.provideService(work, InvocationContext.InvocationContext, context)
    )
    const timer = setTimeout(
      () => {
        state.timedOut = true
        fiber.unsafeInterruptAsFork(FiberId.none)
      },
      Math.max(0, context.deadlineMs - Date.now() - prepared.marginMs)
    )
    fiber.addObserver((exit) => {
      clearTimeout(timer)
      resolve(exit)
    })
  })

const reporter =
  <E, R>(handler: Handler.Handler<E, R>, prepared: Prepared<R>, state: { timedOut: boolean }) =>
  (cause: Cause.Cause<unknown>): ErrorReport.ErrorReport =>
    state.timedOut && Cause.isInterruptedOnly(cause)
      ? ErrorReport.make(
          DeadlineExceededType,
          `Task timed out: the invocation was stopped ${prepared.marginMs} ms before its deadline.`
        )
      : handler.report(cause)

const buffered =
  <E, R>(handler: Handler.Handler<E, R>, prepared: Prepared<R>): BufferedFunction =>
  async (event, lambdaContext) => {
    const state = { timedOut: false }
    const exit = await runInvocation(prepared, fromLambdaContext(lambdaContext), state, handler.run(eventBytes(event)))
    if (Exit.isFailure(exit)) throw toError(reporter(handler, prepared, state)(exit.cause))
    const reply = exit.value
    if (reply instanceof Handler.StreamReply) {
      throw toError(
        ErrorReport.make(ErrorTypes.InvalidReply, "A buffered handler replied with a stream; use Handler.stream.")
      )
    }
    return toValue(reply)
  }

const streaming =
  <E, R>(handler: Handler.Handler<E, R>, prepared: Prepared<R>): StreamingFunction =>
  async (event, responseStream: ResponseStream, lambdaContext: LambdaContext) => {
    const context = fromLambdaContext(lambdaContext)
    const state = { timedOut: false }
    const report = reporter(handler, prepared, state)
    const work = Effect.flatMap(handler.run(eventBytes(event)), (reply) => {
      const stream = reply instanceof Handler.StreamReply ? reply : payloadStream(reply)
      return ChunkedUpload.run(stream.stream, ResponseStreamWriter.open(responseStream, stream.contentType), {
        maxBytes: prepared.maxStreamedBytes,
        report
      })
    }) as Effect.Effect<ChunkedUpload.Outcome, unknown, R | InvocationContext.InvocationContext>
    const exit = await runInvocation(prepared, context, state, work)
    if (Exit.isFailure(exit)) throw toError(report(exit.cause))
    const outcome = exit.value
    switch (outcome._tag) {
      case "Completed":
        return
      case "NotStarted":
      case "Failed":
        throw toError(outcome.report)
      case "Broken":
        throw toError(ErrorReport.fromFailure(outcome.error))
    }
  }

/**
 * On SIGTERM (Lambda sends it only when an extension is registered): close the Layer's scope, bounded, then end the
 * process with the signal's default action, as if no listener had been there. (`process.exit` is not used: it waits
 * for the official client's pending `/next`, which never returns.)
 */
const scopes = new Set<Scope.CloseableScope>()

const closeOnSigterm = (scope: Scope.CloseableScope): void => {
  // Loaded, not imported: an ES module import of node:worker_threads makes Node read every export.
  if (!process.getBuiltinModule("node:worker_threads").isMainThread) return
  scopes.add(scope)
  if (scopes.size > 1) return
  process.once("SIGTERM", () => {
    const budget = shutdownBudgetMs()
    Effect.runPromise(
      Effect.forEach(scopes, (open) => Scope.close(open, Exit.void), { concurrency: "unbounded", discard: true }).pipe(
        Effect.disconnect,
        Effect.timeoutOption(budget),
        Effect.ignore
      )
    ).finally(() => process.kill(process.pid, "SIGTERM"))
  })
}

/** @internal */
export const toHandler = async <E, R, LE>(
  handler: Handler.Handler<E, R>,
  options: Options<R, LE> = {}
): Promise<ManagedHandler> => {
  // The managed runtime owns the Runtime API; only our own settings are read from the environment.
  const settings = await Effect.runPromiseExit(
    RuntimeConfig.fromEnv({ ...process.env, AWS_LAMBDA_RUNTIME_API: "127.0.0.1:9001" })
  )
  if (Exit.isFailure(settings)) throw toError(ErrorReport.fromCause(settings.cause))
  const config = settings.value
  // The official client sets _X_AMZN_TRACE_ID per invocation (one at a time): through the proxy, not `setenv`.
  if (config.maxConcurrency <= 1) TraceIdEnv.install()
  const awslambda = (globalThis as unknown as { readonly awslambda?: Partial<AwsLambdaGlobal> }).awslambda
  if (handler._tag === "Streamed" && typeof awslambda?.streamifyResponse !== "function") {
    throw toError(
      ErrorReport.make(
        ErrorTypes.StreamingUnavailable,
        "This handler streams its reply, but awslambda.streamifyResponse is not defined: run it on the managed Node.js runtime (with AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA unset)."
      )
    )
  }
  const scope = Effect.runSync(Scope.make())
  const userLayer = (options.layer ?? Layer.empty) as Layer.Layer<R, LE>
  const built = await Effect.runPromiseExit(
    // Each invocation's outcome is reported by the adapter; a fiber ending in failure is not news to log.
    FiberRef.set(FiberRef.unhandledErrorLogLevel, Option.none()).pipe(
      Effect.zipRight(Scope.extend(Layer.toRuntime(userLayer), scope)),
      Effect.tapErrorCause((cause) => {
        const report = ErrorReport.fromCause(cause)
        const line = `Init Error: ${report.errorType}: ${report.errorMessage}`
        return Cause.isDie(cause) ? Effect.logError(line, cause) : Effect.logError(line)
      }),
      Effect.provide(LambdaLogger.layer({ format: config.logFormat, level: config.logLevel }))
    )
  )
  if (Exit.isFailure(built)) {
    await Effect.runPromise(Effect.ignore(Scope.close(scope, built)))
    throw toError(ErrorReport.fromCause(built.cause))
  }
  closeOnSigterm(scope)
  const prepared: Prepared<R> = {
    runtime: built.value,
    marginMs: config.deadlineMarginMs,
    maxStreamedBytes: config.maxStreamedBytes
  }
  if (handler._tag === "Buffered") return buffered(handler, prepared)
  const streamify = awslambda!.streamifyResponse!
  return streamify(
    streaming(handler, prepared),
    options.highWaterMark === undefined ? undefined : { highWaterMark: options.highWaterMark }
  )
}
