/**
 * Run a `Handler` on Lambda's managed Node.js runtimes (`nodejs22.x`, `nodejs24.x`): {@link toHandler} turns it into
 * the function the runtime's own client calls, so the function is deployed with the handler setting
 * `index.handler` and no custom runtime.
 *
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Handler, ManagedRuntime } from "effect-lambda-runtime"
 *
 * const Order = Schema.Struct({ id: Schema.String })
 * const orders = Handler.effect(Order, (order) => Effect.succeed({ id: order.id }))
 *
 * // ESM only: the top-level await builds the Layer while the runtime loads the module (its init phase).
 * export const handler = await ManagedRuntime.toHandler(orders)
 * ```
 *
 * How a `Handler` maps onto the managed runtime:
 * - **init**: the Layer is built once, while the module is imported. A Layer that fails rejects the promise
 *   {@link toHandler} returns, so the module fails to load and the runtime reports an init error
 *   (`errorType` = the failure's `_tag`, as with `LambdaRuntime.runMain`); no invocation ever sees it.
 * - **buffered handlers** become `(event, context) => Promise`: the reply's value is what the handler replied.
 *   The managed runtime sends only JSON: a JSON reply is passed on as its value (re-serialized compactly), a
 *   `Handler.raw` text reply becomes a JSON string, and raw bytes that are not UTF-8 fail with
 *   `Runtime.SerializationError`. A reply over 6 MiB fails with `Function.ResponseSizeTooLarge`.
 * - **streamed handlers** (`Handler.stream`, `HttpHandler.make(app, { mode: "streaming" })`) are marked with
 *   `awslambda.streamifyResponse`; the stream is pulled only as fast as the response stream takes it (a `write`
 *   that returns `false` waits for `drain`). The HTTP handler's reply already begins with the HTTP integration
 *   prelude and carries its content type, so it is written exactly as `awslambda.HttpResponseStream.from` would
 *   write it — and the prelude goes out even when the body is empty.
 * - **failures**: a typed failure, a defect or an interruption is reported with the runtime's `ErrorReport` rules
 *   (the `_tag` of a typed failure, a handler's `mapError`) by rejecting with an `Error` whose `name` is the
 *   report's `errorType` and whose `message` is its `errorMessage`. Buffered: a `/error` post. Streamed: the
 *   error trailers, after the bytes already sent (or on an empty body when nothing was sent).
 * - **context**: `InvocationContext` is filled from the runtime's context object: `awsRequestId`, the deadline
 *   (now + `getRemainingTimeInMillis()`), `invokedFunctionArn`, `clientContext`, `identity`, `tenantId`, and the
 *   trace id (`xRayTraceId`, else `_X_AMZN_TRACE_ID`).
 * - **deadline**: as in `LambdaRuntime`'s loop, the invocation is interrupted `EFFECT_LAMBDA_DEADLINE_MARGIN_MS`
 *   (default 200) before its deadline; its finalizers run and `Runtime.DeadlineExceeded` is reported.
 * - **logs**: `Effect.log*` lines are written as `LambdaLogger` writes them (`AWS_LAMBDA_LOG_FORMAT`,
 *   `AWS_LAMBDA_LOG_LEVEL`), with the invocation's request id.
 * - **shutdown**: Lambda sends SIGTERM only when an extension is registered; then the Layer's finalizers run
 *   (bounded by `EFFECT_LAMBDA_SHUTDOWN_TIMEOUT_MS`, default 500) and the process ends by the signal, as it does
 *   without the adapter.
 *
 * @since 0.1.0
 */
import type * as Layer from "effect/Layer"
import type * as Handler from "./handler/Handler.js"
import * as internal from "./internal/managed/toHandler.js"

/**
 * The context object the managed runtime passes to a handler (the fields the adapter reads).
 *
 * @since 0.1.0
 * @category models
 */
export interface LambdaContext {
  readonly awsRequestId: string
  readonly invokedFunctionArn: string
  readonly getRemainingTimeInMillis: () => number
  /** Parsed `Lambda-Runtime-Client-Context`, when the invoke carried one. */
  readonly clientContext?: unknown
  /** Parsed `Lambda-Runtime-Cognito-Identity`, when the invoke carried one. */
  readonly identity?: unknown
  readonly tenantId?: string | undefined
  readonly xRayTraceId?: string | undefined
}

/**
 * The writable response stream the managed runtime passes to a streaming handler (the members the adapter uses).
 *
 * @since 0.1.0
 * @category models
 */
export interface ResponseStream {
  /** `false`: the buffer is full; wait for `drain`. */
  readonly write: (chunk: Uint8Array) => boolean
  readonly end: (callback?: (error?: Error | null) => void) => void
  readonly destroy: (error?: Error) => void
  /** Only before the first write. */
  readonly setContentType: (contentType: string) => void
  readonly once: (event: "drain" | "close" | "error", listener: (error?: unknown) => void) => unknown
  readonly off: (event: "drain" | "close" | "error", listener: (error?: unknown) => void) => unknown
  readonly writableFinished: boolean
}

/**
 * A buffered function for the managed runtime: `(event, context)`, resolving with the reply's value.
 *
 * @since 0.1.0
 * @category models
 */
export type BufferedFunction = (event: unknown, context: LambdaContext) => Promise<unknown>

/**
 * A streaming function for the managed runtime (marked with `awslambda.streamifyResponse`).
 *
 * @since 0.1.0
 * @category models
 */
export type StreamingFunction = (
  event: unknown,
  responseStream: ResponseStream,
  context: LambdaContext
) => Promise<void>

/**
 * What {@link toHandler} resolves with: the function to export as the module's `handler`.
 *
 * @since 0.1.0
 * @category models
 */
export type ManagedHandler = BufferedFunction | StreamingFunction

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<R, E> {
  /** What the handler needs (required when it needs anything), built once, at init. */
  readonly layer?: Layer.Layer<R, E>
  /** Streamed handlers: the response stream's buffer size in bytes (the runtime's default when not given). */
  readonly highWaterMark?: number
}

/**
 * Build `handler`'s Layer (once) and resolve with the function the managed Node.js runtime calls: export it as the
 * module's `handler` with a top-level `await`. Buffered handlers give a `BufferedFunction`; streamed handlers a
 * `StreamingFunction` marked with `awslambda.streamifyResponse`. Rejects (an init error) when the Layer fails to
 * build, when an environment setting of the runtime is malformed, or when a streamed handler runs outside the
 * managed runtime (no `awslambda` global). See the module documentation for the reply, error and deadline rules.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toHandler: <E, R, LE = never>(
  handler: Handler.Handler<E, R>,
  ...options: [R] extends [never]
    ? [options?: Options<R, LE>]
    : [options: Options<R, LE> & { readonly layer: Layer.Layer<R, LE> }]
) => Promise<ManagedHandler> = (handler, ...options) => internal.toHandler(handler, options[0])
