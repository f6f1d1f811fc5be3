/**
 * The Runtime API server's routes: `/next`, the two replies, `/init/error`, the Extensions API calls, and a
 * 404 for anything else. Every request is recorded (see `Exchange`); every protocol violation is noted.
 *
 * @internal
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import type * as Http from "node:http"
import * as InvocationContext from "effect-lambda-runtime/InvocationContext"
import * as RuntimeApi from "effect-lambda-runtime/RuntimeApi"
import * as RuntimeApiServer from "../RuntimeApiServer.js"
import * as ExtensionsApi from "./ExtensionsApi.js"
import * as FaultInjection from "./FaultInjection.js"
import { type BodyAborted, LiveBody, readBody } from "./HttpBody.js"
import * as InvocationQueue from "./InvocationQueue.js"
import { accepted, errorJson, parseReport } from "./RuntimeApiAnswers.js"

const Routes = {
  response: "/2018-06-01/runtime/invocation/:id/response",
  error: "/2018-06-01/runtime/invocation/:id/error"
} as const

const ReplyHeaders = {
  responseMode: "lambda-runtime-function-response-mode",
  transferEncoding: "transfer-encoding"
} as const

/** One received request, as kept for `exchanges`. @internal */
export interface ExchangeRecord {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  bodyLength: number
  trailers: Readonly<Record<string, string>>
  state: RuntimeApiServer.Exchange["state"]
  status: number | undefined
  requestId: string | undefined
}

/** What the routes share with the server. @internal */
export interface RouteContext {
  readonly queue: InvocationQueue.InvocationQueue
  readonly extensions: ExtensionsApi.ExtensionRegistry
  readonly recordOf: WeakMap<Http.IncomingMessage, ExchangeRecord>
  readonly violations: Array<string>
  readonly initErrors: Array<RuntimeApiServer.InitError>
  readonly firstInitError: Deferred.Deferred<RuntimeApiServer.InitError>
  readonly countPoll: () => void
  readonly polled: () => boolean
  readonly functionName: string
  readonly functionArn: string
  readonly handler: string
}

const encoder = new TextEncoder()

const eventBytes = (event: Uint8Array | string): Uint8Array =>
  typeof event === "string" ? encoder.encode(event) : event

const traceId = (nowMs: number): string => {
  const epochHex = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, "0")
  const root = `1-${epochHex}-${Crypto.randomBytes(12).toString("hex")}`
  return `Root=${root};Parent=${Crypto.randomBytes(8).toString("hex")};Sampled=1`
}

