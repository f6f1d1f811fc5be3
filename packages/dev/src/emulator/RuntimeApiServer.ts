/**
 * A strict Lambda Runtime API server on 127.0.0.1, for wire tests, end-to-end tests and the local emulator.
 *
 * It serves the four endpoints a runtime uses (`/next`, `/{id}/response`, `/{id}/error`, `/init/error`)
 * over real HTTP, hands each queued invocation to exactly one `/next` poll, checks every reply against the
 * protocol, and records every exchange byte-exact (bodies, lower-case headers, HTTP trailers) so that tests
 * can assert on what the runtime put on the wire. Faults can be injected per invocation.
 *
 * An invocation can also be observed while it runs: {@link Enqueued} tells when a `/next` poll took it (and
 * its deadline) and hands over its reply as soon as the reply's POST starts. For a `live` invocation the body
 * of a `/response` is passed on chunk by chunk as it arrives, with backpressure, followed by its trailers in
 * the outcome. The local emulator (`LocalFunction`) is built on this.
 *
 * @since 0.1.0
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import * as InvocationContext from "effect-lambda-runtime/InvocationContext"
import * as RuntimeApi from "effect-lambda-runtime/RuntimeApi"

/**
 * One invocation to hand to the runtime, and the faults to inject into it.
 *
 * The optional `/next` headers (`Lambda-Runtime-Client-Context`, `Lambda-Runtime-Cognito-Identity`,
 * `Lambda-Runtime-Aws-Tenant-Id`, `Lambda-Runtime-Invocation-Id`) are given through `headers`. A header
 * given there replaces the default of the same name (names are case-insensitive); `null` removes it, so a
 * test can send a malformed `/next` (non-numeric deadline, no ARN, no request id, invalid JSON…). An
 * `Lambda-Runtime-Invocation-Id` sent on `/next` must be echoed on the reply.
 *
 * @since 0.1.0
 * @category models
 */
export interface InvokeRequest {
  /** The event body, sent as is (a string is sent as UTF-8). */
  readonly event: Uint8Array | string
  /** Default: a fresh random UUID. */
  readonly requestId?: string
  /** The deadline is the time `/next` answers plus this (default {@link Defaults}.timeoutMs). */
  readonly timeoutMs?: number
  /** Extra or replacement `/next` response headers; `null` removes a header. */
  readonly headers?: Readonly<Record<string, string | null>>
  /** Answer the `/next` poll that takes this invocation with this status and a JSON error body instead. */
  readonly nextStatus?: number
  /** Destroy the socket of the `/next` poll that takes this invocation, without answering. */
  readonly dropNext?: boolean
  /** Answer the reply POST of this invocation with this status (and a JSON error body), still recording it. */
  readonly replyStatus?: number
  /**
   * Observe the reply while it arrives (see {@link Enqueued}.reply): the body of a `/response` is handed on
   * chunk by chunk as it arrives instead of being kept, so the outcome's `body` is empty. The POST is paused
   * while more than {@link Limits}.liveBufferBytes are waiting, so the body must be consumed.
   */
  readonly live?: boolean
}

/**
 * An error report as received on `/error` or `/init/error`, when the body is a JSON object with string
 * `errorType` and `errorMessage` (`stackTrace` is kept when it is an array of strings).
 *
 * @since 0.1.0
 * @category models
 */
export interface ReceivedReport {
  readonly errorType: string
  readonly errorMessage: string
  readonly stackTrace?: ReadonlyArray<string>
}

/**
 * The first reply to an invocation was a `POST …/{id}/response`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResponseOutcome {
  readonly _tag: "Response"
  readonly requestId: string
  /** The status this server answered the POST with (202 when all was well). */
  readonly status: number
  /** Request headers, names lower-case. */
  readonly headers: Readonly<Record<string, string>>
  /** The body bytes, exactly as received (cut at the size limit when the server answered 413). */
  readonly body: Uint8Array
  /** HTTP trailers of a chunked body, names lower-case. */
  readonly trailers: Readonly<Record<string, string>>
  /** Whether the body was sent with `Transfer-Encoding: chunked`. */
  readonly streamed: boolean
}

