/**
 * Where an invocation's outcome goes: a buffered reply or an error report, posted through the
 * {@link RuntimeApi.RuntimeApi} with the Runtime API's status codes turned into decisions (§3.6):
 *
 * - a buffered body over {@link MaxBufferedBytes} is not posted; `Function.ResponseSizeTooLarge` is reported instead;
 * - 413 on `/response`: the platform has already answered the caller with `Function.ResponseSizeTooLarge`:
 *   logged, and nothing more is posted for that invocation;
 * - 400, 403, 410 (and any other 4xx): logged; the invocation is over and the loop goes on;
 * - 500: fails with `RuntimeApiError` (the container is broken; the runtime exits non-zero);
 * - a transport failure after the client's retry: logged; the loop goes on (the next `/next` decides).
 *
 * Streamed replies go through `ChunkedUpload` (backpressure, trailers, the streamed-size limit); how each
 * ended is logged here.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Cause from "effect/Cause"
import type * as Handler from "../handler/Handler.js"
import * as ErrorTypes from "../internal/ErrorTypes.js"
import { logInvokeError } from "../internal/logInvokeError.js"
import * as Limits from "../internal/Limits.js"
import * as ChunkedUpload from "../streaming/ChunkedUpload.js"
import * as ErrorReport from "../streaming/ErrorReport.js"
import * as RuntimeApi from "./RuntimeApi.js"
import * as RuntimeConfig from "./RuntimeConfig.js"

/**
 * Largest buffered reply Lambda accepts: 6 MiB + 100 bytes (6,291,556), the limit the Runtime API enforces.
 *
 * @since 0.1.0
 * @category constants
 */
export const MaxBufferedBytes = 6 * 1024 * 1024 + 100

/**
 * `errorType` of a reply over the size limit.
 *
 * @since 0.1.0
 * @category constants
 */
export const ResponseSizeTooLargeType = ErrorTypes.ResponseSizeTooLarge

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Post a buffered reply (`options` as for {@link RuntimeApi.Service.reply}). */
  readonly reply: (
    invocation: RuntimeApi.Invocation,
    body: string | Uint8Array,
    contentType: string,
    options?: RuntimeApi.PostOptions
  ) => Effect.Effect<void, RuntimeApi.RuntimeApiError>
  /**
   * Send a streamed reply. The returned outcome says how it ended; `NotStarted` means nothing was sent and the
   * caller must report the error; any other outcome, and a defect (the reply was opened, then aborted), means the
   * invocation is answered. Fails with the `RuntimeApiError` of a broken container (a 500, or a reply that could
   * not be opened). Must run in the invocation's fiber (the stream needs its context).
   */
  readonly replyStream: (
    invocation: RuntimeApi.Invocation,
    reply: Handler.StreamReply,
    options: {
      readonly report: (cause: Cause.Cause<unknown>) => ErrorReport.ErrorReport
    }
  ) => Effect.Effect<ChunkedUpload.Outcome, RuntimeApi.RuntimeApiError>
  /** Post an error report (`options` as for {@link RuntimeApi.Service.reportError}). */
  readonly reportError: (
    invocation: RuntimeApi.Invocation,
    report: ErrorReport.ErrorReport,
    options?: RuntimeApi.PostOptions
  ) => Effect.Effect<void, RuntimeApi.RuntimeApiError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class ResponseSink extends Context.Tag("effect-lambda-runtime/ResponseSink")<ResponseSink, Service>() {}

const sizeReport = (bytes: number): ErrorReport.ErrorReport =>
  ErrorReport.make(
    ResponseSizeTooLargeType,
    `Response payload size (${bytes} bytes) exceeded maximum allowed payload size (${MaxBufferedBytes} bytes).`
  )

const isFatal = (error: RuntimeApi.RuntimeApiError): boolean => error.reason === "StatusCode" && error.status! >= 500

/**
 * Build the sink on top of a Runtime API client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (api: RuntimeApi.Service, options: { readonly maxStreamedBytes?: number } = {}): Service => {
  const maxStreamedBytes = options.maxStreamedBytes ?? Limits.DefaultMaxStreamedBytes
  const settle = (invocation: RuntimeApi.Invocation, what: string) => (error: RuntimeApi.RuntimeApiError) =>
    isFatal(error)
      ? Effect.fail(error)
      : Effect.logWarning(`Runtime API did not accept the ${what} for ${invocation.requestId}: ${error.message}`)

  const reportError: Service["reportError"] = (invocation, report, options) =>
    Effect.catchAll(api.reportError(invocation, report, options), settle(invocation, "error report"))

  const reply: Service["reply"] = (invocation, body, contentType, options) => {
    // A string goes to the transport as is: it is encoded into the socket's write, with no Buffer copy of a large
    // reply left for the garbage collector.
    const bytes = typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.length
    if (bytes > MaxBufferedBytes) {
      return Effect.zipRight(
        Effect.logError(
          `Reply of ${bytes} bytes for ${invocation.requestId} is over the ${MaxBufferedBytes}-byte limit`
        ),
        reportError(invocation, sizeReport(bytes), options)
      )
    }
    return Effect.catchAll(api.reply(invocation, body, contentType, options), (error) =>
      error.reason === "StatusCode" && error.status === 413
        ? // The platform has already answered the caller with Function.ResponseSizeTooLarge: no second reply.
          Effect.logError(
            `The Runtime API refused the reply of ${bytes} bytes for ${invocation.requestId} as too large (HTTP 413): ` +
              `the caller gets ${ResponseSizeTooLargeType}`
          )
        : settle(invocation, "reply")(error)
    )
  }

  const replyStream: Service["replyStream"] = (invocation, reply, { report }) =>
    ChunkedUpload.run(reply.stream, api.openStream(invocation, reply.contentType), {
      maxBytes: maxStreamedBytes,
      report
    }).pipe(
      Effect.tap((outcome) => {
        switch (outcome._tag) {
          case "Failed":
            return logInvokeError(
              outcome.report,
              outcome.cause,
              `Invoke Error (streamed, after ${outcome.bytes} bytes)`
            )
          case "Broken":
            return isFatal(outcome.error)
              ? Effect.fail(outcome.error)
              : Effect.logWarning(
                  `The streamed reply for ${invocation.requestId} ended after ${outcome.bytes} bytes: ${outcome.error.message}`
                )
          default:
            return Effect.void
        }
      })
    ) as Effect.Effect<ChunkedUpload.Outcome, RuntimeApi.RuntimeApiError>

  return { reply, replyStream, reportError }
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<ResponseSink, never, RuntimeApi.RuntimeApi | RuntimeConfig.RuntimeConfig> =
  Layer.effect(
    ResponseSink,
    Effect.map(Effect.all([RuntimeApi.RuntimeApi, RuntimeConfig.RuntimeConfig]), ([api, config]) =>
      make(api, { maxStreamedBytes: config.maxStreamedBytes })
    )
  )
