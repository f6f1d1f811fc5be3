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
 * Any function name is accepted. How errors reach each kind of client:
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
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import * as HttpPrelude from "effect-lambda-runtime/HttpPrelude"
import * as EventStream from "./EventStream.js"
import * as FunctionUrlFront from "./FunctionUrlFront.js"
import * as LocalFunction from "./LocalFunction.js"

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
 * Request and response size limits of the fronts (Lambda's: 6 MB each way for `Invoke` and buffered Function
 * URLs).
 *
 * @since 0.1.0
 * @category constants
 */
export const Limits = {
  requestBytes: 6 * 1024 * 1024,
  bufferedResponseBytes: 6 * 1024 * 1024
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

const invokePath = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/
const streamPath = /^\/2021-11-15\/functions\/([^/]+)\/response-streaming-invocations$/

const encoder = new TextEncoder()

type Body = { readonly _tag: "Body"; readonly bytes: Uint8Array } | { readonly _tag: "TooLarge" }

/** The whole request body, or `TooLarge` (then the rest is discarded); fails when the client goes away. */
const readRequest = (req: Http.IncomingMessage, limit: number): Effect.Effect<Body, Error> =>
  Effect.async<Body, Error>((resume) => {
    const chunks: Array<Buffer> = []
    let length = 0
    const onData = (chunk: Buffer) => {
      length += chunk.length
      if (length <= limit) chunks.push(chunk)
    }
    const onEnd = () => {
      off()
      resume(Effect.succeed(length > limit ? { _tag: "TooLarge" } : { _tag: "Body", bytes: Buffer.concat(chunks) }))
    }
    const onError = (error: Error) => {
      off()
      resume(Effect.fail(error))
    }
    const onClose = () => {
      if (!req.complete) onError(new Error("the client closed the connection"))
    }
    const off = () => {
      req.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose)
    }
    req.on("data", onData).once("end", onEnd).once("error", onError).once("close", onClose)
    return Effect.sync(off)
  })

/** Writes to a response with backpressure; once the client is gone, writes are dropped (the caller drains on). */
const writer = (res: Http.ServerResponse) => {
  let sent = 0
  const gone = () => res.destroyed || res.writableEnded || (res.socket?.destroyed ?? true)
  const write = (bytes: Uint8Array): Effect.Effect<void> =>
    Effect.async<void>((resume) => {
      if (bytes.length === 0 || gone()) return resume(Effect.void)
      sent += bytes.length
      if (res.write(bytes)) return resume(Effect.void)
      const done = () => {
        res.off("drain", done).off("close", done)
        resume(Effect.void)
      }
      res.on("drain", done).on("close", done)
      return Effect.sync(() => {
        res.off("drain", done).off("close", done)
      })
    })
  const end = (bytes?: Uint8Array): Effect.Effect<void> =>
    Effect.async<void>((resume) => {
      if (gone()) return resume(Effect.void)
      if (bytes !== undefined) sent += bytes.length
      let done = false
      const finish = () => {
        if (done) return
        done = true
        res.off("close", finish)
        resume(Effect.void)
      }
      res.once("close", finish)
      res.end(bytes, finish)
    })
  /** Close the connection after what was written, without the final chunk: the client sees a cut body. */
  const cut: Effect.Effect<void> = Effect.sync(() => {
    const socket = res.socket
    if (socket === null || socket.destroyed) return
    socket.end()
    setTimeout(() => socket.destroy(), 2_000).unref()
  })
  return { write, end, cut, sent: () => sent, gone }
}

/** Headers for `writeHead`: a name given more than once (`set-cookie`) is sent on as many lines. */
const headerObject = (headers: ReadonlyArray<readonly [string, string]>): Record<string, string | Array<string>> => {
  const out: Record<string, Array<string>> = {}
  for (const [name, value] of headers) {
    const values = out[name]
    if (values === undefined) out[name] = [value]
    else values.push(value)
  }
  return Object.fromEntries(
    Object.entries(out).map(([name, values]) => [name, values.length === 1 ? values[0]! : values])
  )
}

