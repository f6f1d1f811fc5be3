/**
 * The Lambda `Invoke` API front (`POST /2015-03-31/functions/{name}/invocations`) and the request checks it
 * shares with `InvokeWithResponseStream`: the function name, the payload size and JSON, the invocation
 * type, the client context (`X-Amz-Client-Context`: base64 of a JSON object), the tenant id.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import type * as Http from "node:http"
import * as Emulator from "../Emulator.js"
import * as ErrorTypes from "./ErrorTypes.js"
import type * as LocalFunction from "../LocalFunction.js"
import * as EventStreamFront from "./EventStreamFront.js"
import type { FrontContext } from "./FrontContext.js"
import { collect, readRequest, writer } from "./HttpExchange.js"

const encoder = new TextEncoder()

/** An API error as Lambda answers it (`X-Amzn-ErrorType`, `{"Type":"User","message"}`). @internal */
export const apiError = (res: Http.ServerResponse, status: number, type: string, message: string) => {
  const body = encoder.encode(JSON.stringify({ Type: "User", message }))
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(body.length),
    "x-amzn-errortype": type,
    "x-amzn-requestid": Crypto.randomUUID()
  })
  return writer(res).end(body)
}

/** @internal */
export const sizeError = (requestId: string): LocalFunction.FunctionError => {
  const errorType = ErrorTypes.ResponseSizeTooLarge
  const errorMessage = `RequestId: ${requestId} Error: Response payload size exceeded maximum allowed payload size (${Emulator.Limits.bufferedResponseBytes} bytes).`
  return { errorType, errorMessage, payload: encoder.encode(JSON.stringify({ errorType, errorMessage })) }
}

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/

/**
 * The client context of `X-Amz-Client-Context`: the JSON text of a JSON object, or `undefined` when it is
 * not base64 of one (Lambda then answers 400 `InvalidRequestContentException`).
 *
 * @internal
 */
export const decodeClientContext = (header: string): string | undefined => {
  if (!base64.test(header)) return undefined
  let text: string
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(header, "base64"))
  } catch {
    return undefined
  }
  const parsed = Either.try(() => JSON.parse(text) as unknown)
  if (Either.isLeft(parsed)) return undefined
  const value = parsed.right
  return typeof value === "object" && value !== null && !Array.isArray(value) ? text : undefined
}

/**
 * Whether `name` (the `{name}` of the path: a name, an ARN or a partial ARN) is this function, or `function`,
 * the name the path of AWS's own emulator uses.
 *
 * @internal
 */
export const isThisFunction = (fn: LocalFunction.Service, name: string): boolean => {
  if (name === "function" || name === fn.functionName || name === fn.functionArn) return true
  const partial = /^(?:\d{12}:)?function:([^:]+)$/.exec(name)
  return partial !== null && partial[1] === fn.functionName
}

