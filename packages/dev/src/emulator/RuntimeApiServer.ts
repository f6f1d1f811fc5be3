/**
 * A strict Lambda Runtime API server on 127.0.0.1, for wire tests, end-to-end tests and the local emulator.
 *
 * It serves the four endpoints a runtime uses (`/next`, `/{id}/response`, `/{id}/error`, `/init/error`)
 * over real HTTP, hands each queued invocation to exactly one `/next` poll, checks every reply against the
 * protocol, and records every exchange byte-exact (bodies, lower-case headers, HTTP trailers) so that tests
 * can assert on what the runtime put on the wire. Faults can be injected per invocation.
 *
 * It also serves the two calls of Lambda's Extensions API that a runtime needs for a graceful shutdown
 * (`POST /2020-01-01/extension/register`, `GET /2020-01-01/extension/event/next`): see {@link Extension} and
 * {@link Service}.shutdown.
 *
 * An invocation can also be observed while it runs: {@link Enqueued} tells when a `/next` poll took it (and
 * its deadline) and hands over its reply as soon as the reply's POST starts. For a `live` invocation the body
 * of a `/response` is passed on chunk by chunk as it arrives, with backpressure, followed by its trailers in
 * the outcome. The local emulator (`LocalFunction`) is built on this.
 *
 * @since 0.1.0
 */
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import * as internal from "./internal/RuntimeApiServer.js"

/**
 * One invocation to hand to the runtime, and the faults to inject into it.
 *
 * The optional `/next` headers (`Lambda-Runtime-Client-Context`, `Lambda-Runtime-Cognito-Identity`,
 * `Lambda-Runtime-Aws-Tenant-Id`, `Lambda-Runtime-Invocation-Id`) are given through `headers`. A header
 * given there replaces the default of the same name (names are case-insensitive); `null` removes it, so a
 * test can send a malformed `/next` (non-numeric deadline, no ARN, no request id, invalid JSON…). An
 * `Lambda-Runtime-Invocation-Id` sent on `/next` must be echoed on the reply.
 *
 * @since 0.1.0
 * @category models
 */
export interface InvokeRequest {
  /** The event body, sent as is (a string is sent as UTF-8). */
  readonly event: Uint8Array | string
  /** Default: a fresh random UUID. */
  readonly requestId?: string
  /** The deadline is the time `/next` answers plus this (default {@link Defaults}.timeoutMs). */
  readonly timeoutMs?: number
  /** Extra or replacement `/next` response headers; `null` removes a header. */
  readonly headers?: Readonly<Record<string, string | null>>
  /** Answer the `/next` poll that takes this invocation with this status and a JSON error body instead. */
  readonly nextStatus?: number
  /** Destroy the socket of the `/next` poll that takes this invocation, without answering. */
  readonly dropNext?: boolean
  /** Answer the reply POST of this invocation with this status (and a JSON error body), still recording it. */
  readonly replyStatus?: number
  /**
   * Observe the reply while it arrives (see {@link Enqueued}.reply): the body of a `/response` is handed on
   * chunk by chunk as it arrives instead of being kept, so the outcome's `body` is empty. The POST is paused
   * while more than {@link Limits}.liveBufferBytes are waiting, so the body must be consumed.
   */
  readonly live?: boolean
}

/**
 * An error report as received on `/error` or `/init/error`, when the body is a JSON object with string
 * `errorType` and `errorMessage` (`stackTrace` is kept when it is an array of strings).
 *
 * @since 0.1.0
 * @category models
 */
export interface ReceivedReport {
  readonly errorType: string
  readonly errorMessage: string
  readonly stackTrace?: ReadonlyArray<string>
}

/**
 * The first reply to an invocation was a `POST …/{id}/response`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResponseOutcome {
  readonly _tag: "Response"
  readonly requestId: string
  /** The status this server answered the POST with (202 when all was well). */
  readonly status: number
  /** Request headers, names lower-case. */
  readonly headers: Readonly<Record<string, string>>
  /** The body bytes, exactly as received (cut at the size limit when the server answered 413). */
  readonly body: Uint8Array
  /** HTTP trailers of a chunked body, names lower-case. */
  readonly trailers: Readonly<Record<string, string>>
  /** Whether the body was sent with `Transfer-Encoding: chunked`. */
  readonly streamed: boolean
}

/**
 * The first reply to an invocation was a `POST …/{id}/error`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorOutcome {
  readonly _tag: "Error"
  readonly requestId: string
  /** The status this server answered the POST with (202 when all was well). */
  readonly status: number
  /** Request headers, names lower-case. */
  readonly headers: Readonly<Record<string, string>>
  /** The body bytes, exactly as received. */
  readonly body: Uint8Array
  /** The parsed body, `undefined` when it is not a standard error object. */
  readonly report: ReceivedReport | undefined
}