/**
 * The first reply to an invocation was a `POST …/{id}/error`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorOutcome {
  readonly _tag: "Error"
  readonly requestId: string
  /** The status this server answered the POST with (202 when all was well). */
  readonly status: number
  /** Request headers, names lower-case. */
  readonly headers: Readonly<Record<string, string>>
  /** The body bytes, exactly as received. */
  readonly body: Uint8Array
  /** The parsed body, `undefined` when it is not a standard error object. */
  readonly report: ReceivedReport | undefined
}

/**
 * How the runtime replied to an invocation.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome = ResponseOutcome | ErrorOutcome

/**
 * A `POST /runtime/init/error` as received.
 *
 * @since 0.1.0
 * @category models
 */
export interface InitError {
  /** Request headers, names lower-case. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
  readonly report: ReceivedReport | undefined
}

/**
 * One HTTP request the server received and what became of it.
 *
 * - `pending`: not answered yet (a `/next` poll still waiting, a body still arriving);
 * - `answered`: answered with `status`;
 * - `dropped`: its socket was destroyed on purpose (`dropNext`);
 * - `aborted`: the client went away before it was answered.
 *
 * @since 0.1.0
 * @category models
 */
export interface Exchange {
  readonly method: string
  /** The request target as received (still URL-encoded). */
  readonly path: string
  /** Request headers, names lower-case (repeated headers joined with `", "`). */
  readonly headers: Readonly<Record<string, string>>
  /** Number of request body bytes received. */
  readonly bodyLength: number
  /** HTTP trailers, names lower-case. */
  readonly trailers: Readonly<Record<string, string>>
  readonly state: "pending" | "answered" | "dropped" | "aborted"
  /** The status answered, `undefined` unless `state` is `answered`. */
  readonly status: number | undefined
  /** The invocation this exchange carried (`/next`) or replied to (`/response`, `/error`). */
  readonly requestId: string | undefined
}

/**
 * A `/next` poll took an invocation.
 *
 * @since 0.1.0
 * @category models
 */
export interface Delivery {
  readonly requestId: string
  /** The `Lambda-Runtime-Deadline-Ms` sent with it (Unix epoch milliseconds). */
  readonly deadlineMs: number
}

/**
 * The body of a `/response` stopped before its end: the runtime's connection closed mid-body.
 *
 * @since 0.1.0
 * @category errors
 */
export class ReplyAborted extends Data.TaggedError("ReplyAborted")<{
  readonly requestId: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `the reply to ${this.requestId} was cut short: ${String(this.cause)}`
  }
}

/**
 * A `/response` POST that has started. Its body is read once: chunk by chunk as they arrive for a `live`
 * invocation, otherwise the whole recorded body at once. The trailers and the status this server answered
 * are in the invocation's outcome, which completes once the body has ended.
 *
 * @since 0.1.0
 * @category models
 */
export interface LiveResponse {
  readonly _tag: "Response"
  readonly requestId: string
  /** Request headers, names lower-case. */
  readonly headers: Readonly<Record<string, string>>
  /** Whether the body is sent with `Transfer-Encoding: chunked`. */
  readonly streamed: boolean
  /** Fails with {@link ReplyAborted} when the POST is cut short. Bytes past the size limit are dropped. */
  readonly body: Stream.Stream<Uint8Array, ReplyAborted>
}

/**
 * The first reply to an invocation, as soon as it starts: a `/response` being received, or a whole `/error`.
 *
 * @since 0.1.0
 * @category models
 */
export type Reply = LiveResponse | ErrorOutcome

/**
 * An invocation that was queued.
 *
 * @since 0.1.0
 * @category models
 */
