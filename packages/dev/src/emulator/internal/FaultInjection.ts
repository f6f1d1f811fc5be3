/**
 * Faults the Runtime API server injects on request of a test (see `InvokeRequest`): a `/next` answered with an
 * error status or dropped without an answer, a reply answered with an error status.
 *
 * @internal
 */
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as Http from "node:http"
import type * as RuntimeApiServer from "../RuntimeApiServer.js"
import { errorJson } from "./RuntimeApiAnswers.js"

const errorTypes: Readonly<Record<number, string>> = {
  400: "InvalidRequest",
  403: "InvalidStateTransition",
  404: "NotFound",
  410: "InvokeTimeout",
  413: "RequestEntityTooLarge",
  429: "TooManyRequestsException",
  500: "ServiceException",
  502: "BadGateway",
  503: "ServiceUnavailable"
}

/** The answer of an injected fault (`nextStatus`, `replyStatus`). @internal */
export const injected = (status: number): HttpServerResponse.HttpServerResponse =>
  errorJson(status, errorTypes[status] ?? "InjectedFault", `injected HTTP ${status}`)

/**
 * What to do with the `/next` poll that took an invocation: `deliver` it, `drop` the connection (the
 * socket is destroyed here), or answer with an injected status.
 *
 * @internal
 */
export const onNext = (
  request: RuntimeApiServer.InvokeRequest,
  incoming: Http.IncomingMessage
):
  | { readonly _tag: "Deliver" }
  | { readonly _tag: "Dropped" }
  | { readonly _tag: "Status"; readonly response: HttpServerResponse.HttpServerResponse } => {
  if (request.dropNext === true) {
    incoming.socket.destroy()
    return { _tag: "Dropped" }
  }
  if (request.nextStatus !== undefined) return { _tag: "Status", response: injected(request.nextStatus) }
  return { _tag: "Deliver" }
}
