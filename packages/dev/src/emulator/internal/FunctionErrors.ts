/**
 * The error objects a local function's invoker gets: the ones the runtime posted (`/error`, `/init/error`,
 * error trailers) and the ones the emulator makes as Lambda does (a timeout, a crash, a reply too large).
 *
 * @internal
 */
import type * as LocalFunction from "../LocalFunction.js"
import * as ErrorTypes from "./ErrorTypes.js"
import type * as FunctionProcess from "./FunctionProcess.js"

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** @internal */
export const TrailerNames = {
  errorType: "lambda-runtime-function-error-type",
  errorBody: "lambda-runtime-function-error-body"
} as const

/** An error the emulator makes; its payload is `{"errorType","errorMessage"}`. @internal */
export const made = (errorType: string, errorMessage: string): LocalFunction.FunctionError => ({
  errorType,
  errorMessage,
  payload: encoder.encode(JSON.stringify({ errorType, errorMessage }))
})

/** An error object as posted by the runtime (`/error`, `/init/error`, or a trailer's body). @internal */
export const fromPosted = (body: Uint8Array, fallbackType: string | undefined): LocalFunction.FunctionError => {
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(body))
  } catch {
    value = undefined
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const fields = value as Record<string, unknown>
    const errorType = typeof fields.errorType === "string" ? fields.errorType : (fallbackType ?? ErrorTypes.Unknown)
    const errorMessage = typeof fields.errorMessage === "string" ? fields.errorMessage : ""
    return { errorType, errorMessage, payload: body }
  }
  return made(fallbackType ?? ErrorTypes.Unknown, decoder.decode(body))
}

/** The error a streamed reply's trailers carry, if any. @internal */
export const fromTrailers = (trailers: Readonly<Record<string, string>>): LocalFunction.FunctionError | undefined => {
  const errorType = trailers[TrailerNames.errorType]
  const errorBody = trailers[TrailerNames.errorBody]
  if (errorType === undefined && errorBody === undefined) return undefined
  if (errorBody === undefined) return made(errorType ?? ErrorTypes.Unknown, "")
  const decoded = Buffer.from(errorBody, "base64")
  const posted = fromPosted(new Uint8Array(decoded), errorType)
  return errorType === undefined ? posted : { ...posted, errorType }
}

/** How a process ended, in Lambda's words. @internal */
export const describeExit = (info: FunctionProcess.ExitInfo): string =>
  info.signal !== null
    ? `signal: ${info.signal === "SIGKILL" ? "killed" : info.signal}`
    : info.code === null
      ? "could not start"
      : `exit status ${info.code}`

/** @internal */
export const exitError = (requestId: string, info: FunctionProcess.ExitInfo): LocalFunction.FunctionError =>
  info.code === 0 && info.signal === null
    ? made(ErrorTypes.ExitError, `RequestId: ${requestId} Error: Runtime exited without providing a reason`)
    : made(ErrorTypes.ExitError, `RequestId: ${requestId} Error: Runtime exited with error: ${describeExit(info)}`)

/** @internal */
export const timedOut = (requestId: string, ms: number): LocalFunction.FunctionError =>
  made(ErrorTypes.Timedout, `RequestId: ${requestId} Error: Task timed out after ${(ms / 1000).toFixed(2)} seconds`)

/** @internal */
export const initTimedOut = (requestId: string, ms: number): LocalFunction.FunctionError =>
  made(
    ErrorTypes.Timedout,
    `RequestId: ${requestId} Error: Init did not complete within ${(ms / 1000).toFixed(2)} seconds`
  )

/** @internal */
export const tooLarge = (limit: number): LocalFunction.FunctionError =>
  made(ErrorTypes.ResponseSizeTooLarge, `Response payload size exceeded maximum allowed payload size (${limit} bytes).`)
