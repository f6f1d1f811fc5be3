/**
 * Wire tests of the streamed reply: `NodeRuntimeApi.make(...).openStream` driven by `ChunkedUpload.run`, against
 * a raw `node:net` server on 127.0.0.1 that parses the request (head, then a Content-Length or chunked body with
 * its trailer section) and is scripted per test: pause reading, drop the connection, answer early.
 *
 * Waiting is done by polling a condition (never by asserting on elapsed time).
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Chunk, Deferred, Effect, Exit, Fiber, Option, Stream } from "effect"
import * as Crypto from "node:crypto"
import * as Net from "node:net"
import * as Handler from "../../src/handler/Handler.js"
import * as NodeRuntimeApi from "../../src/layers/NodeRuntimeApi.js"
import * as ResponseSink from "../../src/services/ResponseSink.js"
import type * as RuntimeApi from "../../src/services/RuntimeApi.js"
import * as ChunkedUpload from "../../src/streaming/ChunkedUpload.js"
import * as ErrorReport from "../../src/streaming/ErrorReport.js"

const KiB64 = 64 * 1024
const MiB = 1024 * 1024

interface ServerRequest {
  readonly connection: number
  readonly head: string
  readonly requestLine: string
  /** Header names lower-case, in order, repeated names kept. */
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly chunked: boolean
  bodyBytes: number
  readonly parts: Array<Buffer>
  /** Size of every chunk on the wire, the final 0 included. */
  readonly chunkSizes: Array<number>
  /** Trailer fields (names as sent). */
  readonly trailers: Array<readonly [string, string]>
  complete: boolean
  answered: boolean
}

interface ServerConnection {
  readonly index: number
  readonly socket: Net.Socket
  /** Bytes delivered to the server by `data` events. */
  read: number
  /** The first data events (at most 64), as received. */
  readonly events: Array<Buffer>
  closed: boolean
}

interface Hooks {
  readonly onBody?: (request: ServerRequest, connection: ServerConnection) => void
  readonly onRequest?: (request: ServerRequest, connection: ServerConnection) => void
}

const header = (request: ServerRequest, name: string): ReadonlyArray<string> =>
  request.headers.filter(([key]) => key === name).map(([, value]) => value)

const bodyOf = (request: ServerRequest): Buffer => Buffer.concat(request.parts)

const accepted = 'HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"status":"OK"}'

const answer = (statusLine: string, body: string) =>
  `HTTP/1.1 ${statusLine}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`

let invocationCounter = 0

const invocationResponse = () => {
  const id = `inv-${++invocationCounter}`
  return (
    `HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: ${id}\r\nLambda-Runtime-Deadline-Ms: ${Date.now() + 60_000}\r\n` +
    `Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:f\r\n` +
    `Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`
  )
}

/** The default script: `GET` (the `/next` long poll) gets an invocation, anything else 202. */
const defaultAnswer = (request: ServerRequest, connection: ServerConnection) => {
  if (request.answered || connection.socket.destroyed) return
  request.answered = true
  connection.socket.write(request.requestLine.startsWith("GET ") ? invocationResponse() : accepted)
}