export interface Enqueued {
  readonly requestId: string
  /**
   * Waits for the first reply to the invocation. An invocation whose `/next` was dropped or failed
   * never gets one: bound the wait with `Effect.timeout`. Interrupted when the server stops.
   */
  readonly outcome: Effect.Effect<Outcome>
  /** Waits until a `/next` poll has taken the invocation. Interrupted when the server stops. */
  readonly delivered: Effect.Effect<Delivery>
  /**
   * Waits for the first reply to start (a `/response` whose headers arrived, or a complete `/error`). Only
   * replies the server accepts count: a rejected reply (unknown id, second reply) does not. Interrupted when
   * the server stops.
   */
  readonly reply: Effect.Effect<Reply>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** `127.0.0.1:PORT`, the value for `AWS_LAMBDA_RUNTIME_API`. */
  readonly address: string
  /** Queue an invocation and wait for its first reply. Dies if the request id is already queued or in flight. */
  readonly invoke: (request: InvokeRequest) => Effect.Effect<Outcome>
  /** Queue an invocation. Dies if the request id is already queued or in flight, or a header is not valid HTTP. */
  readonly enqueue: (request: InvokeRequest) => Effect.Effect<Enqueued>
  /** Every `/init/error` received, in order. */
  readonly initErrors: Effect.Effect<ReadonlyArray<InitError>>
  /** Waits for the first `/init/error`. */
  readonly awaitInitError: Effect.Effect<InitError>
  /** Every request received, in arrival order. */
  readonly exchanges: Effect.Effect<ReadonlyArray<Exchange>>
  /**
   * Protocol violations seen, in order: a reply to an unknown, undelivered or already answered request id,
   * a bad `Lambda-Runtime-Function-Response-Mode`, a `Lambda-Runtime-Invocation-Id` that does not match (or
   * is missing, or was not expected), a request body cut short, a request to an unknown endpoint.
   */
  readonly violations: Effect.Effect<ReadonlyArray<string>>
  /** How many `/next` requests have been received in total. */
  readonly nextPolls: Effect.Effect<number>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RuntimeApiServer extends Context.Tag("effect-lambda-runtime/RuntimeApiServer")<
  RuntimeApiServer,
  Service
>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Port on 127.0.0.1; default 0 (a free port). */
  readonly port?: number
}

/**
 * Defaults of the `/next` headers.
 *
 * @since 0.1.0
 * @category constants
 */
export const Defaults = {
  functionArn: "arn:aws:lambda:us-east-1:123456789012:function:test-function",
  timeoutMs: 30_000,
  contentType: "application/json"
} as const

/**
 * Body size limits of `/response`: a buffered body may have 6 MiB + 100 bytes (as the Runtime Interface
 * Emulator enforces), a body sent with `Lambda-Runtime-Function-Response-Mode: streaming` 200 MiB.
 * Larger bodies are read to the end and answered 413 `RequestEntityTooLarge`. `liveBufferBytes`: how much
 * of a live body may wait for its reader before the POST is paused.
 *
 * @since 0.1.0
 * @category constants
 */
export const Limits = {
  bufferedResponseBytes: 6 * 1024 * 1024 + 100,
  streamedResponseBytes: 200 * 1024 * 1024,
  liveBufferBytes: 256 * 1024
} as const

const Routes = {
  response: "/2018-06-01/runtime/invocation/:id/response",
  error: "/2018-06-01/runtime/invocation/:id/error"
} as const

const ReplyHeaders = {
  responseMode: "lambda-runtime-function-response-mode",
  invocationId: InvocationContext.Headers.invocationId,
  transferEncoding: "transfer-encoding"
} as const

type EntryState = "queued" | "delivered" | "replying" | "answered" | "undelivered"

interface Entry {
  readonly requestId: string
  readonly request: InvokeRequest
  readonly outcome: Deferred.Deferred<Outcome>
  readonly delivered: Deferred.Deferred<Delivery>
  readonly reply: Deferred.Deferred<Reply>
  state: EntryState
  invocationId: string | undefined
}

interface ExchangeRecord {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  bodyLength: number
  trailers: Readonly<Record<string, string>>
  state: Exchange["state"]
  status: number | undefined
  requestId: string | undefined
}

interface ReceivedBody {
  readonly bytes: Uint8Array
  readonly length: number
  readonly trailers: Readonly<Record<string, string>>
}

/** A waiting `/next` poll. Returns false when its connection is already gone. */
type Waiter = (entry: Entry) => boolean

class BodyAborted extends Data.TaggedError("BodyAborted")<{ readonly cause: unknown }> {
  override get message(): string {
    return `request body cut short: ${String(this.cause)}`
  }
}

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

