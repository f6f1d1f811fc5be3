/**
 * Wire tests of the live transport against a raw TCP peer on 127.0.0.1 that we script byte by byte:
 * responses split at every offset, chunked bodies, `Connection: close`, dropped connections, 500s.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as DiagnosticsChannel from "node:diagnostics_channel"
import * as Net from "node:net"
import {
  ErrorReport,
  Handler,
  NodeRuntimeApi,
  ResponseSink,
  RuntimeApi,
  RuntimeConfig,
  RuntimeLoop
} from "../../src/index.js"
import { servedInOrder } from "../support/servedInOrder.js"

interface Received {
  readonly head: string
  readonly body: Buffer
  /** Index of the connection it came on (0-based). */
  readonly connection: number
}

type Script = (request: Received, socket: Net.Socket, index: number) => void

/**
 * A TCP server that parses each request (Content-Length bodies only) and lets `script` answer it; requests pipelined
 * on a connection are handed over in order, each once the answer before it is complete (`servedInOrder`). Every
 * read is kept too (`reads`), to see what the client wrote together.
 */
const rawServer = (script: Script) =>
  Effect.acquireRelease(
    Effect.async<{
      port: number
      server: Net.Server
      sockets: Set<Net.Socket>
      requests: Array<Received>
      reads: Array<{ readonly connection: number; readonly data: string }>
      connections: () => number
    }>((resume) => {
      const requests: Array<Received> = []
      const reads: Array<{ connection: number; data: string }> = []
      let connections = 0
      const sockets = new Set<Net.Socket>()
      const server = Net.createServer((socket) => {
        const connection = connections++
        sockets.add(socket)
        let buffer = Buffer.alloc(0)
        const serve = servedInOrder(socket)
        socket.on("error", () => {})
        socket.on("data", (data) => {
          reads.push({ connection, data: data.toString("latin1") })
          buffer = Buffer.concat([buffer, data])
          for (;;) {
            const end = buffer.indexOf("\r\n\r\n")
            if (end === -1) return
            const head = buffer.toString("latin1", 0, end)
            const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0)
            if (buffer.length < end + 4 + length) return
            const body = buffer.subarray(end + 4, end + 4 + length)
            buffer = buffer.subarray(end + 4 + length)
            serve(() => {
              const request = { head, body, connection }
              requests.push(request)
              script(request, socket, requests.length - 1)
            })
          }
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address() as Net.AddressInfo
        resume(Effect.succeed({ port: address.port, server, sockets, requests, reads, connections: () => connections }))
      })
    }),
    ({ server, sockets }) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        for (const socket of sockets) socket.destroy()
      })
  )

const nextHeaders = (id: string) =>
  `Lambda-Runtime-Aws-Request-Id: ${id}\r\nLambda-Runtime-Deadline-Ms: ${Date.now() + 5000}\r\n` +
  `Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:f\r\n`

const invocationResponse = (id: string, body: string) =>
  `HTTP/1.1 200 OK\r\n${nextHeaders(id)}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`

const answer = (statusLine: string, body: string) =>
  `HTTP/1.1 ${statusLine}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`

/** An invocation answered with `Connection: close`: the client's next request needs a new connection. */
const closingInvocation = (id: string) =>
  `HTTP/1.1 200 OK\r\n${nextHeaders(id)}Connection: close\r\nContent-Length: 2\r\n\r\n{}`

const accepted = 'HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"status":"OK"}'

/** Lock-step: each request once the one before is answered (pipelining has its own tests, "pipelined /next"). */
const client = (port: number) => NodeRuntimeApi.make({ host: "127.0.0.1", port, pipelineNext: false })

/**
 * Counts the client sockets this process creates from now on (Node's `net.client.socket` channel); `onSocket`
 * runs with the count as each is created, before it connects.
 */
const clientSockets = (onSocket: (count: number) => void) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      let count = 0
      const listener = () => onSocket(++count)
      DiagnosticsChannel.subscribe("net.client.socket", listener)
      return { count: () => count, listener }
    }),
    ({ listener }) => Effect.sync(() => DiagnosticsChannel.unsubscribe("net.client.socket", listener))
  ).pipe(Effect.map(({ count }) => count))