/** Parse the requests of one connection: heads, Content-Length bodies, chunked bodies and their trailers. */
const parseConnection = (
  connection: ServerConnection,
  requests: Array<ServerRequest>,
  hooks: Hooks
): ((data: Buffer) => void) => {
  let buffer: Buffer = Buffer.alloc(0)
  let state: "head" | "length" | "size" | "data" | "dataEnd" | "trailers" = "head"
  let remaining = 0
  let current: ServerRequest | undefined

  const takeBody = (request: ServerRequest) => {
    const take = Math.min(remaining, buffer.length)
    request.parts.push(buffer.subarray(0, take))
    request.bodyBytes += take
    remaining -= take
    buffer = buffer.subarray(take)
    hooks.onBody?.(request, connection)
  }
  const complete = (request: ServerRequest) => {
    request.complete = true
    state = "head"
    current = undefined
    ;(hooks.onRequest ?? defaultAnswer)(request, connection)
  }

  return (data) => {
    buffer = buffer.length === 0 ? data : Buffer.concat([buffer, data])
    while (!connection.socket.destroyed) {
      if (state === "head") {
        const end = buffer.indexOf("\r\n\r\n")
        if (end === -1) return
        const head = buffer.toString("latin1", 0, end)
        buffer = buffer.subarray(end + 4)
        const lines = head.split("\r\n")
        const headers = lines.slice(1).map((line): readonly [string, string] => {
          const colon = line.indexOf(":")
          return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]
        })
        const chunked = headers.some(([name, value]) => name === "transfer-encoding" && value === "chunked")
        const request: ServerRequest = {
          connection: connection.index,
          head,
          requestLine: lines[0]!,
          headers,
          chunked,
          bodyBytes: 0,
          parts: [],
          chunkSizes: [],
          trailers: [],
          complete: false,
          answered: false
        }
        requests.push(request)
        current = request
        if (chunked) {
          state = "size"
        } else {
          remaining = Number(headers.find(([name]) => name === "content-length")?.[1] ?? 0)
          state = "length"
        }
      } else if (state === "length") {
        if (remaining > 0) {
          if (buffer.length === 0) return
          takeBody(current!)
        }
        if (remaining === 0) complete(current!)
      } else if (state === "size") {
        const lineEnd = buffer.indexOf("\r\n")
        if (lineEnd === -1) return
        const size = Number.parseInt(buffer.toString("latin1", 0, lineEnd), 16)
        buffer = buffer.subarray(lineEnd + 2)
        current!.chunkSizes.push(size)
        if (size === 0) {
          state = "trailers"
        } else {
          remaining = size
          state = "data"
        }
      } else if (state === "data") {
        if (buffer.length === 0) return
        takeBody(current!)
        if (remaining === 0) state = "dataEnd"
      } else if (state === "dataEnd") {
        if (buffer.length < 2) return
        if (buffer[0] !== 13 || buffer[1] !== 10) throw new Error("test server: missing CRLF after a chunk")
        buffer = buffer.subarray(2)
        state = "size"
      } else {
        const lineEnd = buffer.indexOf("\r\n")
        if (lineEnd === -1) return
        const line = buffer.toString("latin1", 0, lineEnd)
        buffer = buffer.subarray(lineEnd + 2)
        if (line === "") {
          complete(current!)
        } else {
          const colon = line.indexOf(":")
          current!.trailers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()])
        }
      }
    }
  }
}

const rawServer = (hooks: Hooks = {}) =>
  Effect.acquireRelease(
    Effect.async<{
      readonly port: number
      readonly server: Net.Server
      readonly connections: Array<ServerConnection>
      readonly requests: Array<ServerRequest>
    }>((resume) => {
      const connections: Array<ServerConnection> = []
      const requests: Array<ServerRequest> = []
      const server = Net.createServer((socket) => {
        const connection: ServerConnection = { index: connections.length, socket, read: 0, events: [], closed: false }
        connections.push(connection)
        const feed = parseConnection(connection, requests, hooks)
        socket.on("error", () => {})
        socket.on("close", () => {
          connection.closed = true
        })
        socket.on("data", (data: Buffer) => {
          connection.read += data.length
          if (connection.events.length < 64) connection.events.push(data)
          feed(data)
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address() as Net.AddressInfo
        resume(Effect.succeed({ port: address.port, server, connections, requests }))
      })
    }),
    ({ server, connections }) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        for (const connection of connections) connection.socket.destroy()
      })
  )

/** Poll `condition` every 10 ms; die (with `what`) if it does not hold within 30 s. */
const until = (what: string, condition: () => boolean) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 30_000
    while (!condition()) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`timed out waiting for: ${what}`)
      yield* Effect.sleep("10 millis")
    }
  })

/** Poll `read` every 50 ms until it has not changed for 300 ms; die if that takes longer than 60 s. */
const stableValue = (read: () => number) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 60_000
    let last = read()
    let stableFor = 0
    while (stableFor < 300) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`never stabilised (last value ${last})`)
      yield* Effect.sleep("50 millis")
      const now = read()
      if (now === last) {
        stableFor += 50
      } else {
        stableFor = 0
        last = now
      }
    }
    return last
  })

/** Lock-step (a streamed reply carries no pipelined `/next`; the buffered replies these tests send after one would). */
const client = (port: number) => NodeRuntimeApi.make({ host: "127.0.0.1", port, pipelineNext: false })