/** The router of a server. @internal */
export const make = (ctx: RouteContext) => {
  const violation = (message: string) =>
    Effect.zipRight(
      Effect.sync(() => ctx.violations.push(message)),
      Effect.logDebug(`RuntimeApiServer: protocol violation: ${message}`)
    )

  const exchange = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
    const incoming = NodeHttpServerRequest.toIncomingMessage(request)
    const response = NodeHttpServerRequest.toServerResponse(request)
    const record = ctx.recordOf.get(incoming)!
    return { incoming, response, record }
  })

  const answer = (record: ExchangeRecord, response: HttpServerResponse.HttpServerResponse) => {
    record.state = "answered"
    record.status = response.status
    return response
  }

  const read = (incoming: Http.IncomingMessage, record: ExchangeRecord, keep: number, live?: LiveBody) =>
    Effect.tap(readBody(incoming, keep, live), (body) =>
      Effect.sync(() => {
        record.bodyLength = body.length
        record.trailers = body.trailers
      })
    )

  const aborted = (record: ExchangeRecord, error: BodyAborted) =>
    Effect.as(
      Effect.zipRight(
        Effect.sync(() => {
          record.state = "aborted"
        }),
        violation(`${record.method} ${record.path}: ${error.message}`)
      ),
      HttpServerResponse.empty({ status: 400 })
    )

  const nextHeaders = (entry: InvocationQueue.Entry, body: Uint8Array, nowMs: number): Record<string, string> => {
    const headers = new Map<string, string>([
      [InvocationContext.Headers.requestId, entry.requestId],
      [
        InvocationContext.Headers.deadline,
        String(nowMs + (entry.request.timeoutMs ?? RuntimeApiServer.Defaults.timeoutMs))
      ],
      [InvocationContext.Headers.functionArn, ctx.functionArn],
      [InvocationContext.Headers.traceId, traceId(nowMs)],
      ["content-type", RuntimeApiServer.Defaults.contentType],
      ["content-length", String(body.length)]
    ])
    for (const [name, value] of Object.entries(entry.request.headers ?? {})) {
      if (value === null) headers.delete(name.toLowerCase())
      else headers.set(name.toLowerCase(), value)
    }
    return Object.fromEntries(headers)
  }

  const nextRoute = Effect.gen(function* () {
    const { incoming, response, record } = yield* exchange
    ctx.countPoll()
    const body = yield* Effect.either(read(incoming, record, 0))
    if (body._tag === "Left") return yield* aborted(record, body.left)
    const entry = yield* ctx.queue.take(response)
    if (entry === undefined) {
      record.state = "aborted"
      return HttpServerResponse.empty({ status: 499 })
    }
    record.requestId = entry.requestId
    const fault = FaultInjection.onNext(entry.request, incoming)
    if (fault._tag === "Dropped") {
      entry.state = "undelivered"
      record.state = "dropped"
      yield* Effect.logDebug(`RuntimeApiServer: dropped the /next carrying ${entry.requestId}`)
      return HttpServerResponse.empty({ status: 499 })
    }
    if (fault._tag === "Status") {
      entry.state = "undelivered"
      return answer(record, fault.response)
    }
    const event = eventBytes(entry.request.event)
    const headers = nextHeaders(entry, event, yield* Clock.currentTimeMillis)
    const invocationId = headers[InvocationContext.Headers.invocationId]
    entry.invocationId = invocationId === undefined || invocationId === "" ? undefined : invocationId
    entry.state = "delivered"
    const deadlineMs = Number(headers[InvocationContext.Headers.deadline])
    ctx.extensions.publish({
      eventType: "INVOKE",
      deadlineMs,
      requestId: entry.requestId,
      invokedFunctionArn: headers[InvocationContext.Headers.functionArn] ?? ctx.functionArn,
      tracing: { type: "X-Amzn-Trace-Id", value: headers[InvocationContext.Headers.traceId] ?? "" }
    })
    yield* Deferred.succeed(entry.delivered, { requestId: entry.requestId, deadlineMs })
    return answer(record, HttpServerResponse.raw(event, { status: 200, headers }))
  })

  const replyRoute = (kind: "response" | "error") =>
    Effect.gen(function* () {
      const { incoming, record } = yield* exchange
      const requestId = (yield* HttpRouter.params).id ?? ""
      record.requestId = requestId
      const headers = record.headers
      const entry = ctx.queue.entries.get(requestId)
      const rejected = ctx.queue.claim(requestId, entry)
      const mode = headers[ReplyHeaders.responseMode]
      const limit =
        kind === "error"
          ? Number.POSITIVE_INFINITY
          : mode === "streaming"
            ? RuntimeApiServer.Limits.streamedResponseBytes
            : RuntimeApiServer.Limits.bufferedResponseBytes
      const streamed = (headers[ReplyHeaders.transferEncoding] ?? "").toLowerCase().includes("chunked")
      const live =
        rejected === undefined && entry !== undefined && kind === "response" && entry.request.live === true
          ? new LiveBody(incoming, requestId)
          : undefined
      if (live !== undefined && entry !== undefined) {
        yield* Deferred.succeed(entry.reply, { _tag: "Response", requestId, headers, streamed, body: live.stream })
      }
      const body = yield* Effect.either(read(incoming, record, limit, live))
      if (body._tag === "Left") {
        if (rejected === undefined && entry !== undefined) entry.state = "delivered"
        return yield* aborted(record, body.left)
      }
      if (rejected !== undefined || entry === undefined) {
        const message = rejected ?? "unknown request id"
        yield* violation(`POST ${record.path}: ${message}`)
        return answer(record, errorJson(400, "InvalidRequestID", message))
      }
      let reply = accepted
      const mismatch = InvocationQueue.checkInvocationId(entry, headers)
      if (mismatch !== undefined) {
        yield* violation(`POST ${record.path}: ${mismatch}`)
        reply = errorJson(400, "InvalidInvocationID", mismatch)
      } else if (kind === "response" && mode !== undefined && mode !== "streaming") {
        const message = `Lambda-Runtime-Function-Response-Mode ${JSON.stringify(mode)} is not "streaming"`
        yield* violation(`POST ${record.path}: ${message}`)
        reply = errorJson(400, "InvalidFunctionResponseMode", message)
      } else if (body.right.length > limit) {
        reply = errorJson(413, "RequestEntityTooLarge", `Exceeded maximum allowed payload size (${limit} bytes).`)
      }
      if (entry.request.replyStatus !== undefined) reply = FaultInjection.injected(entry.request.replyStatus)
      const outcome: RuntimeApiServer.Outcome =
        kind === "response"
          ? {
              _tag: "Response",
              requestId,
              status: reply.status,
              headers,
              body: body.right.bytes,
              trailers: body.right.trailers,
              streamed
            }
          : {
              _tag: "Error",
              requestId,
              status: reply.status,
              headers,
              body: body.right.bytes,
              report: parseReport(body.right.bytes)
            }
      entry.state = "answered"
      if (outcome._tag === "Error") {
        yield* Deferred.succeed(entry.reply, outcome)
      } else if (live === undefined) {
        const bytes = outcome.body
        yield* Deferred.succeed(entry.reply, {
          _tag: "Response",
          requestId,
          headers,
          streamed,
          body: bytes.length === 0 ? Stream.empty : Stream.make(bytes)
        })
      }
      yield* Deferred.succeed(entry.outcome, outcome)
      return answer(record, reply)
    })

  const initErrorRoute = Effect.gen(function* () {
    const { incoming, record } = yield* exchange
    const body = yield* Effect.either(read(incoming, record, Number.POSITIVE_INFINITY))
    if (body._tag === "Left") return yield* aborted(record, body.left)
    const initError: RuntimeApiServer.InitError = {
      headers: record.headers,
      body: body.right.bytes,
      report: parseReport(body.right.bytes)
    }
    ctx.initErrors.push(initError)
    yield* Deferred.succeed(ctx.firstInitError, initError)
    return answer(record, accepted)
  })

  const registerRoute = Effect.gen(function* () {
    const { incoming, record } = yield* exchange
    const body = yield* Effect.either(read(incoming, record, 64 * 1024))
    if (body._tag === "Left") return yield* aborted(record, body.left)
    const name = record.headers[ExtensionsApi.Headers.name] ?? ""
    if (name === "") {
      const message = "POST /2020-01-01/extension/register without a Lambda-Extension-Name header"
      yield* violation(message)
      return answer(record, errorJson(403, "Extension.InvalidExtensionName", message))
    }
    const registration = ExtensionsApi.parseRegistration(body.right.bytes)
    if ("refused" in registration) {
      yield* violation(`POST /2020-01-01/extension/register: ${registration.refused}`)
      return answer(record, errorJson(400, "InvalidRequestFormat", registration.refused))
    }
    if (ctx.polled()) {
      yield* violation(
        `extension ${JSON.stringify(name)} registered after the runtime's first /next (Lambda allows it only during init)`
      )
    }
    const extension = ctx.extensions.register(name, registration.events)
    yield* Effect.logDebug(`RuntimeApiServer: extension ${JSON.stringify(name)} registered for ${extension.events}`)
    return answer(
      record,
      HttpServerResponse.unsafeJson(
        { functionName: ctx.functionName, functionVersion: "$LATEST", handler: ctx.handler },
        { status: 200, headers: { [ExtensionsApi.Headers.identifier]: extension.id } }
      )
    )
  })

  const eventNextRoute = Effect.gen(function* () {
    const { incoming, response, record } = yield* exchange
    const body = yield* Effect.either(read(incoming, record, 0))
    if (body._tag === "Left") return yield* aborted(record, body.left)
    const id = record.headers[ExtensionsApi.Headers.identifier] ?? ""
    if (!ctx.extensions.isRegistered(id)) {
      const message = `GET /2020-01-01/extension/event/next with an unknown Lambda-Extension-Identifier ${JSON.stringify(id)}`
      yield* violation(message)
      return answer(record, errorJson(403, "Extension.UnknownExtensionIdentifier", message))
    }
    const event = yield* ctx.extensions.next(id, response)
    if (event === undefined) {
      record.state = "aborted"
      return HttpServerResponse.empty({ status: 499 })
    }
    return answer(
      record,
      HttpServerResponse.unsafeJson(event, {
        status: 200,
        headers: { [ExtensionsApi.Headers.eventIdentifier]: Crypto.randomUUID() }
      })
    )
  })

  const notFoundRoute = Effect.gen(function* () {
    const { incoming, record } = yield* exchange
    const body = yield* Effect.either(read(incoming, record, 0))
    if (body._tag === "Left") return yield* aborted(record, body.left)
    const message = `no such endpoint: ${record.method} ${record.path}`
    yield* violation(message)
    return answer(record, errorJson(404, "NotFound", message))
  })

  return HttpRouter.empty.pipe(
    HttpRouter.get(RuntimeApi.Paths.next, nextRoute, { uninterruptible: true }),
    HttpRouter.post(Routes.response, replyRoute("response"), { uninterruptible: true }),
    HttpRouter.post(Routes.error, replyRoute("error"), { uninterruptible: true }),
    HttpRouter.post(RuntimeApi.Paths.initError, initErrorRoute, { uninterruptible: true }),
    HttpRouter.post(ExtensionsApi.Paths.register, registerRoute, { uninterruptible: true }),
    HttpRouter.get(ExtensionsApi.Paths.eventNext, eventNextRoute, { uninterruptible: true }),
    HttpRouter.all("*", notFoundRoute, { uninterruptible: true })
  )
}
