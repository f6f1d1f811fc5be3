/**
 * Where an invocation's outcome goes: a buffered reply or an error report, posted through the
 * {@link RuntimeApi.RuntimeApi} with the Runtime API's status codes turned into decisions (§3.6):
 *
 * - a buffered body over {@link MaxBufferedBytes} is not posted; `Function.ResponseSizeTooLarge` is reported instead;
 * - 413 on `/response`: the size error is reported for that invocation;
 * - 400, 403, 410 (and any other 4xx): logged; the invocation is over and the loop goes on;
 * - 500: fails with `RuntimeApiError` (the container is broken; the runtime exits non-zero);
 * - a transport failure after the client's retry: logged; the loop goes on (the next `/next` decides).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as RuntimeApi from "./RuntimeApi.js"
import * as ErrorReport from "../streaming/ErrorReport.js"

/**
 * Largest buffered reply Lambda accepts: 6 MiB.
 *
 * @since 0.1.0
 * @category constants
 */
export const MaxBufferedBytes = 6 * 1024 * 1024

/**
 * `errorType` of a reply over the size limit.
 *
 * @since 0.1.0
 * @category constants
 */
export const ResponseSizeTooLargeType = "Function.ResponseSizeTooLarge"

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Post a buffered reply. */
  readonly reply: (
    invocation: RuntimeApi.Invocation,
    body: string | Uint8Array,
    contentType: string
  ) => Effect.Effect<void, RuntimeApi.RuntimeApiError>
  /** Post an error report. */
  readonly reportError: (
    invocation: RuntimeApi.Invocation,
    report: ErrorReport.ErrorReport
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
export const make = (api: RuntimeApi.Service): Service => {
  const settle = (invocation: RuntimeApi.Invocation, what: string) => (error: RuntimeApi.RuntimeApiError) =>
    isFatal(error)
      ? Effect.fail(error)
      : Effect.logWarning(`Runtime API did not accept the ${what} for ${invocation.requestId}: ${error.message}`)

  const reportError: Service["reportError"] = (invocation, report) =>
    Effect.catchAll(api.reportError(invocation, report), settle(invocation, "error report"))

  const reply: Service["reply"] = (invocation, body, contentType) => {
    const payload = typeof body === "string" ? Buffer.from(body, "utf8") : body
    const bytes = payload.length
    if (bytes > MaxBufferedBytes) {
      return Effect.zipRight(
        Effect.logError(
          `Reply of ${bytes} bytes for ${invocation.requestId} is over the ${MaxBufferedBytes}-byte limit`
        ),
        reportError(invocation, sizeReport(bytes))
      )
    }
    return Effect.catchAll(api.reply(invocation, payload, contentType), (error) =>
      error.reason === "StatusCode" && error.status === 413
        ? Effect.zipRight(
            Effect.logError(`Runtime API refused the reply for ${invocation.requestId} as too large (HTTP 413)`),
            reportError(invocation, sizeReport(bytes))
          )
        : settle(invocation, "reply")(error)
    )
  }

  return { reply, reportError }
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<ResponseSink, never, RuntimeApi.RuntimeApi> = Layer.effect(
  ResponseSink,
  Effect.map(RuntimeApi.RuntimeApi, make)
)