const errorJson = (status: number, errorType: string, errorMessage: string): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson({ errorType, errorMessage }, { status })

const injected = (status: number): HttpServerResponse.HttpServerResponse =>
  errorJson(status, errorTypes[status] ?? "InjectedFault", `injected HTTP ${status}`)

const accepted: HttpServerResponse.HttpServerResponse = HttpServerResponse.unsafeJson({ status: "OK" }, { status: 202 })

const headerRecord = (headers: Http.IncomingHttpHeaders | NodeJS.Dict<string>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    out[name] = Array.isArray(value) ? value.join(", ") : value
  }
  return out
}

const encoder = new TextEncoder()

const eventBytes = (event: Uint8Array | string): Uint8Array =>
  typeof event === "string" ? encoder.encode(event) : event

const concat = (chunks: ReadonlyArray<Uint8Array>, length: number): Uint8Array => {
  const out = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

const traceId = (nowMs: number): string => {
  const epochHex = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, "0")
  const root = `1-${epochHex}-${Crypto.randomBytes(12).toString("hex")}`
  return `Root=${root};Parent=${Crypto.randomBytes(8).toString("hex")};Sampled=1`
}

const parseReport = (bytes: Uint8Array): ReceivedReport | undefined => {
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

const isGone = (response: Http.ServerResponse): boolean =>
  response.destroyed || response.writableEnded || response.socket === null || response.socket.destroyed

/**
 * The body of a live `/response`, handed from the Node request to one reader. The request is paused while
 * more than `Limits.liveBufferBytes` wait, and resumed when the reader takes them.
 */
class LiveBody {
  private chunks: Array<Uint8Array> = []
  private waiting = 0
  private paused = false
  private end: { readonly error: ReplyAborted | undefined } | undefined = undefined
  private wake: (() => void) | undefined = undefined

  constructor(
    private readonly incoming: Http.IncomingMessage,
    private readonly requestId: string
  ) {}

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk)
    this.waiting += chunk.length
    if (!this.paused && this.waiting > Limits.liveBufferBytes) {
      this.paused = true
      this.incoming.pause()
    }
    this.wake?.()
  }

  close(cause?: unknown): void {
    if (this.end !== undefined) return
    this.end = {
      error: cause === undefined ? undefined : new ReplyAborted({ requestId: this.requestId, cause })
    }
    this.wake?.()
  }

  private readonly pull: Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<ReplyAborted>> = Effect.suspend(() => {
    if (this.chunks.length > 0) {
      const out = this.chunks
      this.chunks = []
      this.waiting = 0
      if (this.paused) {
        this.paused = false
        this.incoming.resume()
      }
      return Effect.succeed(Chunk.unsafeFromArray(out))
    }
    if (this.end !== undefined) {
      return Effect.fail(this.end.error === undefined ? Option.none() : Option.some(this.end.error))
    }
    return Effect.async<Chunk.Chunk<Uint8Array>, Option.Option<ReplyAborted>>((resume) => {
      this.wake = () => {
        this.wake = undefined
        resume(this.pull)
      }
      return Effect.sync(() => {
        this.wake = undefined
      })
    })
  })

  readonly stream: Stream.Stream<Uint8Array, ReplyAborted> = Stream.repeatEffectChunkOption(this.pull)
}

/**
 * Read a whole request body from the Node request, keeping at most `keep` bytes (or handing them to `live`
 * instead), then its trailers. Fails when the connection closes before the body is complete.
 */
