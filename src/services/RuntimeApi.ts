/**
 * The Lambda Runtime API client: take the next invocation, reply to it, report its error, report an
 * init error.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as ErrorReport from "../streaming/ErrorReport.js"

/**
 * One invocation as `/next` delivered it: the request id, every header (names lower-case) and the raw event bytes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Invocation {
  readonly requestId: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
}

/**
 * A call to the Runtime API failed.
 *
 * - `Transport`: the connection failed or closed before a full response arrived;
 * - `StatusCode`: the API answered with a status other than the expected one (`status` says which);
 * - `Protocol`: the answer could not be understood (malformed HTTP, `/next` without a request id).
 *
 * @since 0.1.0
 * @category errors
 */
export class RuntimeApiError extends Data.TaggedError("RuntimeApiError")<{
  readonly reason: "Transport" | "StatusCode" | "Protocol"
  readonly endpoint: string
  readonly status?: number | undefined
  readonly detail?: string | undefined
  readonly cause?: unknown
}> {
  override get message(): string {
    return (
      `${this.reason} error on ${this.endpoint}` +
      (this.status === undefined ? "" : ` (HTTP ${this.status})`) +
      (this.detail === undefined ? "" : `: ${this.detail}`)
    )
  }
}

/**
 * The two trailers that end a streamed reply in error: the (header-safe) error type and the standard
 * base64 of the JSON error report.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorTrailers {
  readonly "Lambda-Runtime-Function-Error-Type": string
  readonly "Lambda-Runtime-Function-Error-Body": string
}

/**
 * An open streamed `POST /response` (chunked, `Lambda-Runtime-Function-Response-Mode: streaming`, both error
 * trailers declared).
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamWriter {
  /** Write one non-empty chunk. `false`: the connection's buffer is full; wait for {@link drained}. */
  readonly write: (chunk: Uint8Array) => boolean
  /** Succeeds when the connection can take more; fails if it broke or the API answered before the end. */
  readonly drained: Effect.Effect<void, RuntimeApiError>
  /** End the body, with trailers when given, and wait for the API's answer (any non-2xx fails with `StatusCode`). */
  readonly end: (trailers?: ErrorTrailers) => Effect.Effect<void, RuntimeApiError>
  /** Give up on the reply: close the connection without ending the body. */
  readonly abort: Effect.Effect<void>
}

/**
 * What the caller of a reply or an error report does next.
 *
 * @since 0.1.0
 * @category models
 */
export interface PostOptions {
  /**
   * Its next call is `next`: the transport may send `GET /next` right behind the POST, in the same write (HTTP/1.1
   * pipelining), and hand that answer to the `next` call. The runtime loop sets it; a caller that will not ask for the
   * next invocation (a report made just before the process exits) leaves it unset, so no `/next` is left pending.
   */
  readonly thenNext?: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Long-poll `GET /runtime/invocation/next`. No client timeout. */
  readonly next: Effect.Effect<Invocation, RuntimeApiError>
  /** `POST /runtime/invocation/{id}/response` with a buffered body (a string is sent as UTF-8). */
  readonly reply: (
    invocation: Invocation,
    body: string | Uint8Array,
    contentType: string,
    options?: PostOptions
  ) => Effect.Effect<void, RuntimeApiError>
  /** Open a streamed `POST /runtime/invocation/{id}/response`; the head goes out with the first chunk. */
  readonly openStream: (invocation: Invocation, contentType: string) => Effect.Effect<StreamWriter, RuntimeApiError>
  /** `POST /runtime/invocation/{id}/error` with a JSON error report. */
  readonly reportError: (
    invocation: Invocation,
    report: ErrorReport.ErrorReport,
    options?: PostOptions
  ) => Effect.Effect<void, RuntimeApiError>
  /** `POST /runtime/init/error`. */
  readonly reportInitError: (report: ErrorReport.ErrorReport) => Effect.Effect<void, RuntimeApiError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RuntimeApi extends Context.Tag("effect-lambda-runtime/RuntimeApi")<RuntimeApi, Service>() {}

/**
 * Runtime API paths (below `http://${AWS_LAMBDA_RUNTIME_API}`).
 *
 * @since 0.1.0
 * @category constants
 */
export const Paths = {
  next: "/2018-06-01/runtime/invocation/next",
  response: (requestId: string) => `/2018-06-01/runtime/invocation/${encodeURIComponent(requestId)}/response`,
  error: (requestId: string) => `/2018-06-01/runtime/invocation/${encodeURIComponent(requestId)}/error`,
  initError: "/2018-06-01/runtime/init/error"
} as const