describe("NodeRuntimeApi (raw wire)", () => {
  it.scopedLive("GET /next: decodes the invocation, every header lower-case, and reuses one socket", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((request, socket, index) => {
        if (request.head.startsWith("GET")) socket.write(invocationResponse(`id-${index}`, `{"n":${index}}`))
        else socket.write(accepted)
      })
      const api = yield* client(server.port)
      for (let i = 0; i < 3; i++) {
        const invocation = yield* api.next
        assert.strictEqual(invocation.requestId, `id-${i * 2}`)
        assert.strictEqual(Buffer.from(invocation.body).toString(), `{"n":${i * 2}}`)
        assert.strictEqual(
          invocation.headers["lambda-runtime-invoked-function-arn"],
          "arn:aws:lambda:us-east-1:123456789012:function:f"
        )
        yield* api.reply(invocation, Buffer.from("ok"), "text/plain")
      }
      assert.strictEqual(server.connections(), 1)
      const get = server.requests[0]!.head
      assert.match(get, /^GET \/2018-06-01\/runtime\/invocation\/next HTTP\/1\.1\r\n/)
      const post = server.requests[1]!
      assert.match(post.head, /^POST \/2018-06-01\/runtime\/invocation\/id-0\/response HTTP\/1\.1\r\n/)
      assert.match(post.head, /\r\nContent-Type: text\/plain/)
      assert.strictEqual(post.body.toString(), "ok")
    })
  )

  it.scopedLive("GET /next: the invocation's headers are the Lambda-Runtime-* ones, whatever else the API sends", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((_request, socket) => {
        socket.write(
          "HTTP/1.1 200 OK\r\nDate: Thu, 03 Dec 2026 14:00:00 GMT\r\nX-Amzn-Other: 1\r\n" +
            `${nextHeaders("kept")}LAMBDA-RUNTIME-TRACE-ID: Root=1-Ab\r\nContent-Type: application/json\r\n` +
            "Connection: keep-alive\r\nContent-Length: 2\r\n\r\n{}"
        )
      })
      const api = yield* client(server.port)
      const invocation = yield* api.next
      assert.strictEqual(invocation.requestId, "kept")
      assert.sameMembers(Object.keys(invocation.headers), [
        "lambda-runtime-aws-request-id",
        "lambda-runtime-deadline-ms",
        "lambda-runtime-invoked-function-arn",
        "lambda-runtime-trace-id"
      ])
      assert.strictEqual(invocation.headers["lambda-runtime-trace-id"], "Root=1-Ab")
      assert.strictEqual(Buffer.from(invocation.body).toString(), "{}")
    })
  )

  it.scopedLive("parses a response delivered one byte at a time, with a chunked body and trailers", () =>
    Effect.gen(function* () {
      const body = JSON.stringify({ text: "ünïcødé ".repeat(200) })
      const bytes = Buffer.from(body)
      const chunks = [bytes.subarray(0, 7), bytes.subarray(7, 700), bytes.subarray(700)]
      const wire = Buffer.concat([
        Buffer.from(`HTTP/1.1 200 OK\r\n${nextHeaders("split")}Transfer-Encoding: chunked\r\n\r\n`),
        ...chunks.flatMap((c) => [Buffer.from(`${c.length.toString(16)};ext=1\r\n`), c, Buffer.from("\r\n")]),
        Buffer.from("0\r\nX-Trailer: yes\r\n\r\n")
      ])
      const server = yield* rawServer((request, socket) => {
        if (!request.head.startsWith("GET")) return void socket.write(accepted)
        let i = 0
        const drip = () => {
          if (i >= wire.length) return
          socket.write(wire.subarray(i, i + 1))
          i++
          setImmediate(drip)
        }
        drip()
      })
      const api = yield* client(server.port)
      const invocation = yield* api.next
      assert.strictEqual(invocation.requestId, "split")
      assert.strictEqual(Buffer.from(invocation.body).toString(), body)
      // the same socket is still usable afterwards
      yield* api.reply(invocation, Buffer.from("{}"), "application/json")
      assert.strictEqual(server.connections(), 1)
    })
  )

  it.scopedLive("error reports carry Lambda-Runtime-Function-XRay-Error-Cause: JSON, ASCII-only, at most 64 KiB", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((request, socket) => {
        socket.write(request.head.startsWith("GET") ? invocationResponse("x1", "{}") : accepted)
      })
      const api = yield* client(server.port)
      const invocation = yield* api.next
      const stack = ["TypeError: bad", "at handle (/var/task/index.mjs:12:34)", "at /var/task/lib.mjs:5:6"]
      yield* api.reportError(invocation, ErrorReport.make("TypeError", "bad «東京»", stack))
      const huge = Array.from({ length: 20_000 }, (_, i) => `at f${i} (/var/task/module-${i}.mjs:${i}:1)`)
      yield* api.reportInitError(ErrorReport.make("Error", "x".repeat(200_000), huge))
      const causeOf = (head: string) => /\r\nLambda-Runtime-Function-XRay-Error-Cause: ([^\r\n]*)/.exec(head)?.[1]
      const small = causeOf(server.requests[1]!.head)!
      assert.match(small, /^[\x20-\x7e]+$/)
      assert.deepStrictEqual(JSON.parse(small), {
        working_directory: process.cwd(),
        exceptions: [
          {
            type: "TypeError",
            message: "bad «東京»",
            stack: [
              { path: "/var/task/index.mjs", line: 12, label: "handle" },
              { path: "/var/task/lib.mjs", line: 5, label: "anonymous" }
            ]
          }
        ],
        paths: ["/var/task/index.mjs", "/var/task/lib.mjs"]
      })
      assert.match(server.requests[2]!.head, /^POST \/2018-06-01\/runtime\/init\/error /)
      const bounded = causeOf(server.requests[2]!.head)!
      assert.isAtMost(bounded.length, ErrorReport.MaxXRayErrorCauseBytes)
      const parsed = JSON.parse(bounded) as { exceptions: Array<{ type: string; stack: Array<unknown> }> }
      assert.strictEqual(parsed.exceptions[0]!.type, "Error")
      assert.isAbove(parsed.exceptions[0]!.stack.length, 0)
    })
  )

  it.scopedLive("error report: JSON body and a header-safe Lambda-Runtime-Function-Error-Type", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((request, socket) => {
        socket.write(request.head.startsWith("GET") ? invocationResponse("e1", "{}") : accepted)
      })
      const api = yield* client(server.port)
      const invocation = yield* api.next
      yield* api.reportError(invocation, ErrorReport.make("Bad\r\nType", "boom", ["at x"]))
      const post = server.requests[1]!
      assert.match(post.head, /^POST \/2018-06-01\/runtime\/invocation\/e1\/error /)
      assert.match(post.head, /\r\nLambda-Runtime-Function-Error-Type: Bad%0D%0AType(\r\n|$)/)
      assert.deepStrictEqual(JSON.parse(post.body.toString()), {
        errorType: "Bad\r\nType",
        errorMessage: "boom",
        stackTrace: ["at x"]
      })
    })
  )

  it.scopedLive("echoes Lambda-Runtime-Invocation-Id and URL-encodes the request id", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((request, socket) => {
        if (!request.head.startsWith("GET")) return void socket.write(accepted)
        const body = "{}"
        socket.write(
          `HTTP/1.1 200 OK\r\n${nextHeaders("a/b c")}Lambda-Runtime-Invocation-Id: inv-123\r\nContent-Length: 2\r\n\r\n${body}`
        )
      })
      const api = yield* client(server.port)
      const invocation = yield* api.next
      yield* api.reply(invocation, Buffer.from("1"), "application/json")
      assert.match(server.requests[1]!.head, /^POST \/2018-06-01\/runtime\/invocation\/a%2Fb%20c\/response /)
      assert.match(server.requests[1]!.head, /\r\nLambda-Runtime-Invocation-Id: inv-123(\r\n|$)/)
    })
  )

  it.scopedLive("Connection: close and a server that closes idle sockets: the next call reconnects", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((request, socket, index) => {
        if (request.head.startsWith("GET")) {
          socket.write(invocationResponse(`c${index}`, "{}"))
        } else {
          socket.end("HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        }
      })
      const api = yield* client(server.port)
      for (let i = 0; i < 3; i++) {
        const invocation = yield* api.next
        yield* api.reply(invocation, Buffer.from("{}"), "application/json")
      }
      assert.strictEqual(server.requests.length, 6)
      assert.strictEqual(server.connections(), 3)
    })
  )

  it.scopedLive("/next answered 500 fails with StatusCode 500", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((_request, socket) => {
        socket.write(answer("500 Internal Server Error", '{"errorType":"Runtime.Unknown"}'))
      })
      const api = yield* client(server.port)
      const exit = yield* Effect.exit(api.next)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        assert.instanceOf(error, RuntimeApi.RuntimeApiError)
        assert.strictEqual(error?.reason, "StatusCode")
        assert.strictEqual(error?.status, 500)
      }
    })
  )

  it.scopedLive("/next whose connection drops: retried a bounded number of times, then Transport", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((_request, socket) => socket.destroy())
      const api = yield* NodeRuntimeApi.make({
        host: "127.0.0.1",
        port: server.port,
        nextRetries: 2,
        pipelineNext: false
      })
      const exit = yield* Effect.exit(api.next)
      assert.isTrue(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error.reason === "Transport")
      assert.strictEqual(server.requests.length, 3)
    })
  )

  it.scopedLive("/next that drops once then succeeds: the invocation is delivered", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((_request, socket, index) => {
        if (index === 0) socket.destroy()
        else socket.write(invocationResponse("after-drop", "{}"))
      })
      const api = yield* client(server.port)
      const invocation = yield* api.next
      assert.strictEqual(invocation.requestId, "after-drop")
    })
  )

  it.scopedLive("a POST none of which left (connection refused) is sent again once, with its whole body", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((request, socket) => {
        if (request.head.startsWith("GET")) {
          socket.end(closingInvocation("refused-once"))
          server.server.close()
        } else socket.write(accepted)
      })
      // The reply's first socket finds the port closed (refused: nothing of it left); the listener is back before
      // the second connects (its connect runs a tick after the socket is created).
      // Sockets: `/next`'s, then the reply's refused one, then its retry.
      const sockets = yield* clientSockets((count) => {
        if (count === 3) server.server.listen(server.port)
      })
      const api = yield* client(server.port)
      const invocation = yield* api.next
      const body = Buffer.alloc(1024 * 1024, "r")
      yield* api.reply(invocation, body, "text/plain")
      assert.strictEqual(sockets(), 3)
      assert.strictEqual(server.connections(), 2)
      assert.strictEqual(server.requests.length, 2)
      assert.match(server.requests[1]!.head, /^POST \/2018-06-01\/runtime\/invocation\/refused-once\/response /)
      assert.isTrue(server.requests[1]!.body.equals(body))
    })
  )

  it.scopedLive("a POST refused twice fails with Transport after exactly one retry", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((_request, socket) => {
        socket.end(closingInvocation("refused"))
        server.server.close()
      })
      const sockets = yield* clientSockets(() => {})
      const api = yield* client(server.port)
      const invocation = yield* api.next
      const exit = yield* Effect.exit(api.reply(invocation, Buffer.from("lost"), "text/plain"))
      const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      assert.strictEqual(error?.reason, "Transport")
      assert.strictEqual(sockets(), 3)
      assert.strictEqual(server.requests.length, 1)
    })
  )

  it.scopedLive("/next without a request id header fails with Protocol", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((_request, socket) => {
        socket.write("HTTP/1.1 200 OK\r\nLambda-Runtime-Deadline-Ms: 1\r\nContent-Length: 2\r\n\r\n{}")
      })
      const api = yield* client(server.port)
      const exit = yield* Effect.exit(api.next)
      assert.isTrue(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error.reason === "Protocol")
    })
  )

  it.scopedLive("a malformed status line fails with Protocol instead of hanging", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((_request, socket) => socket.write("NOT-HTTP garbage\r\n\r\n"))
      const api = yield* NodeRuntimeApi.make({
        host: "127.0.0.1",
        port: server.port,
        nextRetries: 0,
        pipelineNext: false
      })
      const exit = yield* Effect.exit(api.next)
      assert.isTrue(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error.reason === "Protocol")
    })
  )

  it.scopedLive("a reply answered 410 fails with StatusCode 410 and the body as detail", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((request, socket) => {
        if (request.head.startsWith("GET")) socket.write(invocationResponse("late", "{}"))
        else socket.write(answer("410 Gone", '{"errorType":"InvokeTimeout"}'))
      })
      const api = yield* client(server.port)
      const invocation = yield* api.next
      const exit = yield* Effect.exit(api.reply(invocation, Buffer.from("{}"), "application/json"))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit) && exit.cause._tag === "Fail") {
        assert.strictEqual(exit.cause.error.status, 410)
        assert.include(exit.cause.error.message, "InvokeTimeout")
      }
    })
  )

  it.scopedLive("a 1 MiB reply is written whole (head and body) and read back byte-exact", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((request, socket) => {
        socket.write(request.head.startsWith("GET") ? invocationResponse("big", "{}") : accepted)
      })
      const api = yield* client(server.port)
      const invocation = yield* api.next
      const payload = Buffer.alloc(1024 * 1024, 7)
      yield* api.reply(invocation, payload, "application/octet-stream")
      assert.isTrue(server.requests[1]!.body.equals(payload))
    })
  )

  it.scopedLive("a string reply is sent as UTF-8 with its byte length, small (one write) and large (over 16 KiB)", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((request, socket) => {
        socket.write(request.head.startsWith("GET") ? invocationResponse(`s-${request.head.length}`, "{}") : accepted)
      })
      const api = yield* client(server.port)
      const small = '{"city":"東京","note":"naïve ✓"}'
      const large = JSON.stringify({ items: Array.from({ length: 4000 }, (_, i) => `東京-${i}-✓`) })
      assert.isAbove(large.length, 16 * 1024)
      for (const body of [small, large]) {
        const invocation = yield* api.next
        yield* api.reply(invocation, body, "application/json")
        const posted = server.requests[server.requests.length - 1]!
        const bytes = Buffer.from(body, "utf8")
        assert.notStrictEqual(bytes.length, body.length)
        assert.include(posted.head, `Content-Length: ${bytes.length}`)
        assert.isTrue(posted.body.equals(bytes))
      }
    })
  )

  it.scopedLive("init error: POST /runtime/init/error with the type header", () =>
    Effect.gen(function* () {
      const server = yield* rawServer((_request, socket) => socket.write(accepted))
      const api = yield* client(server.port)
      yield* api.reportInitError(ErrorReport.make("ConfigMissing", "no table"))
      assert.match(server.requests[0]!.head, /^POST \/2018-06-01\/runtime\/init\/error /)
      assert.match(server.requests[0]!.head, /\r\nLambda-Runtime-Function-Error-Type: ConfigMissing(\r\n|$)/)
    })
  )

  it.scopedLive(
    "interrupting a reply's wait: the POST still reaches its answer, exactly once, and its connection is reused",
    () =>
      Effect.gen(function* () {
        let late: (() => void) | undefined
        const server = yield* rawServer((request, socket) => {
          if (request.head.startsWith("GET ")) socket.write(invocationResponse("r-1", "{}"))
          // The first reply is answered only after its caller has stopped waiting.
          else if (late === undefined) late = () => socket.write(accepted)
          else socket.write(accepted)
        })
        const api = yield* client(server.port)
        const invocation = yield* api.next
        const waited = yield* Effect.timeoutOption(api.reply(invocation, '{"n":1}', "application/json"), "50 millis")
        assert.strictEqual(waited._tag, "None")
        assert.strictEqual(server.requests.length, 2)
        late?.()
        yield* Effect.sleep("50 millis")
        // The connection came back to the pool when its answer arrived: the next call goes over it.
        yield* api.reply(invocation, '{"n":2}', "application/json")
        assert.strictEqual(server.connections(), 1)
        const posted = server.requests.filter((request) => request.head.startsWith("POST "))
        assert.deepStrictEqual(
          posted.map((request) => request.body.toString("utf8")),
          ['{"n":1}', '{"n":2}']
        )
      })
  )

  it.scopedLive("interrupting a pending /next closes its socket (no leak, no hang)", () =>
    Effect.gen(function* () {
      let closed = false
      const server = yield* rawServer((_request, socket) => {
        socket.on("close", () => {
          closed = true
        })
      })
      const api = yield* client(server.port)
      const result = yield* Effect.timeoutOption(api.next, "100 millis")
      assert.strictEqual(result._tag, "None")
      yield* Effect.sleep("50 millis")
      assert.isTrue(closed)
    })
  )
})

