/**
 * The HTTP fronts of the local Lambda, all on one port (127.0.0.1 by default), in front of a
 * {@link LocalFunction}:
 *
 * | Request | Front |
 * | --- | --- |
 * | `POST /2015-03-31/functions/{name}/invocations` | the Lambda `Invoke` API (what `@aws-sdk/client-lambda` calls); `{name}` = `function` is the path of AWS's own emulator |
 * | `POST /2021-11-15/functions/{name}/response-streaming-invocations` | `InvokeWithResponseStream`, in the AWS event-stream encoding |
 * | anything else | a Function URL: the request becomes a payload-2.0 event |
 *
 * The Lambda API paths accept the function's name, its ARN (full or partial), and `function`; any other name
 * is answered 404 `ResourceNotFoundException`. An `X-Amz-Client-Context` that is not base64 of a JSON object
 * is answered 400 `InvalidRequestContentException`, as Lambda does; a valid one reaches the function with
 * any character (non-Latin-1 ones too). How errors reach each kind of client:
 *
 * - **`Invoke`**: a function error (an `/error` post, error trailers, an init error, a timeout, a crash, a reply
 *   over 6 MB) is HTTP 200 with `X-Amz-Function-Error: Unhandled` and the error object as the payload
 *   (`{"errorType","errorMessage",…}`), as Lambda answers; the SDK gives `FunctionError: "Unhandled"` and the
 *   payload. Problems with the request itself are API errors (`X-Amzn-ErrorType`, e.g. 400
 *   `InvalidRequestContentException` for a payload that is not JSON, 413 `RequestEntityTooLargeException`).
 *   `InvocationType: Event` answers 202 at once and runs the invocation in the background; `DryRun` answers 204.
 *   `LogType: Tail` returns the invocation's log in `X-Amz-Log-Result`.
 * - **`InvokeWithResponseStream`**: HTTP 200 (`Content-Type`: the function's content type), one `PayloadChunk`
 *   event per piece of body as it arrives, then `InvokeComplete`; on any error `InvokeComplete` carries
 *   `ErrorCode` (the error type, e.g. `UpstreamClosed`, `Sandbox.Timedout`) and `ErrorDetails` (its message),
 *   after whatever bytes were already streamed.
 * - **Function URL, buffered** (the default): the reply is translated by {@link FunctionUrlFront.fromBuffered}; any
 *   error, or an invalid reply, is a 502 with `{"message":"Internal Server Error"}` and the details in the log.
 * - **Function URL, streamed** (`functionUrl: "streamed"`, Lambda's `RESPONSE_STREAM` invoke mode): a reply
 *   with the HTTP-integration prelude has its status and headers sent as soon as the prelude is decoded, then
 *   its body chunk by chunk as the function writes it (chunked transfer encoding). An error before the prelude
 *   is a 502. An error after it (error trailers, a timeout, a crash) **cuts the response off**: the connection
 *   is closed without the final empty chunk, so the client sees an incomplete body (`curl` exits with code 18,
 *   "transfer closed with outstanding read data remaining"; `fetch` rejects the body read); no error text is
 *   ever added to the body. A streamed reply without a prelude is sent as a 200 with its own content type.
 *   A buffered reply is translated as in buffered mode.
 *
 * Leniencies of this emulator (real Function URLs may answer 502 instead): in buffered mode a streamed reply
 * with a prelude is collected and served; a buffered reply that is not JSON is served as is.
 *
 * Every request is logged on the `Console` in one line: method and path (or the API operation and function
 * name), the status or the error type, the duration and the bytes sent.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/Emulator.js"
import type * as LocalFunction from "./LocalFunction.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Default {@link Defaults}.port; 0 picks a free port. */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly host?: string
  /** How the Function URL front answers: `buffered` (default) or `streamed` (`RESPONSE_STREAM`). */
  readonly functionUrl?: "buffered" | "streamed"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** `http://HOST:PORT`, without a trailing slash. */
  readonly url: string
  readonly port: number
  readonly functionUrl: "buffered" | "streamed"
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Emulator extends Context.Tag("effect-lambda-runtime/Emulator")<Emulator, Service>() {}

/**
 * The port could not be listened on.
 *
 * @since 0.1.0
 * @category errors
 */
export class EmulatorError extends Schema.TaggedError<EmulatorError>()("EmulatorError", {
  reason: Schema.Literal("PortInUse", "Listen"),
  port: Schema.Number,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return this.reason === "PortInUse"
      ? `port ${this.port} is already in use`
      : `cannot listen on port ${this.port}: ${String(this.cause)}`
  }
}

/**
 * @since 0.1.0
 * @category constants
 */
export const Defaults = {
  port: 3000,
  host: "127.0.0.1"
} as const

/**
 * Request and response size limits of the fronts: a request up to 6 MiB (`Invoke` and buffered Function
 * URLs), a buffered reply up to 6,291,556 bytes (6 MiB + 100, the limit the platform's Runtime API enforces).
 *
 * @since 0.1.0
 * @category constants
 */
export const Limits = {
  requestBytes: 6 * 1024 * 1024,
  bufferedResponseBytes: 6_291_556
} as const

/**
 * The paths of the Lambda API fronts for a function name.
 *
 * @since 0.1.0
 * @category constants
 */
export const Paths = {
  invoke: (name: string) => `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`,
  invokeWithResponseStream: (name: string) =>
    `/2021-11-15/functions/${encodeURIComponent(name)}/response-streaming-invocations`
} as const

/**
 * Start the fronts in the current scope. Closing the scope stops listening and closes every connection.
 * Fails with {@link EmulatorError} when the port cannot be listened on.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  options?: Options
) => Effect.Effect<Service, EmulatorError, Scope.Scope | LocalFunction.LocalFunction> = internal.make

/**
 * The fronts as a scoped layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Emulator, EmulatorError, LocalFunction.LocalFunction> =>
  Layer.scoped(Emulator, make(options))