const readBody = (
  incoming: Http.IncomingMessage,
  keep: number,
  live?: LiveBody
): Effect.Effect<ReceivedBody, BodyAborted> =>
  Effect.async<ReceivedBody, BodyAborted>((resume) => {
    const chunks: Array<Uint8Array> = []
    let length = 0
    let kept = 0
    const onData = (chunk: Buffer) => {
      length += chunk.length
      if (kept < keep) {
        const part = chunk.length <= keep - kept ? chunk : chunk.subarray(0, keep - kept)
        if (live === undefined) {
          chunks.push(part)
          kept += part.length
        } else {
          kept += part.length
          live.push(new Uint8Array(part.buffer, part.byteOffset, part.length))
        }
      }
    }
    const onEnd = () => {
      off()
      live?.close()
      const bytes = live === undefined ? concat(chunks, kept) : new Uint8Array(0)
      resume(Effect.succeed({ bytes, length, trailers: headerRecord(incoming.trailers) }))
    }
    const onError = (cause: unknown) => {
      off()
      live?.close(cause)
      resume(Effect.fail(new BodyAborted({ cause })))
    }
    const onClose = () => {
      if (!incoming.complete) onError(new Error("connection closed"))
    }
    const off = () => {
      incoming.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose)
    }
    if (incoming.readableEnded) {
      live?.close()
      resume(Effect.succeed({ bytes: new Uint8Array(0), length: 0, trailers: headerRecord(incoming.trailers) }))
      return
    }
    incoming.on("data", onData).once("end", onEnd).once("error", onError).once("close", onClose)
    return Effect.sync(off)
  })