/** Handle an `Invoke` (`streamed` false) or `InvokeWithResponseStream` request. @internal */
export const handle = (
  ctx: FrontContext,
  req: Http.IncomingMessage,
  res: Http.ServerResponse,
  name: string,
  streamed: boolean
) =>
  Effect.gen(function* () {
    const { fn } = ctx
    const startedAt = Date.now()
    const operation = streamed ? "InvokeWithResponseStream" : "Invoke"
    const label = `${operation} ${name}`
    const refuse = (status: number, type: string, message: string) =>
      Effect.zipRight(apiError(res, status, type, message), ctx.logLine(label, `${status} ${type}`, startedAt, 0))
    const body = yield* readRequest(req, Emulator.Limits.requestBytes)
    if (!isThisFunction(fn, name)) {
      const arn = fn.functionArn.slice(0, fn.functionArn.lastIndexOf(":") + 1) + name
      return yield* refuse(404, "ResourceNotFoundException", `Function not found: ${arn}`)
    }
    if (body._tag === "TooLarge") {
      return yield* refuse(
        413,
        "RequestEntityTooLargeException",
        `Request must be smaller than ${Emulator.Limits.requestBytes} bytes for the ${operation} operation`
      )
    }
    const invocationType = req.headers["x-amz-invocation-type"] ?? "RequestResponse"
    const allowed = streamed ? ["RequestResponse", "DryRun"] : ["RequestResponse", "Event", "DryRun"]
    if (typeof invocationType !== "string" || !allowed.includes(invocationType)) {
      return yield* refuse(
        400,
        "InvalidParameterValueException",
        `InvocationType ${JSON.stringify(invocationType)} is not one of ${allowed.join(", ")}`
      )
    }
    const event = body.bytes.length === 0 ? encoder.encode("{}") : body.bytes
    const parsed = Either.try(() => JSON.parse(Buffer.from(event).toString("utf8")))
    if (Either.isLeft(parsed)) {
      return yield* refuse(
        400,
        "InvalidRequestContentException",
        `Could not parse request body into json: ${String((parsed.left as Error).message ?? parsed.left)}`
      )
    }
    let clientContext: string | undefined
    const rawContext = req.headers["x-amz-client-context"]
    if (typeof rawContext === "string" && rawContext.length > 0) {
      clientContext = decodeClientContext(rawContext)
      if (clientContext === undefined) {
        return yield* refuse(
          400,
          "InvalidRequestContentException",
          "Client context must be a valid Base64-encoded JSON object."
        )
      }
    }
    const tenantId = req.headers["x-amz-tenant-id"]
    const request: LocalFunction.InvokeRequest = {
      event,
      ...(clientContext === undefined ? {} : { clientContext }),
      ...(typeof tenantId === "string" ? { tenantId } : {})
    }
    const tail = String(req.headers["x-amz-log-type"] ?? "").toLowerCase() === "tail"
    if (invocationType === "DryRun") {
      res.writeHead(204, { "x-amzn-requestid": Crypto.randomUUID() })
      yield* writer(res).end()
      return yield* ctx.logLine(`${label} (DryRun)`, "204", startedAt, 0)
    }
    if (invocationType === "Event") {
      res.writeHead(202, { "x-amzn-requestid": Crypto.randomUUID(), "content-length": "0" })
      yield* writer(res).end()
      const background = Effect.gen(function* () {
        const reply = yield* fn.invoke(request)
        if (reply._tag === "Error") return yield* ctx.logLine(`${label} (Event)`, reply.error.errorType, startedAt, 0)
        yield* Stream.runDrain(reply.body)
        const completion = yield* reply.completion
        yield* ctx.logLine(`${label} (Event)`, completion.error?.errorType ?? "done", startedAt, 0)
      })
      yield* Effect.sync(() => ctx.runFork(background))
      return
    }
    const reply = yield* fn.invoke(request)
    if (streamed) return yield* EventStreamFront.answer(ctx, res, reply, { label, startedAt, tail })
    const headers: Record<string, string> = {
      "x-amz-executed-version": "$LATEST",
      "x-amzn-requestid": reply.requestId
    }
    let payload: Uint8Array
    let error: LocalFunction.FunctionError | undefined
    let logResult: string
    let contentType = "application/json"
    if (reply._tag === "Error") {
      error = reply.error
      payload = error.payload
      logResult = reply.logResult
    } else {
      const collected = yield* collect(reply.body, Emulator.Limits.bufferedResponseBytes)
      const completion = yield* reply.completion
      logResult = completion.logResult
      error = completion.error ?? (collected === undefined ? sizeError(reply.requestId) : undefined)
      payload = error === undefined ? collected! : error.payload
      if (error === undefined) contentType = reply.contentType
    }
    if (error !== undefined) headers["x-amz-function-error"] = "Unhandled"
    if (tail) headers["x-amz-log-result"] = logResult
    res.writeHead(200, { ...headers, "content-type": contentType, "content-length": String(payload.length) })
    yield* writer(res).end(payload)
    return yield* ctx.logLine(
      label,
      error === undefined ? "200" : `200 Unhandled ${error.errorType}`,
      startedAt,
      payload.length
    )
  })