/**
 * How the runtime replied to an invocation.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome = ResponseOutcome | ErrorOutcome

/**
 * A `POST /runtime/init/error` as received.
 *
 * @since 0.1.0
 * @category models
 */
export interface InitError {
  /** Request headers, names lower-case. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
  readonly report: ReceivedReport | undefined
}

/**
 * One HTTP request the server received and what became of it.
 *
 * - `pending`: not answered yet (a `/next` poll still waiting, a body still arriving);
 * - `answered`: answered with `status`;
 * - `dropped`: its socket was destroyed on purpose (`dropNext`);
 * - `aborted`: the client went away before it was answered.
 *
 * @since 0.1.0
 * @category models
 */
export interface Exchange {
  readonly method: string
  /** The request target as received (still URL-encoded). */
  readonly path: string
  /** Request headers, names lower-case (repeated headers joined with `", "`). */
  readonly headers: Readonly<Record<string, string>>
  /** Number of request body bytes received. */
  readonly bodyLength: number
  /** HTTP trailers, names lower-case. */
  readonly trailers: Readonly<Record<string, string>>
  readonly state: "pending" | "answered" | "dropped" | "aborted"
  /** The status answered, `undefined` unless `state` is `answered`. */
  readonly status: number | undefined
  /** The invocation this exchange carried (`/next`) or replied to (`/response`, `/error`). */
  readonly requestId: string | undefined
}

/**
 * A `/next` poll took an invocation.
 *
 * @since 0.1.0
 * @category models
 */
export interface Delivery {
  readonly requestId: string
  /** The `Lambda-Runtime-Deadline-Ms` sent with it (Unix epoch milliseconds). */
  readonly deadlineMs: number
}

/**
 * The body of a `/response` stopped before its end: the runtime's connection closed mid-body.
 *
 * @since 0.1.0
 * @category errors
 */
export class ReplyAborted extends Data.TaggedError("ReplyAborted")<{
  readonly requestId: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `the reply to ${this.requestId} was cut short: ${String(this.cause)}`
  }
}

/**
 * A `/response` POST that has started. Its body is read once: chunk by chunk as they arrive for a `live`
 * invocation, otherwise the whole recorded body at once. The trailers and the status this server answered
 * are in the invocation's outcome, which completes once the body has ended.
 *
 * @since 0.1.0
 * @category models
 */
export interface LiveResponse {
  readonly _tag: "Response"
  readonly requestId: string
  /** Request headers, names lower-case. */
  readonly headers: Readonly<Record<string, string>>
  /** Whether the body is sent with `Transfer-Encoding: chunked`. */
  readonly streamed: boolean
  /** Fails with {@link ReplyAborted} when the POST is cut short. Bytes past the size limit are dropped. */
  readonly body: Stream.Stream<Uint8Array, ReplyAborted>
}

/**
 * The first reply to an invocation, as soon as it starts: a `/response` being received, or a whole `/error`.
 *
 * @since 0.1.0
 * @category models
 */
export type Reply = LiveResponse | ErrorOutcome

/**
 * An invocation that was queued.
 *
 * @since 0.1.0
 * @category models
 */
export interface Enqueued {
  readonly requestId: string
  /**
   * Waits for the first reply to the invocation. An invocation whose `/next` was dropped or failed
   * never gets one: bound the wait with `Effect.timeout`. Interrupted when the server stops.
   */
  readonly outcome: Effect.Effect<Outcome>
  /** Waits until a `/next` poll has taken the invocation. Interrupted when the server stops. */
  readonly delivered: Effect.Effect<Delivery>
  /**
   * Waits for the first reply to start (a `/response` whose headers arrived, or a complete `/error`). Only
   * replies the server accepts count: a rejected reply (unknown id, second reply) does not. Interrupted when
   * the server stops.
   */
  readonly reply: Effect.Effect<Reply>
}

/**
 * An event type an extension registers for.
 *
 * @since 0.1.0
 * @category models
 */
export type ExtensionEventType = "INVOKE" | "SHUTDOWN"

/**
 * Why the function is being shut down, as the `SHUTDOWN` event says it.
 *
 * @since 0.1.0
 * @category models
 */
export type ShutdownReason = "spindown" | "timeout" | "failure"