const formatBytes = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1024 * 1024)).toFixed(1)} MiB`

const clock = (): string => {
  const now = new Date()
  return `${now.toTimeString().slice(0, 8)}.${String(now.getMilliseconds()).padStart(3, "0")}`
}

/** Collect a reply's body up to `limit` bytes; the rest is drained. */
const collect = (body: Stream.Stream<Uint8Array>, limit: number) =>
  Effect.map(
    Stream.runFold(body, { chunks: [] as Array<Uint8Array>, length: 0, over: false }, (acc, chunk) => {
      if (acc.over || acc.length + chunk.length > limit) {
        acc.over = true
        acc.length += chunk.length
        return acc
      }
      acc.chunks.push(chunk)
      acc.length += chunk.length
      return acc
    }),
    (acc) => (acc.over ? undefined : new Uint8Array(Buffer.concat(acc.chunks)))
  )

const sizeError = (requestId: string): LocalFunction.FunctionError => {
  const errorType = "Function.ResponseSizeTooLarge"
  const errorMessage = `RequestId: ${requestId} Error: Response payload size exceeded maximum allowed payload size (${Limits.bufferedResponseBytes} bytes).`
  return { errorType, errorMessage, payload: encoder.encode(JSON.stringify({ errorType, errorMessage })) }
}

/**
 * Start the fronts in the current scope. Closing the scope stops listening and closes every connection.
 * Fails with {@link EmulatorError} when the port cannot be listened on.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, EmulatorError, Scope.Scope | LocalFunction.LocalFunction> =>
  Effect.gen(function* () {
    const fn = yield* LocalFunction.LocalFunction
    const console = yield* Console.consoleWith(Effect.succeed)
    const fibers = yield* FiberSet.make()
    const runFork = yield* FiberSet.runtime(fibers)<never>()
    const mode = options.functionUrl ?? "buffered"
    const host = options.host ?? Defaults.host
    const requestedPort = options.port ?? Defaults.port

    const logLine = (label: string, outcome: string, startedAt: number, bytes: number) =>
      Effect.sync(() =>
        console.unsafe.log(`${clock()} ${label} → ${outcome} (${Date.now() - startedAt} ms, ${formatBytes(bytes)})`)
      )
    const notice = (text: string) => Effect.sync(() => console.unsafe.error(`! ${text}`))

    const apiError = (res: Http.ServerResponse, status: number, type: string, message: string) => {
      const body = encoder.encode(JSON.stringify({ Type: "User", message }))
      res.writeHead(status, {
        "content-type": "application/json",
        "content-length": String(body.length),
        "x-amzn-errortype": type,
        "x-amzn-requestid": Crypto.randomUUID()
      })
      return writer(res).end(body)
    }

    const invokeApi = (req: Http.IncomingMessage, res: Http.ServerResponse, name: string, streamed: boolean) =>
      Effect.gen(function* () {
        const startedAt = Date.now()
        const operation = streamed ? "InvokeWithResponseStream" : "Invoke"
        const label = `${operation} ${name}`
        const body = yield* readRequest(req, Limits.requestBytes)
        if (body._tag === "TooLarge") {
          yield* apiError(
            res,
            413,
            "RequestEntityTooLargeException",
            `Request must be smaller than ${Limits.requestBytes} bytes for the ${operation} operation`
          )
          return yield* logLine(label, "413 RequestEntityTooLargeException", startedAt, 0)
        }
        const invocationType = req.headers["x-amz-invocation-type"] ?? "RequestResponse"
        const allowed = streamed ? ["RequestResponse", "DryRun"] : ["RequestResponse", "Event", "DryRun"]
        if (typeof invocationType !== "string" || !allowed.includes(invocationType)) {
          yield* apiError(
            res,
            400,
            "InvalidParameterValueException",
            `InvocationType ${JSON.stringify(invocationType)} is not one of ${allowed.join(", ")}`
          )
          return yield* logLine(label, "400 InvalidParameterValueException", startedAt, 0)
        }
        const event = body.bytes.length === 0 ? encoder.encode("{}") : body.bytes
        const parsed = Either.try(() => JSON.parse(Buffer.from(event).toString("utf8")))
        if (Either.isLeft(parsed)) {
          yield* apiError(
            res,
            400,
            "InvalidRequestContentException",
            `Could not parse request body into json: ${String((parsed.left as Error).message ?? parsed.left)}`
          )
          return yield* logLine(label, "400 InvalidRequestContentException", startedAt, 0)
        }
        let clientContext: string | undefined
        const rawContext = req.headers["x-amz-client-context"]
        if (typeof rawContext === "string" && rawContext.length > 0) {
          clientContext = Buffer.from(rawContext, "base64").toString("utf8")
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
          return yield* logLine(`${label} (DryRun)`, "204", startedAt, 0)
        }
        if (invocationType === "Event") {
          res.writeHead(202, { "x-amzn-requestid": Crypto.randomUUID(), "content-length": "0" })
          yield* writer(res).end()
          const background = Effect.gen(function* () {
            const reply = yield* fn.invoke(request)
            if (reply._tag === "Error") return yield* logLine(`${label} (Event)`, reply.error.errorType, startedAt, 0)
            yield* Stream.runDrain(reply.body)
            const completion = yield* reply.completion
            yield* logLine(`${label} (Event)`, completion.error?.errorType ?? "done", startedAt, 0)
          })
          yield* Effect.sync(() => runFork(background))
          return
        }
        const reply = yield* fn.invoke(request)
        const headers: Record<string, string> = {
          "x-amz-executed-version": "$LATEST",
          "x-amzn-requestid": reply.requestId
        }
        const out = writer(res)
        if (streamed) {
          res.writeHead(200, {
            ...headers,
            "content-type": reply._tag === "Response" ? reply.contentType : "application/json"
          })
          let error: LocalFunction.FunctionError | undefined
          let logResult: string
          let bytes = 0
          if (reply._tag === "Error") {
            error = reply.error
            logResult = reply.logResult
          } else {
            yield* Stream.runForEach(reply.body, (chunk) => {
              bytes += chunk.length
              return out.write(EventStream.payloadChunk(chunk))
            })
            const completion = yield* reply.completion
            error = completion.error
            logResult = completion.logResult
          }
          yield* out.end(
            EventStream.invokeComplete({
              ...(error === undefined ? {} : { ErrorCode: error.errorType, ErrorDetails: error.errorMessage }),
              ...(tail ? { LogResult: logResult } : {})
            })
          )
          return yield* logLine(label, error === undefined ? "200" : `200, ${error.errorType}`, startedAt, bytes)
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
          const collected = yield* collect(reply.body, Limits.bufferedResponseBytes)
          const completion = yield* reply.completion
          logResult = completion.logResult
          error = completion.error ?? (collected === undefined ? sizeError(reply.requestId) : undefined)
          payload = error === undefined ? collected! : error.payload
          if (error === undefined) contentType = reply.contentType
        }
        if (error !== undefined) headers["x-amz-function-error"] = "Unhandled"
        if (tail) headers["x-amz-log-result"] = logResult
        res.writeHead(200, { ...headers, "content-type": contentType, "content-length": String(payload.length) })
        yield* out.end(payload)
        return yield* logLine(
          label,
          error === undefined ? "200" : `200 Unhandled ${error.errorType}`,
          startedAt,
          payload.length
        )
      })

    /** Fails when the function's headers are not valid HTTP (nothing was sent then). */
    const respond = (res: Http.ServerResponse, response: FunctionUrlFront.Response) =>
      Effect.flatMap(
        Effect.try(() =>
          res.writeHead(response.status, {
            ...headerObject(response.headers),
            "content-length": String(response.body.length)
          })
        ),
        () => writer(res).end(response.body)
      )

    const badGateway = (res: Http.ServerResponse, why: string, label: string, startedAt: number) =>
      Effect.zipRight(
        Effect.orDie(respond(res, FunctionUrlFront.badGateway)),
        logLine(label, `502 ${why}`, startedAt, FunctionUrlFront.badGateway.body.length)
      )

    const functionUrl = (req: Http.IncomingMessage, res: Http.ServerResponse) =>
      Effect.gen(function* () {
        const startedAt = Date.now()
        const method = req.method ?? "GET"
        const url = req.url ?? "/"
        const label = `${method} ${url}`
        const body = yield* readRequest(req, Limits.requestBytes)
        if (body._tag === "TooLarge") {
          const tooLarge = encoder.encode(JSON.stringify({ message: "Request Entity Too Large" }))
          yield* Effect.orDie(
            respond(res, { status: 413, headers: [["content-type", "application/json"]], body: tooLarge })
          )
          return yield* logLine(label, "413", startedAt, tooLarge.length)
        }
        const requestId = Crypto.randomUUID()
        const event = FunctionUrlFront.event(
          {
            method,
            url,
            rawHeaders: req.rawHeaders,
            body: body.bytes,
            sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
            protocol: `HTTP/${req.httpVersion}`
          },
          {
            requestId,
            timeEpochMs: startedAt,
            urlId: FunctionUrlFront.urlId(fn.functionName),
            ...(req.socket.localPort === undefined ? {} : { port: req.socket.localPort })
          }
        )
        const reply = yield* fn.invoke({ event: JSON.stringify(event), requestId })
        if (reply._tag === "Error") return yield* badGateway(res, reply.error.errorType, label, startedAt)
        const out = writer(res)
        const preludeMode = reply.contentType.split(";")[0]!.trim().toLowerCase() === HttpPrelude.ContentType
        if (preludeMode || (reply.streamed && mode === "streamed")) {
          return yield* Effect.scoped(
            Effect.gen(function* () {
              const pull = yield* Stream.toPull(reply.body)
              const source = Stream.repeatEffectChunkOption(pull)
              let head: { readonly status: number; readonly headers: ReadonlyArray<readonly [string, string]> }
              let rest: Stream.Stream<Uint8Array>
              if (preludeMode) {
                const decoded = yield* Effect.either(HttpPrelude.decode(source))
                if (Either.isLeft(decoded)) {
                  yield* Stream.runDrain(source)
                  const completion = yield* reply.completion
                  if (completion.error === undefined) yield* notice(`${label}: ${decoded.left.message}`)
                  return yield* badGateway(res, completion.error?.errorType ?? "InvalidPrelude", label, startedAt)
                }
                head = FunctionUrlFront.fromPrelude(decoded.right.prelude)
                rest = decoded.right.body
              } else {
                head = { status: 200, headers: [["content-type", reply.contentType]] }
                rest = source
              }
              if (mode === "buffered") {
                const collected = yield* collect(rest, Limits.bufferedResponseBytes)
                const completion = yield* reply.completion
                const error = completion.error ?? (collected === undefined ? sizeError(requestId) : undefined)
                if (error !== undefined) return yield* badGateway(res, error.errorType, label, startedAt)
                const sent = yield* Effect.either(respond(res, { ...head, body: collected! }))
                if (Either.isLeft(sent)) {
                  yield* notice(`${label}: the prelude's headers are not valid HTTP`)
                  return yield* badGateway(res, "InvalidPrelude", label, startedAt)
                }
                return yield* logLine(label, String(head.status), startedAt, collected!.length)
              }
              const written = yield* Effect.either(
                Effect.try(() => res.writeHead(head.status, headerObject(head.headers)))
              )
              if (Either.isLeft(written)) {
                yield* Stream.runDrain(rest)
                yield* reply.completion
                yield* notice(`${label}: the prelude's headers are not valid HTTP: ${String(written.left)}`)
                return yield* badGateway(res, "InvalidPrelude", label, startedAt)
              }
              res.flushHeaders()
              yield* Stream.runForEach(rest, out.write)
              const completion = yield* reply.completion
              if (completion.error !== undefined) {
                yield* out.cut
                return yield* logLine(
                  label,
                  `${head.status}, cut off: ${completion.error.errorType}`,
                  startedAt,
                  out.sent()
                )
              }
              yield* out.end()
              return yield* logLine(label, String(head.status), startedAt, out.sent())
            })
          )
        }
        const collected = yield* collect(reply.body, Limits.bufferedResponseBytes)
        const completion = yield* reply.completion
        const error = completion.error ?? (collected === undefined ? sizeError(requestId) : undefined)
        if (error !== undefined) return yield* badGateway(res, error.errorType, label, startedAt)
        const response = FunctionUrlFront.fromBuffered(collected!, reply.contentType)
        if ("_tag" in response) {
          yield* notice(`${label}: the function's reply is not a valid Function URL response: ${response.reason}`)
          return yield* badGateway(res, "InvalidResponse", label, startedAt)
        }
        const sent = yield* Effect.either(respond(res, response))
        if (Either.isLeft(sent)) {
          yield* notice(`${label}: the function's headers are not valid HTTP`)
          return yield* badGateway(res, "InvalidResponse", label, startedAt)
        }
        return yield* logLine(label, String(response.status), startedAt, response.body.length)
      })

    const handle = (req: Http.IncomingMessage, res: Http.ServerResponse): Effect.Effect<void> => {
      const path = (req.url ?? "/").split("?")[0]!
      const api = req.method === "POST" ? (invokePath.exec(path) ?? streamPath.exec(path)) : null
      const name =
        api === null ? undefined : Option.getOrElse(Option.liftThrowable(decodeURIComponent)(api[1]!), () => api[1]!)
      const front =
        api === null || name === undefined
          ? functionUrl(req, res)
          : invokeApi(req, res, name, api[0]!.startsWith("/2021-11-15/"))
      return front.pipe(
        Effect.catchAllCause((cause) =>
          Effect.suspend(() => {
            if (res.headersSent) {
              res.destroy()
              return Effect.void
            }
            return Effect.zipRight(
              notice(`${req.method} ${req.url}: ${String(cause)}`),
              Effect.sync(() => {
                res.writeHead(500, { "content-type": "application/json" })
                res.end(JSON.stringify({ message: "Internal Server Error" }))
              })
            )
          })
        ),
        Effect.catchAllDefect(() => Effect.void)
      )
    }

    const server = Http.createServer()
    server.requestTimeout = 0
    server.on("request", (req: Http.IncomingMessage, res: Http.ServerResponse) => {
      runFork(handle(req, res))
    })
    const port = yield* Effect.async<number, EmulatorError>((resume) => {
      const onError = (error: NodeJS.ErrnoException) => {
        server.off("listening", onListening)
        resume(
          Effect.fail(
            new EmulatorError({
              reason: error.code === "EADDRINUSE" ? "PortInUse" : "Listen",
              port: requestedPort,
              cause: error
            })
          )
        )
      }
      const onListening = () => {
        server.off("error", onError)
        const address = server.address()
        resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : requestedPort))
      }
      server.once("error", onError).once("listening", onListening)
      server.listen(requestedPort, host)
    })
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        server.close()
        server.closeAllConnections()
      })
    )
    const shownHost = host.includes(":") ? `[${host}]` : host
    return Emulator.of({ url: `http://${shownHost}:${port}`, port, functionUrl: mode })
  })

/**
 * The fronts as a scoped layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Emulator, EmulatorError, LocalFunction.LocalFunction> =>
  Layer.scoped(Emulator, make(options))