/**
 * Start the server on 127.0.0.1 in the current scope. Closing the scope stops listening, destroys every
 * open connection (pending `/next` polls included) and interrupts the callers still waiting for an outcome.
 * Fails with `ServeError` when the port cannot be bound.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: Options) => Effect.Effect<Service, HttpServerError.ServeError, Scope.Scope> =
  Effect.fnUntraced(function* (options?: Options) {
    const queued: Array<Entry> = []
    const waiters: Array<Waiter> = []
    const entries = new Map<string, Entry>()
    const records: Array<ExchangeRecord> = []
    const recordOf = new WeakMap<Http.IncomingMessage, ExchangeRecord>()
    const violations: Array<string> = []
    const initErrors: Array<InitError> = []
    const firstInitError = yield* Deferred.make<InitError>()
    let nextPolls = 0
    let closed = false

    const nodeServer = Http.createServer()
    // Runtimes hold connections open across long polls and slow streams, as Lambda's own server allows.
    nodeServer.keepAliveTimeout = 0
    nodeServer.requestTimeout = 0
    nodeServer.on("request", (incoming: Http.IncomingMessage) => {
      const record: ExchangeRecord = {
        method: incoming.method ?? "",
        path: incoming.url ?? "",
        headers: headerRecord(incoming.headers),
        bodyLength: 0,
        trailers: {},
        state: "pending",
        status: undefined,
        requestId: undefined
      }
      records.push(record)
      recordOf.set(incoming, record)
    })

    const httpServer = yield* NodeHttpServer.make(() => nodeServer, { host: "127.0.0.1", port: options?.port ?? 0 })
    const address =
      httpServer.address._tag === "TcpAddress"
        ? `${httpServer.address.hostname}:${httpServer.address.port}`
        : httpServer.address.path

    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closed = true
        if (nodeServer.listening) nodeServer.close()
        nodeServer.closeAllConnections()
        queued.length = 0
        return Effect.forEach(
          entries.values(),
          (entry) =>
            Effect.all([
              Deferred.interrupt(entry.outcome),
              Deferred.interrupt(entry.delivered),
              Deferred.interrupt(entry.reply)
            ]),
          { discard: true }
        )
      })
    )

    const violation = (message: string) =>
      Effect.zipRight(
        Effect.sync(() => violations.push(message)),
        Effect.logDebug(`RuntimeApiServer: protocol violation: ${message}`)
      )

    const offer = (entry: Entry) => {
      for (let waiter = waiters.shift(); waiter !== undefined; waiter = waiters.shift()) {
        if (waiter(entry)) return
      }
      queued.push(entry)
    }

    // Uninterruptible by construction (the route is): it ends when an invocation comes or the poll's
    // connection closes, so an invocation is never taken by a poll that cannot carry it.
    const take = (response: Http.ServerResponse): Effect.Effect<Entry | undefined> =>
      Effect.async<Entry | undefined>((resume) => {
        if (isGone(response)) return resume(Effect.succeed(undefined))
        const head = queued.shift()
        if (head !== undefined) return resume(Effect.succeed(head))
        const onClose = () => {
          const index = waiters.indexOf(waiter)
          if (index >= 0) waiters.splice(index, 1)
          resume(Effect.succeed(undefined))
        }
        const waiter: Waiter = (entry) => {
          if (isGone(response)) return false
          response.off("close", onClose)
          resume(Effect.succeed(entry))
          return true
        }
        waiters.push(waiter)
        response.once("close", onClose)
        return Effect.sync(() => {
          const index = waiters.indexOf(waiter)
          if (index >= 0) waiters.splice(index, 1)
          response.off("close", onClose)
        })
      })

    const exchange = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
      const incoming = NodeHttpServerRequest.toIncomingMessage(request)
      const response = NodeHttpServerRequest.toServerResponse(request)
      const record = recordOf.get(incoming)!
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

    const nextHeaders = (entry: Entry, body: Uint8Array, nowMs: number): Record<string, string> => {
      const headers = new Map<string, string>([
        [InvocationContext.Headers.requestId, entry.requestId],
        [InvocationContext.Headers.deadline, String(nowMs + (entry.request.timeoutMs ?? Defaults.timeoutMs))],
        [InvocationContext.Headers.functionArn, Defaults.functionArn],
        [InvocationContext.Headers.traceId, traceId(nowMs)],
        ["content-type", Defaults.contentType],
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
      nextPolls++
      const body = yield* Effect.either(read(incoming, record, 0))
      if (body._tag === "Left") return yield* aborted(record, body.left)
      const entry = yield* take(response)
      if (entry === undefined) {
        record.state = "aborted"
        return HttpServerResponse.empty({ status: 499 })
      }
      record.requestId = entry.requestId
      const request = entry.request
      if (request.dropNext === true) {
        entry.state = "undelivered"
        record.state = "dropped"
        incoming.socket.destroy()
        yield* Effect.logDebug(`RuntimeApiServer: dropped the /next carrying ${entry.requestId}`)
        return HttpServerResponse.empty({ status: 499 })
      }
      if (request.nextStatus !== undefined) {
        entry.state = "undelivered"
        return answer(record, injected(request.nextStatus))
      }
      const event = eventBytes(request.event)
      const headers = nextHeaders(entry, event, yield* Clock.currentTimeMillis)
      const invocationId = headers[InvocationContext.Headers.invocationId]
      entry.invocationId = invocationId === undefined || invocationId === "" ? undefined : invocationId
      entry.state = "delivered"
      const deadlineMs = Number(headers[InvocationContext.Headers.deadline])
      yield* Deferred.succeed(entry.delivered, { requestId: entry.requestId, deadlineMs })
      return answer(record, HttpServerResponse.raw(event, { status: 200, headers }))
    })

    const claim = (requestId: string, entry: Entry | undefined): string | undefined => {
      switch (entry?.state) {
        case undefined:
          return `reply to unknown request id ${JSON.stringify(requestId)}`
        case "queued":
          return `reply to request id ${JSON.stringify(requestId)} before /next delivered it`
        case "undelivered":
          return `reply to request id ${JSON.stringify(requestId)} whose /next was not delivered (fault injected)`
        case "replying":
        case "answered":
          return `second reply to request id ${JSON.stringify(requestId)}`
        case "delivered":
          entry.state = "replying"
          return undefined
      }
    }

    const checkInvocationId = (entry: Entry, headers: Readonly<Record<string, string>>): string | undefined => {
      const got = headers[ReplyHeaders.invocationId]
      if (entry.invocationId === undefined) {
        return got === undefined
          ? undefined
          : `unexpected Lambda-Runtime-Invocation-Id ${JSON.stringify(got)} on the reply to ${JSON.stringify(entry.requestId)} (none was sent)`
      }
      if (got === entry.invocationId) return undefined
      return got === undefined
        ? `missing Lambda-Runtime-Invocation-Id on the reply to ${JSON.stringify(entry.requestId)} (expected ${JSON.stringify(entry.invocationId)})`
        : `Lambda-Runtime-Invocation-Id ${JSON.stringify(got)} does not match ${JSON.stringify(entry.invocationId)} on the reply to ${JSON.stringify(entry.requestId)}`
    }

    const replyRoute = (kind: "response" | "error") =>
      Effect.gen(function* () {
        const { incoming, record } = yield* exchange
        const requestId = (yield* HttpRouter.params).id ?? ""
        record.requestId = requestId
        const headers = record.headers
        const entry = entries.get(requestId)
        const rejected = claim(requestId, entry)
        const mode = headers[ReplyHeaders.responseMode]
        const limit =
          kind === "error"
            ? Number.POSITIVE_INFINITY
            : mode === "streaming"
              ? Limits.streamedResponseBytes
              : Limits.bufferedResponseBytes
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
        const mismatch = checkInvocationId(entry, headers)
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
        if (entry.request.replyStatus !== undefined) reply = injected(entry.request.replyStatus)
        const outcome: Outcome =
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
      const initError: InitError = {
        headers: record.headers,
        body: body.right.bytes,
        report: parseReport(body.right.bytes)
      }
      initErrors.push(initError)
      yield* Deferred.succeed(firstInitError, initError)
      return answer(record, accepted)
    })

    const notFoundRoute = Effect.gen(function* () {
      const { incoming, record } = yield* exchange
      const body = yield* Effect.either(read(incoming, record, 0))
      if (body._tag === "Left") return yield* aborted(record, body.left)
      const message = `no such endpoint: ${record.method} ${record.path}`
      yield* violation(message)
      return answer(record, errorJson(404, "NotFound", message))
    })

    const router = HttpRouter.empty.pipe(
      HttpRouter.get(RuntimeApi.Paths.next, nextRoute, { uninterruptible: true }),
      HttpRouter.post(Routes.response, replyRoute("response"), { uninterruptible: true }),
      HttpRouter.post(Routes.error, replyRoute("error"), { uninterruptible: true }),
      HttpRouter.post(RuntimeApi.Paths.initError, initErrorRoute, { uninterruptible: true }),
      HttpRouter.all("*", notFoundRoute, { uninterruptible: true })
    )
    const app = yield* HttpRouter.toHttpApp(router).pipe(HttpRouter.withRouterConfig({ maxParamLength: 65_536 }))
    yield* httpServer.serve(app)
    yield* Effect.logDebug(`RuntimeApiServer: listening on ${address}`)

    const enqueue = (request: InvokeRequest): Effect.Effect<Enqueued> =>
      Effect.gen(function* () {
        if (closed) return yield* Effect.dieMessage("RuntimeApiServer: the server is closed")
        for (const [name, value] of Object.entries(request.headers ?? {})) {
          yield* Effect.try(() => {
            Http.validateHeaderName(name)
            if (value !== null) Http.validateHeaderValue(name, value)
          }).pipe(Effect.orDie)
        }
        const requestId = request.requestId ?? Crypto.randomUUID()
        const existing = entries.get(requestId)
        if (existing !== undefined && existing.state !== "answered" && existing.state !== "undelivered") {
          return yield* Effect.dieMessage(`RuntimeApiServer: request id ${JSON.stringify(requestId)} is already in use`)
        }
        const outcome = yield* Deferred.make<Outcome>()
        const delivered = yield* Deferred.make<Delivery>()
        const reply = yield* Deferred.make<Reply>()
        const entry: Entry = {
          requestId,
          request,
          outcome,
          delivered,
          reply,
          state: "queued",
          invocationId: undefined
        }
        entries.set(requestId, entry)
        offer(entry)
        return {
          requestId,
          outcome: Deferred.await(outcome),
          delivered: Deferred.await(delivered),
          reply: Deferred.await(reply)
        }
      })

    return RuntimeApiServer.of({
      address,
      enqueue,
      invoke: (request) => Effect.flatMap(enqueue(request), (enqueued) => enqueued.outcome),
      initErrors: Effect.sync(() => initErrors.slice()),
      awaitInitError: Deferred.await(firstInitError),
      exchanges: Effect.sync(() => records.map((record): Exchange => ({ ...record }))),
      violations: Effect.sync(() => violations.slice()),
      nextPolls: Effect.sync(() => nextPolls)
    })
  })

/**
 * The server as a scoped layer: started when the layer is built, stopped when its scope closes.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<RuntimeApiServer, HttpServerError.ServeError> =>
  Layer.scoped(RuntimeApiServer, make(options))