const invocation = (requestId: string): RuntimeApi.Invocation => ({
  requestId,
  headers: { "lambda-runtime-aws-request-id": requestId },
  body: new Uint8Array(0)
})

const options = (maxBytes: number = ChunkedUpload.DefaultMaxBytes) => ({ maxBytes, report: ErrorReport.fromCause })

class Boom extends Error {
  readonly _tag = "Boom"
}

/** An endless stream of 64 KiB chunks that counts its pulls and notes when its finalizer ran. */
const endless = () => {
  const state = { pulls: 0, finalized: false }
  const chunk = new Uint8Array(KiB64).fill(42)
  const stream = Stream.repeatEffectChunk(
    Effect.sync(() => {
      state.pulls++
      return Chunk.of(chunk)
    })
  ).pipe(
    Stream.ensuring(
      Effect.sync(() => {
        state.finalized = true
      })
    )
  )
  return { state, stream }
}

const decodeTrailerBody = (value: string): unknown => JSON.parse(Buffer.from(value, "base64").toString("utf8"))

const trailer = (request: ServerRequest, name: string): string | undefined =>
  request.trailers.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1]

/** The Runtime API error a run ended with: a `Broken` outcome's error, or the error the run failed with. */
const apiErrorOf = (
  exit: Exit.Exit<ChunkedUpload.Outcome, RuntimeApi.RuntimeApiError>
): RuntimeApi.RuntimeApiError | undefined =>
  Exit.isSuccess(exit)
    ? exit.value._tag === "Broken"
      ? exit.value.error
      : undefined
    : Option.getOrUndefined(Cause.failureOption(exit.cause))