/**
 * A Runtime API that serves pipelined requests in order (`rawServer`): `/next` with invocation `id-<n>`, a POST with
 * `answerPost` (default 202); `served` lists each request line with its connection.
 */
const recordingServer = (answerPost: (n: number) => string = () => accepted) => {
  let nexts = 0
  let posts = 0
  return Effect.map(
    rawServer((request, socket) => {
      if (request.head.startsWith("GET ")) {
        const n = nexts++
        socket.write(invocationResponse(`id-${n}`, `{"n":${n}}`))
      } else {
        socket.write(answerPost(posts++))
      }
    }),
    (server) => ({
      ...server,
      get served() {
        return server.requests.map(({ connection, head }) => ({
          connection,
          line: head.slice(0, head.indexOf("\r\n"))
        }))
      }
    })
  )
}

const NEXT_LINE = "GET /2018-06-01/runtime/invocation/next HTTP/1.1"
/** What the loop passes with its replies: its next call is `next`. */
const ThenNext: RuntimeApi.PostOptions = { thenNext: true }

describe("NodeRuntimeApi: pipelined /next", () => {
  it.scopedLive("a reply and an error report each carry the next /next in the same write, on one connection", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer()
      const api = yield* NodeRuntimeApi.make({ host: "127.0.0.1", port: server.port })
      const first = yield* api.next
      yield* api.reply(first, '{"ok":1}', "application/json", ThenNext)
      const second = yield* api.next
      yield* api.reportError(second, ErrorReport.make("Oops", "it failed"), ThenNext)
      const third = yield* api.next
      assert.deepStrictEqual(
        [first, second, third].map((invocation) => invocation.requestId),
        ["id-0", "id-1", "id-2"]
      )
      assert.strictEqual(Buffer.from(third.body).toString(), '{"n":2}')
      // Every request on connection 0, served in order.
      assert.deepStrictEqual(
        server.served.map(({ connection, line }) => `${connection} ${line}`),
        [
          `0 ${NEXT_LINE}`,
          "0 POST /2018-06-01/runtime/invocation/id-0/response HTTP/1.1",
          `0 ${NEXT_LINE}`,
          "0 POST /2018-06-01/runtime/invocation/id-1/error HTTP/1.1",
          `0 ${NEXT_LINE}`
        ]
      )
      // The POST and the GET behind it came in one read: they left in one write.
      const posts = server.reads.filter(({ data }) => data.startsWith("POST "))
      assert.strictEqual(posts.length, 2)
      for (const { data } of posts) {
        // The reply, its body included, then the whole /next request and nothing else.
        const at = data.indexOf(NEXT_LINE)
        assert.isAbove(at, data.indexOf("\r\n\r\n"), data)
        assert.match(
          data.slice(at),
          /^GET \/2018-06-01\/runtime\/invocation\/next HTTP\/1\.1\r\nHost: [^\r]+\r\nUser-Agent: [^\r]+\r\n\r\n$/
        )
      }
    })
  )

  it.scopedLive("a reply or report without thenNext (made before the process exits) leaves no /next pending", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer()
      const api = yield* NodeRuntimeApi.make({ host: "127.0.0.1", port: server.port })
      const first = yield* api.next
      yield* api.reply(first, '{"ok":1}', "application/json")
      yield* api.reportError(first, ErrorReport.make("Crash", "the process is exiting"))
      yield* Effect.sleep("30 millis")
      assert.deepStrictEqual(
        server.served.map(({ line }) => line),
        [
          NEXT_LINE,
          "POST /2018-06-01/runtime/invocation/id-0/response HTTP/1.1",
          "POST /2018-06-01/runtime/invocation/id-0/error HTTP/1.1"
        ]
      )
      assert.isFalse(server.reads.some(({ data }) => data.startsWith("POST ") && data.includes(NEXT_LINE)))
    })
  )

  it.scopedLive("the loop: run's replies carry the /next its worker asks for next; handleOne's carry none", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer()
      const api = yield* NodeRuntimeApi.make({ host: "127.0.0.1", port: server.port })
      const config = { ...RuntimeConfig.defaults, runtimeApiPort: server.port }
      const loop = RuntimeLoop.make(api, ResponseSink.make(api), config)
      const echo = Handler.effect((event: unknown) => Effect.succeed(event))
      // handleOne: its caller may never ask for another invocation.
      const first = yield* api.next
      yield* loop.handleOne(echo, first)
      yield* Effect.sleep("30 millis")
      assert.deepStrictEqual(
        server.served.map(({ line }) => line),
        [NEXT_LINE, "POST /2018-06-01/runtime/invocation/id-0/response HTTP/1.1"]
      )
      // run (for 100 ms, the server answering every /next): each reply with the worker's /next behind it.
      yield* Effect.forkScoped(loop.run(echo))
      yield* Effect.sleep("100 millis")
      const posts = server.reads.filter(({ data }) => data.startsWith("POST /2018-06-01/runtime/invocation/id-"))
      assert.isAtLeast(posts.length, 3)
      assert.isFalse(posts[0]!.data.includes(NEXT_LINE))
      for (const { data } of posts.slice(1, 3)) assert.include(data, NEXT_LINE)
    })
  )

  it.scopedLive("off (pipelineNext: false): /next is sent only once the reply is answered", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer()
      const api = yield* NodeRuntimeApi.make({ host: "127.0.0.1", port: server.port, pipelineNext: false })
      const first = yield* api.next
      yield* api.reply(first, '{"ok":1}', "application/json", ThenNext)
      yield* Effect.sleep("30 millis")
      assert.deepStrictEqual(
        server.served.map(({ line }) => line),
        [NEXT_LINE, "POST /2018-06-01/runtime/invocation/id-0/response HTTP/1.1"]
      )
      const second = yield* api.next
      assert.strictEqual(second.requestId, "id-1")
      const post = server.reads.find(({ data }) => data.startsWith("POST "))!
      assert.isFalse(post.data.includes("GET "))
    })
  )

  it.scopedLive("the 202 and the next event in one read: both answers are taken, in order", () =>
    Effect.gen(function* () {
      // A server that writes the POST's answer and the pipelined /next's answer together.
      const server = yield* Effect.acquireRelease(
        Effect.async<{ port: number; server: Net.Server }>((resume) => {
          const server = Net.createServer((socket) => {
            socket.on("error", () => {})
            let n = 0
            socket.on("data", (data) => {
              const text = data.toString("latin1")
              if (text.startsWith("GET ")) socket.write(invocationResponse(`id-${n}`, `{"n":${n++}}`))
              else if (text.includes(`\r\n\r\n${NEXT_LINE}`) || text.includes(`}${NEXT_LINE}`)) {
                socket.write(accepted + invocationResponse(`id-${n}`, `{"n":${n++}}`))
              }
            })
          })
          server.listen(0, "127.0.0.1", () =>
            resume(Effect.succeed({ port: (server.address() as Net.AddressInfo).port, server }))
          )
        }),
        ({ server }) =>
          Effect.async<void>((resume) => {
            server.close(() => resume(Effect.void))
          })
      )
      const api = yield* NodeRuntimeApi.make({ host: "127.0.0.1", port: server.port })
      let invocation = yield* api.next
      for (let i = 1; i <= 3; i++) {
        yield* api.reply(invocation, `{"i":${i}}`, "application/json", ThenNext)
        invocation = yield* api.next
        assert.strictEqual(invocation.requestId, `id-${i}`)
        assert.strictEqual(Buffer.from(invocation.body).toString(), `{"n":${i}}`)
      }
    })
  )

  it.scopedLive(
    "a reply answered with Connection: close: the pipelined /next was never served, so it is asked again on a fresh connection",
    () =>
      Effect.gen(function* () {
        const server = yield* recordingServer(
          () => 'HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 15\r\n\r\n{"status":"OK"}'
        )
        const api = yield* NodeRuntimeApi.make({ host: "127.0.0.1", port: server.port })
        const first = yield* api.next
        // The server ends the connection with its answer, as `Connection: close` says.
        server.sockets.forEach((socket) => {
          const write = socket.write.bind(socket)
          socket.write = ((chunk: string) => {
            const ok = write(chunk)
            if (chunk.startsWith("HTTP/1.1 202")) socket.end()
            return ok
          }) as typeof socket.write
        })
        yield* api.reply(first, '{"ok":1}', "application/json", ThenNext)
        const second = yield* api.next
        assert.strictEqual(second.requestId, "id-1")
        assert.deepStrictEqual(
          server.served.map(({ connection, line }) => `${connection} ${line}`),
          [`0 ${NEXT_LINE}`, "0 POST /2018-06-01/runtime/invocation/id-0/response HTTP/1.1", `1 ${NEXT_LINE}`]
        )
      })
  )

  it.scopedLive("a reply whose connection is reset after the 202: the pipelined /next is asked again, once", () =>
    Effect.gen(function* () {
      const server = yield* recordingServer()
      const api = yield* NodeRuntimeApi.make({ host: "127.0.0.1", port: server.port })
      const first = yield* api.next
      server.sockets.forEach((socket) => {
        const write = socket.write.bind(socket)
        socket.write = ((chunk: string) => {
          if (!chunk.startsWith("HTTP/1.1 202")) return write(chunk)
          // The answer, then a reset before the pipelined /next is answered.
          return write(chunk, () => socket.resetAndDestroy())
        }) as typeof socket.write
      })
      yield* api.reply(first, '{"ok":1}', "application/json", ThenNext)
      const second = yield* api.next
      assert.strictEqual(second.requestId.startsWith("id-"), true)
      const nextsOnFresh = server.served.filter(({ connection, line }) => connection > 0 && line === NEXT_LINE)
      assert.strictEqual(nextsOnFresh.length, 1)
      assert.strictEqual(
        Buffer.from(second.body).toString(),
        `{"n":${server.served.filter(({ line }) => line === NEXT_LINE).length - 1}}`
      )
    })
  )

  it.scopedLive("interrupting the wait for a pipelined /next closes its socket (no leak, no hang)", () =>
    Effect.gen(function* () {
      let closed = 0
      const server = yield* rawServer((request, socket, index) => {
        socket.on("close", () => {
          closed++
        })
        // The first /next is answered, the reply accepted, the pipelined /next held.
        if (index === 0) socket.write(invocationResponse("id-0", "{}"))
        else if (request.head.startsWith("POST ")) socket.write(accepted)
      })
      const api = yield* NodeRuntimeApi.make({ host: "127.0.0.1", port: server.port })
      const first = yield* api.next
      yield* api.reply(first, "{}", "application/json", ThenNext)
      const result = yield* Effect.timeoutOption(api.next, "100 millis")
      assert.strictEqual(result._tag, "None")
      yield* Effect.sleep("50 millis")
      assert.isAbove(closed, 0)
      assert.strictEqual(server.requests.length, 3)
    })
  )
})
