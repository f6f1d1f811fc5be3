/**
 * The Runtime API server's answers: the JSON error object, `202 {"status":"OK"}`, and the parsing of a
 * posted error report.
 *
 * @internal
 */
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as RuntimeApiServer from "../RuntimeApiServer.js"

/** @internal */
export const errorJson = (
  status: number,
  errorType: string,
  errorMessage: string
): HttpServerResponse.HttpServerResponse => HttpServerResponse.unsafeJson({ errorType, errorMessage }, { status })

/** @internal */
export const accepted: HttpServerResponse.HttpServerResponse = HttpServerResponse.unsafeJson(
  { status: "OK" },
  { status: 202 }
)

/** A posted error object, when it is a standard one. @internal */
export const parseReport = (bytes: Uint8Array): RuntimeApiServer.ReceivedReport | undefined => {
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes))
  } catch {
    return undefined
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined
  const { errorType, errorMessage, stackTrace } = value as Record<string, unknown>
  if (typeof errorType !== "string" || typeof errorMessage !== "string") return undefined
  return Array.isArray(stackTrace) && stackTrace.every((line) => typeof line === "string")
    ? { errorType, errorMessage, stackTrace }
    : { errorType, errorMessage }
}