describe("NodeRuntimeApi.openStream (raw wire)", () => {
  it.scopedLive("request head, byte-exact 8 MiB body in 64 KiB chunks, no trailers, keep-alive reused", () =>
    Effect.gen(function* () {
      const server = yield* rawServer()
      const api = yield* client(server.port)
      const next = yield* api.next
      const data = Crypto.randomBytes(8 * MiB)
      const stream = Stream.range(0, 8 * 16 - 1, 1).pipe(
        Stream.map((i) => new Uint8Array(data.buffer, data.byteOffset + i * KiB64, KiB64))
      )
      const outcome = yield* ChunkedUpload.run(
        stream,
        api.openStream(next, "application/x-test; charset=binary"),
        options()
      )
      assert.deepStrictEqual(outcome, { _tag: "Completed", bytes: 8 * MiB })

      const post = server.requests[1]!
      assert.isTrue(post.complete)
      assert.strictEqual(post.requestLine, `POST /2018-06-01/runtime/invocation/${next.requestId}/response HTTP/1.1`)
      assert.deepStrictEqual(header(post, "lambda-runtime-function-response-mode"), ["streaming"])
      assert.deepStrictEqual(header(post, "transfer-encoding"), ["chunked"])
      assert.deepStrictEqual(header(post, "content-type"), ["application/x-test; charset=binary"])
      assert.deepStrictEqual(header(post, "content-length"), [])
      assert.deepStrictEqual(header(post, "host"), [`127.0.0.1:${server.port}`])
      const declared = header(post, "trailer")
        .flatMap((value) => value.split(","))
        .map((name) => name.trim().toLowerCase())
      assert.include(declared, "lambda-runtime-function-error-type")
      assert.include(declared, "lambda-runtime-function-error-body")

      assert.strictEqual(post.bodyBytes, 8 * MiB)
      assert.isTrue(bodyOf(post).equals(data), "the body reassembles byte-exact")
      assert.deepStrictEqual(post.chunkSizes, [...Array.from({ length: 128 }, () => KiB64), 0])
      assert.deepStrictEqual(post.trailers, [])

      const again = yield* api.next
      yield* api.reply(again, Buffer.from("ok"), "text/plain")
      assert.strictEqual(server.connections.length, 1, "the connection is reused after a streamed reply")
      assert.strictEqual(server.requests.length, 4)
    })
  )

  it.scopedLive("a failure after bytes: the body so far, then both trailers; the body trailer decodes", () =>
    Effect.gen(function* () {
      const server = yield* rawServer()
      const api = yield* client(server.port)
      const stream = Stream.make(Buffer.from("one "), Buffer.from("two ")).pipe(
        Stream.concat(Stream.fail(new Boom("the upstream went away")))
      )
      const report = ErrorReport.make("Weird\r\nTypé", "multi\nline ünïcødé", ["at x", "at y"])
      const target: RuntimeApi.Invocation = {
        requestId: "a/b c",
        headers: { "lambda-runtime-aws-request-id": "a/b c", "lambda-runtime-invocation-id": "inv-77" },
        body: new Uint8Array(0)
      }
      const outcome = yield* ChunkedUpload.run(stream, api.openStream(target, "text/plain"), {
        maxBytes: ChunkedUpload.DefaultMaxBytes,
        report: () => report
      })
      assert.strictEqual(outcome._tag, "Failed")
      const post = server.requests[0]!
      assert.isTrue(post.complete)
      assert.strictEqual(post.requestLine, "POST /2018-06-01/runtime/invocation/a%2Fb%20c/response HTTP/1.1")
      assert.deepStrictEqual(header(post, "lambda-runtime-invocation-id"), ["inv-77"])
      assert.strictEqual(bodyOf(post).toString(), "one two ")
      assert.deepStrictEqual(
        post.trailers.map(([name]) => name),
        ["Lambda-Runtime-Function-Error-Type", "Lambda-Runtime-Function-Error-Body"]
      )
      assert.strictEqual(trailer(post, "Lambda-Runtime-Function-Error-Type"), "Weird%0D%0ATyp%C3%A9")
      assert.deepStrictEqual(decodeTrailerBody(trailer(post, "Lambda-Runtime-Function-Error-Body")!), {
        errorType: "Weird\r\nTypé",
        errorMessage: "multi\nline ünïcødé",
        stackTrace: ["at x", "at y"]
      })
    })
  )

  it.scopedLive("a defect after bytes: trailers carry the defect's name and message", () =>
    Effect.gen(function* () {
      const server = yield* rawServer()
      const api = yield* client(server.port)
      const stream = Stream.concat(Stream.make(Buffer.alloc(1000, 7)), Stream.die(new RangeError("index 9")))
      const outcome = yield* ChunkedUpload.run(stream, api.openStream(invocation("defect-1"), "text/plain"), options())
      assert.strictEqual(outcome._tag, "Failed")
      const post = server.requests[0]!
      assert.strictEqual(post.bodyBytes, 1000)
      assert.strictEqual(trailer(post, "Lambda-Runtime-Function-Error-Type"), "RangeError")
      const body = decodeTrailerBody(trailer(post, "Lambda-Runtime-Function-Error-Body")!) as ErrorReport.ErrorReport
      assert.strictEqual(body.errorType, "RangeError")
      assert.strictEqual(body.errorMessage, "index 9")
    })
  )

  it.scopedLive("an empty stream: head and the last chunk only; a failure before the first byte sends nothing", () =>
    Effect.gen(function* () {
      const server = yield* rawServer()
      const api = yield* client(server.port)
      const empty = yield* ChunkedUpload.run(Stream.empty, api.openStream(invocation("empty"), "text/plain"), options())
      assert.deepStrictEqual(empty, { _tag: "Completed", bytes: 0 })
      const post = server.requests[0]!
      assert.isTrue(post.complete)
      assert.deepStrictEqual(post.chunkSizes, [0])
      assert.deepStrictEqual(post.trailers, [])

      const notStarted = yield* ChunkedUpload.run(
        Stream.fail(new Boom("nothing to send")),
        api.openStream(invocation("never"), "text/plain"),
        options()
      )
      assert.strictEqual(notStarted._tag, "NotStarted")
      assert.strictEqual(server.requests.length, 1, "no POST for a stream that failed before its first byte")
      assert.strictEqual(server.connections.length, 1)
    })
  )

  it.scopedLive("openStream sends nothing before the first chunk; the head and the first chunk arrive together", () =>
    Effect.gen(function* () {
      const server = yield* rawServer()
      const api = yield* client(server.port)
      const next = yield* api.next
      const connection = server.connections[0]!
      const readBefore = connection.read
      const eventsBefore = connection.events.length
      const writer = yield* api.openStream(next, "text/plain")
      yield* Effect.sleep("200 millis")
      assert.strictEqual(connection.read, readBefore, "no byte of the POST before the first chunk")
      writer.write(Buffer.from("hello"))
      yield* until("the first POST bytes", () => connection.events.length > eventsBefore)
      const first = connection.events[eventsBefore]!.toString("latin1")
      assert.match(first, /^POST \/2018-06-01\/runtime\/invocation\/inv-\d+\/response HTTP\/1\.1\r\n/)
      assert.isTrue(first.endsWith("\r\n\r\n5\r\nhello\r\n"), JSON.stringify(first))
      yield* writer.end()
      assert.strictEqual(bodyOf(server.requests[1]!).toString(), "hello")
    })
  )

  it.scopedLive("ChunkedUpload: a stream that waits before its first chunk: no POST bytes until it is ready", () =>
    Effect.gen(function* () {
      const server = yield* rawServer()
      const api = yield* client(server.port)
      const next = yield* api.next
      const connection = server.connections[0]!
      const readBefore = connection.read
      const eventsBefore = connection.events.length
      const gate = yield* Deferred.make<void>()
      const waiting = yield* Deferred.make<void>()
      const stream = Stream.fromEffect(
        Deferred.succeed(waiting, undefined).pipe(
          Effect.zipRight(Deferred.await(gate)),
          Effect.as(Buffer.from("first"))
        )
      ).pipe(Stream.concat(Stream.make(Buffer.from("second"))))
      const fiber = yield* Effect.fork(ChunkedUpload.run(stream, api.openStream(next, "text/plain"), options()))
      yield* Deferred.await(waiting)
      yield* Effect.sleep("200 millis")
      assert.strictEqual(connection.read, readBefore, "no POST bytes while the first chunk is not ready")
      yield* Deferred.succeed(gate, undefined)
      const outcome = yield* Fiber.join(fiber)
      assert.deepStrictEqual(outcome, { _tag: "Completed", bytes: 11 })
      const first = connection.events[eventsBefore]!.toString("latin1")
      assert.isTrue(first.startsWith("POST "))
      assert.include(first, "\r\n\r\n5\r\nfirst\r\n")
      assert.strictEqual(bodyOf(server.requests[1]!).toString(), "firstsecond")
    })
  )

  it.scopedLive("backpressure: a paused reader stops the pulls; resuming it lets them continue", () =>
    Effect.gen(function* () {
      let paused = false
      const server = yield* rawServer({
        onBody: (request, connection) => {
          if (request.bodyBytes >= KiB64 && !paused) {
            paused = true
            connection.socket.pause()
          }
        }
      })
      const api = yield* client(server.port)
      const { state, stream } = endless()
      const fiber = yield* Effect.fork(
        ChunkedUpload.run(stream, api.openStream(invocation("bp"), "text/plain"), options())
      )
      yield* until("the server paused", () => paused)
      const stablePulls = yield* stableValue(() => state.pulls)
      const connection = server.connections[0]!
      const pulledBytes = stablePulls * KiB64
      assert.isBelow(pulledBytes - connection.read, 32 * MiB, "at most the kernel buffers are in flight")
      assert.isNull(fiber.unsafePoll(), "the upload is still running")
      assert.isFalse(state.finalized)

      connection.socket.resume()
      yield* until("pulls to continue", () => state.pulls > stablePulls + 16)
      assert.isNull(fiber.unsafePoll())

      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.isTrue(state.finalized)
      const post = server.requests[0]!
      yield* until("the POST to complete", () => post.complete)
      assert.strictEqual(trailer(post, "Lambda-Runtime-Function-Error-Type"), ErrorReport.InterruptedType)
      assert.strictEqual(post.bodyBytes % KiB64, 0)
      assert.isAtMost(post.bodyBytes, state.pulls * KiB64)
    })
  )

  it.scopedLive("the server drops the connection mid-stream: Broken, finalizer ran, the client still works", () =>
    Effect.gen(function* () {
      let dropped = false
      const server = yield* rawServer({
        onBody: (request, connection) => {
          if (request.bodyBytes >= MiB && !dropped) {
            dropped = true
            connection.socket.destroy()
          }
        }
      })
      const api = yield* client(server.port)
      const next = yield* api.next
      const { state, stream } = endless()
      const outcome = yield* ChunkedUpload.run(stream, api.openStream(next, "text/plain"), options())
      assert.strictEqual(outcome._tag, "Broken")
      if (outcome._tag === "Broken") {
        assert.strictEqual(outcome.error.reason, "Transport")
        assert.isAtLeast(outcome.bytes, MiB)
      }
      assert.isTrue(state.finalized)

      const again = yield* api.next
      yield* api.reply(again, Buffer.from("after"), "text/plain")
      const last = server.requests[server.requests.length - 1]!
      assert.isTrue(last.complete)
      assert.strictEqual(bodyOf(last).toString(), "after")
      assert.strictEqual(last.connection, 1, "a fresh connection")
    })
  )

  it.scopedLive("the server answers 400 before the body ends: the run ends, the connection is not reused", () =>
    Effect.gen(function* () {
      const server = yield* rawServer({
        onBody: (request, connection) => {
          if (request.bodyBytes >= 4 * KiB64 && !request.answered) {
            request.answered = true
            connection.socket.write(
              answer("400 Bad Request", '{"errorType":"InvalidStreamingOperation","errorMessage":"no"}')
            )
          }
        }
      })
      const api = yield* client(server.port)
      const next = yield* api.next
      const { state, stream } = endless()
      const exit = yield* Effect.exit(ChunkedUpload.run(stream, api.openStream(next, "text/plain"), options()))
      const error = apiErrorOf(exit)
      assert.isDefined(error, `unexpected exit ${JSON.stringify(exit)}`)
      assert.strictEqual(error?.reason, "StatusCode")
      assert.strictEqual(error?.status, 400)
      assert.isTrue(state.finalized)

      const again = yield* api.next
      yield* api.reply(again, Buffer.from("fine"), "text/plain")
      const last = server.requests[server.requests.length - 1]!
      assert.strictEqual(bodyOf(last).toString(), "fine")
      assert.notStrictEqual(last.connection, 0)
      yield* until("the answered connection to close", () => server.connections[0]!.closed)
    })
  )

  it.scopedLive("the server answers 400 right after the head of a short body: no hang, then a working client", () =>
    Effect.gen(function* () {
      const server = yield* rawServer({
        onBody: (request, connection) => {
          if (request.requestLine.startsWith("POST") && request.chunked && !request.answered) {
            request.answered = true
            connection.socket.write(answer("400 Bad Request", '{"errorType":"InvalidStreamingOperation"}'))
          }
        }
      })
      const api = yield* client(server.port)
      const next = yield* api.next
      const stream = Stream.range(1, 4, 1).pipe(Stream.map(() => new Uint8Array(KiB64)))
      const exit = yield* Effect.exit(ChunkedUpload.run(stream, api.openStream(next, "text/plain"), options()))
      const error = apiErrorOf(exit)
      assert.strictEqual(error?.status, 400, `unexpected exit ${JSON.stringify(exit)}`)

      const again = yield* api.next
      yield* api.reply(again, Buffer.from("fine"), "text/plain")
      assert.strictEqual(bodyOf(server.requests[server.requests.length - 1]!).toString(), "fine")
    })
  )

  it.scopedLive("ResponseSink.replyStream with a 1,000,000-byte limit and 10 MiB: cut, ResponseSizeTooLarge", () =>
    Effect.gen(function* () {
      const server = yield* rawServer()
      const api = yield* client(server.port)
      const next = yield* api.next
      const sink = ResponseSink.make(api, { maxStreamedBytes: 1_000_000 })
      let finalized = false
      const stream = Stream.range(0, 159, 1).pipe(
        Stream.map(() => new Uint8Array(KiB64).fill(1)),
        Stream.ensuring(
          Effect.sync(() => {
            finalized = true
          })
        )
      )
      const outcome = yield* sink.replyStream(next, new Handler.StreamReply(stream, "application/octet-stream"), {
        report: ErrorReport.fromCause
      })
      // Failed: the reply was opened (and ended with trailers), so the invocation is answered.
      assert.strictEqual(outcome._tag, "Failed")
      assert.isTrue(finalized)
      const post = server.requests[1]!
      assert.isTrue(post.complete)
      assert.isAtMost(post.bodyBytes, 1_000_000)
      assert.strictEqual(post.bodyBytes, 15 * KiB64)
      assert.strictEqual(trailer(post, "Lambda-Runtime-Function-Error-Type"), "Function.ResponseSizeTooLarge")
      const body = decodeTrailerBody(trailer(post, "Lambda-Runtime-Function-Error-Body")!) as ErrorReport.ErrorReport
      assert.strictEqual(body.errorType, "Function.ResponseSizeTooLarge")
    })
  )

  it.scopedLive("a streamed reply answered 400 after its end: the healthy keep-alive connection is reused", () =>
    Effect.gen(function* () {
      const server = yield* rawServer({
        onRequest: (request, connection) => {
          if (request.chunked) {
            request.answered = true
            connection.socket.write(answer("400 Bad Request", '{"errorType":"InvalidRequestID"}'))
          } else {
            defaultAnswer(request, connection)
          }
        }
      })
      const api = yield* client(server.port)
      const next = yield* api.next
      const exit = yield* Effect.exit(
        ChunkedUpload.run(Stream.make(Buffer.from("body")), api.openStream(next, "text/plain"), options())
      )
      assert.isTrue(Exit.isSuccess(exit) && exit.value._tag === "Broken")
      assert.strictEqual(apiErrorOf(exit)?.status, 400)
      const again = yield* api.next
      yield* api.reply(again, Buffer.from("fine"), "text/plain")
      assert.strictEqual(server.requests.length, 4)
      // Http1Connection read the whole 400 answer: the connection is in step and was handed back to the pool,
      // so it must not be destroyed afterwards (nor handed to another exchange while being destroyed).
      assert.deepStrictEqual(
        server.requests.map((request) => request.connection),
        [0, 0, 0, 0],
        "the connection answered 400 at the end of the stream is reused, not destroyed"
      )
    })
  )

  it.scopedLive("ResponseSink.replyStream: a 500 answered mid-stream is fatal, as a 500 after the end is", () =>
    Effect.gen(function* () {
      const server = yield* rawServer({
        onBody: (request, connection) => {
          if (request.chunked && request.bodyBytes >= 4 * KiB64 && !request.answered) {
            request.answered = true
            connection.socket.write(answer("500 Internal Server Error", '{"errorType":"Runtime.Unknown"}'))
          }
        }
      })
      const api = yield* client(server.port)
      const next = yield* api.next
      const sink = ResponseSink.make(api)
      const { state, stream } = endless()
      const exit = yield* Effect.exit(
        sink.replyStream(next, new Handler.StreamReply(stream, "text/plain"), {
          report: ErrorReport.fromCause
        })
      )
      assert.isTrue(state.finalized)
      assert.isTrue(Exit.isFailure(exit), `a 500 must fail replyStream (Runtime API §3.6), got ${JSON.stringify(exit)}`)
      assert.strictEqual(apiErrorOf(exit)?.status, 500)
    })
  )

  it.scopedLive("ResponseSink.replyStream: a 500 answered at the end of the stream is fatal", () =>
    Effect.gen(function* () {
      const server = yield* rawServer({
        onRequest: (request, connection) => {
          if (request.chunked) {
            request.answered = true
            connection.socket.write(answer("500 Internal Server Error", '{"errorType":"Runtime.Unknown"}'))
          } else {
            defaultAnswer(request, connection)
          }
        }
      })
      const api = yield* client(server.port)
      const next = yield* api.next
      const sink = ResponseSink.make(api)
      const exit = yield* Effect.exit(
        sink.replyStream(next, new Handler.StreamReply(Stream.make(Buffer.from("x")), "text/plain"), {
          report: ErrorReport.fromCause
        })
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(apiErrorOf(exit)?.status, 500)
    })
  )

  it.scopedLive("nothing listens: the run breaks or fails with Transport instead of hanging", () =>
    Effect.gen(function* () {
      const port = yield* Effect.async<number>((resume) => {
        const probe = Net.createServer()
        probe.listen(0, "127.0.0.1", () => {
          const free = (probe.address() as Net.AddressInfo).port
          probe.close(() => resume(Effect.succeed(free)))
        })
      })
      const api = yield* client(port)
      for (const size of [16, 4 * MiB]) {
        const exit = yield* Effect.exit(
          ChunkedUpload.run(
            Stream.make(new Uint8Array(size)),
            api.openStream(invocation("refused"), "text/plain"),
            options()
          )
        )
        const error = apiErrorOf(exit)
        assert.strictEqual(error?.reason, "Transport", `size ${size}: ${JSON.stringify(exit)}`)
      }
    })
  )
})