/**
 * An extension registered through `POST /2020-01-01/extension/register`. It gets an `INVOKE` event on
 * `GET /2020-01-01/extension/event/next` for each invocation delivered (when it registered for `INVOKE`), and
 * the `SHUTDOWN` event from {@link Service}.shutdown (when it registered for `SHUTDOWN`). A registration
 * after the runtime's first `/next` is accepted but noted as a protocol violation (Lambda allows it only
 * during init).
 *
 * @since 0.1.0
 * @category models
 */
export interface Extension {
  /** The `Lambda-Extension-Identifier` it was given. */
  readonly id: string
  /** Its `Lambda-Extension-Name`. */
  readonly name: string
  readonly events: ReadonlyArray<ExtensionEventType>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** `127.0.0.1:PORT`, the value for `AWS_LAMBDA_RUNTIME_API`. */
  readonly address: string
  /** Queue an invocation and wait for its first reply. Dies if the request id is already queued or in flight. */
  readonly invoke: (request: InvokeRequest) => Effect.Effect<Outcome>
  /** Queue an invocation. Dies if the request id is already queued or in flight, or a header is not valid HTTP. */
  readonly enqueue: (request: InvokeRequest) => Effect.Effect<Enqueued>
  /** Every `/init/error` received, in order. */
  readonly initErrors: Effect.Effect<ReadonlyArray<InitError>>
  /** Waits for the first `/init/error`. */
  readonly awaitInitError: Effect.Effect<InitError>
  /** Every request received, in arrival order. */
  readonly exchanges: Effect.Effect<ReadonlyArray<Exchange>>
  /**
   * Protocol violations seen, in order: a reply to an unknown, undelivered or already answered request id,
   * a bad `Lambda-Runtime-Function-Response-Mode`, a `Lambda-Runtime-Invocation-Id` that does not match (or
   * is missing, or was not expected), a request body cut short, a request to an unknown endpoint.
   */
  readonly violations: Effect.Effect<ReadonlyArray<string>>
  /** How many `/next` requests have been received in total. */
  readonly nextPolls: Effect.Effect<number>
  /** The extensions registered through `POST /2020-01-01/extension/register`, in order. */
  readonly extensions: Effect.Effect<ReadonlyArray<Extension>>
  /**
   * Send the `SHUTDOWN` event (`{"eventType":"SHUTDOWN","shutdownReason","deadlineMs"}`) to every extension
   * registered for it, on its pending (or next) `GET /2020-01-01/extension/event/next`. Returns how many
   * extensions it was sent to.
   */
  readonly shutdown: (reason: ShutdownReason, deadlineMs: number) => Effect.Effect<number>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RuntimeApiServer extends Context.Tag("effect-lambda-runtime/RuntimeApiServer")<
  RuntimeApiServer,
  Service
>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Port on 127.0.0.1; default 0 (a free port). */
  readonly port?: number
  /** `Lambda-Runtime-Invoked-Function-Arn` on `/next`; its last part is the function name. Default {@link Defaults}.functionArn. */
  readonly functionArn?: string
  /** The `handler` an extension's registration is answered with. Default {@link Defaults}.handler. */
  readonly handler?: string
}

/**
 * Defaults of the `/next` headers.
 *
 * @since 0.1.0
 * @category constants
 */
export const Defaults = {
  functionArn: "arn:aws:lambda:us-east-1:123456789012:function:test-function",
  timeoutMs: 30_000,
  contentType: "application/json",
  handler: "index.handler"
} as const

/**
 * Body size limits of `/response`: a buffered body may have 6,291,556 bytes (6 MiB + 100, the limit the
 * platform's Runtime API enforces), a body sent with `Lambda-Runtime-Function-Response-Mode: streaming`
 * 200 MiB.
 * Larger bodies are read to the end and answered 413 `RequestEntityTooLarge`. `liveBufferBytes`: how much
 * of a live body may wait for its reader before the POST is paused.
 *
 * @since 0.1.0
 * @category constants
 */
export const Limits = {
  bufferedResponseBytes: 6_291_556,
  streamedResponseBytes: 200 * 1024 * 1024,
  liveBufferBytes: 256 * 1024
} as const

/**
 * Start the server on 127.0.0.1 in the current scope. Closing the scope stops listening, destroys every
 * open connection (pending `/next` polls included) and interrupts the callers still waiting for an outcome.
 * Fails with `ServeError` when the port cannot be bound.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: Options) => Effect.Effect<Service, HttpServerError.ServeError, Scope.Scope> =
  internal.make

/**
 * The server as a scoped layer: started when the layer is built, stopped when its scope closes.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<RuntimeApiServer, HttpServerError.ServeError> =>
  Layer.scoped(RuntimeApiServer, make(options))
