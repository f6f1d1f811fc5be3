/**
 * A misbehaving Runtime API on a raw TCP socket (127.0.0.1), scripted byte by byte, and the judge of the one
 * contract every fault test checks: each invocation gets exactly one reply (or the runtime stops with a
 * defined error), nothing hangs, nothing is buffered without bound.
 *
 * The server parses requests itself (Content-Length and chunked bodies, trailers kept), numbers connections,
 * and hands each request to a script; by default `/next` serves `invocations` events and then holds, and every
 * POST is answered `202`. Requests pipelined on a connection are served in order, each once the answer before it
 * is complete (`servedInOrder`), as an HTTP/1.1 server serves them.
 */
import { Effect, Exit, Fiber, Logger } from "effect"
import * as Net from "node:net"
import * as Handler from "../../../src/handler/Handler.js"
import * as NodeRuntimeApi from "../../../src/layers/NodeRuntimeApi.js"
import * as ResponseSink from "../../../src/services/ResponseSink.js"
import * as RuntimeConfig from "../../../src/services/RuntimeConfig.js"
import * as RuntimeLoop from "../../../src/services/RuntimeLoop.js"
import { servedInOrder } from "../../support/servedInOrder.js"

export interface Request {
  readonly method: string
  readonly path: string
  readonly head: string
  readonly body: Buffer
  readonly trailers: string
  /** Index of the connection the request arrived on (0-based). */
  readonly connection: number
  /** Index of the request among all requests (0-based). */
  readonly index: number
}

export interface Reply {
  readonly requestId: string
  readonly kind: "response" | "error"
  readonly request: Request
}

export interface Script {
  /** Answer `/next` number `n` (0-based). Default: {@link invocationResponse} while `n < invocations`, else hold. */
  readonly next?: (socket: Net.Socket, n: number, request: Request) => void
  /** Answer a POST. Default: 202. */
  readonly post?: (socket: Net.Socket, request: Request, reply: Reply | undefined) => void
  /** Called with the raw bytes of a POST as they arrive (before the request is complete). */
  readonly onBytes?: (socket: Net.Socket, bytes: number) => void
  /** Events served by the default `/next`. */
  readonly invocations?: number
}

export const accepted =
  'HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"status":"OK"}'

export const nextHeaders = (id: string, deadlineMs = Date.now() + 10_000) =>
  `Lambda-Runtime-Aws-Request-Id: ${id}\r\nLambda-Runtime-Deadline-Ms: ${deadlineMs}\r\n` +
  `Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:f\r\n`

export const invocationResponse = (id: string, body = `{"id":"${id}"}`, extra = "") =>
  `HTTP/1.1 200 OK\r\n${nextHeaders(id)}${extra}Content-Type: application/json\r\n` +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`

const replyPath = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/

type Parsed = Omit<Request, "index">

/**
 * An incremental request parser for one connection: chunks of a chunked body are taken out as they complete,
 * so only an incomplete piece is ever kept (a large streamed body costs no re-scan).
 */
const parser = (connection: number) => {
  let buffer: Buffer = Buffer.alloc(0)
  let pending:
    | { head: string; method: string; path: string; chunked: boolean; length: number; parts: Array<Buffer> }
    | undefined
  return (data: Buffer): Array<Parsed> => {
    buffer = buffer.length === 0 ? data : Buffer.concat([buffer, data])
    const out: Array<Parsed> = []
    for (;;) {
      if (pending === undefined) {
        const end = buffer.indexOf("\r\n\r\n")
        if (end === -1) return out
        const head = buffer.toString("latin1", 0, end)
        const [method = "", path = ""] = head.slice(0, head.indexOf("\r\n")).split(" ")
        pending = {
          head,
          method,
          path,
          chunked: /\r\ntransfer-encoding: chunked/i.test(head),
          length: Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0),
          parts: []
        }
        buffer = buffer.subarray(end + 4)
      }
      const { head, method, path, parts } = pending
      if (!pending.chunked) {
        if (buffer.length < pending.length) return out
        out.push({ method, path, head, body: buffer.subarray(0, pending.length), trailers: "", connection })
        buffer = buffer.subarray(pending.length)
        pending = undefined
        continue
      }
      for (;;) {
        const lineEnd = buffer.indexOf("\r\n")
        if (lineEnd === -1) return out
        const size = Number.parseInt(buffer.toString("latin1", 0, lineEnd), 16)
        if (size === 0) {
          let trailers = ""
          if (buffer.length >= lineEnd + 4 && buffer.indexOf("\r\n", lineEnd + 2) === lineEnd + 2) {
            buffer = buffer.subarray(lineEnd + 4)
          } else {
            const trailerEnd = buffer.indexOf("\r\n\r\n", lineEnd)
            if (trailerEnd === -1) return out
            trailers = buffer.toString("latin1", lineEnd + 2, trailerEnd)
            buffer = buffer.subarray(trailerEnd + 4)
          }
          out.push({ method, path, head, body: Buffer.concat(parts), trailers, connection })
          pending = undefined
          break
        }
        if (buffer.length < lineEnd + 2 + size + 2) return out
        parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size))
        buffer = buffer.subarray(lineEnd + 2 + size + 2)
      }
    }
  }
}

export interface FaultApi {
  readonly port: number
  readonly address: string
  readonly requests: Array<Request>
  readonly replies: Array<Reply>
  readonly sockets: Set<Net.Socket>
  readonly connections: () => number
  /** `/next` calls so far. */
  readonly nexts: () => number
  /** Resolves when `/next` has been called `n` times. */
  readonly awaitNexts: (n: number) => Effect.Effect<void>
}

export const faultApi = (script: Script = {}) =>
  Effect.acquireRelease(
    Effect.async<{ api: FaultApi; server: Net.Server }>((resume) => {
      const requests: Array<Request> = []
      const replies: Array<Reply> = []
      const sockets = new Set<Net.Socket>()
      const invocations = script.invocations ?? 1
      let connections = 0
      let nexts = 0
      const waiters: Array<{ n: number; wake: () => void }> = []
      const server = Net.createServer((socket) => {
        const connection = connections++
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        socket.on("error", () => {})
        const parse = parser(connection)
        const serve = servedInOrder(socket)
        let seen = 0
        socket.on("data", (data: Buffer) => {
          seen += data.length
          script.onBytes?.(socket, seen)
          if (socket.destroyed) return
          const parsed = parse(data)
          for (const partial of parsed) {
            seen = 0
            serve(() => {
              const request: Request = { ...partial, index: requests.length }
              requests.push(request)
              if (request.method === "GET") {
                const n = nexts++
                for (const waiter of waiters.slice()) {
                  if (nexts >= waiter.n) {
                    waiters.splice(waiters.indexOf(waiter), 1)
                    waiter.wake()
                  }
                }
                if (script.next !== undefined) script.next(socket, n, request)
                else if (n < invocations) socket.write(invocationResponse(`id-${n}`))
                return
              }
              const match = replyPath.exec(request.path)
              const reply: Reply | undefined =
                match === null
                  ? undefined
                  : {
                      requestId: decodeURIComponent(match[1]!),
                      kind: match[2] as "response" | "error",
                      request
                    }
              if (reply !== undefined) replies.push(reply)
              if (script.post !== undefined) script.post(socket, request, reply)
              else socket.write(accepted)
            })
          }
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as Net.AddressInfo).port
        const api: FaultApi = {
          port,
          address: `127.0.0.1:${port}`,
          requests,
          replies,
          sockets,
          connections: () => connections,
          nexts: () => nexts,
          awaitNexts: (n) =>
            Effect.async<void>((wake) => {
              if (nexts >= n) return wake(Effect.void)
              waiters.push({ n, wake: () => wake(Effect.void) })
            })
        }
        resume(Effect.succeed({ api, server }))
      })
    }),
    ({ server, api }) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        for (const socket of api.sockets) socket.destroy()
      })
  ).pipe(Effect.map(({ api }) => api))

/** An echo handler: replies with the event. */
export const echo = Handler.effect((event: unknown) => Effect.succeed(event))

/** The loop on the live transport against `api`, with a small answer guard; logs silenced. */
export const startLoop = <E>(
  api: FaultApi,
  handler: Handler.Handler<E, never> = echo as Handler.Handler<E, never>,
  settings: Partial<RuntimeConfig.Settings> = {}
) =>
  Effect.gen(function* () {
    const answerTimeoutMs = settings.answerTimeoutMs ?? 300
    const client = yield* NodeRuntimeApi.make({ host: "127.0.0.1", port: api.port, answerTimeoutMs, nextRetries: 1 })
    const config = { ...RuntimeConfig.defaults, runtimeApiPort: api.port, answerTimeoutMs, ...settings }
    const loop = RuntimeLoop.make(client, ResponseSink.make(client, config), config)
    return yield* Effect.forkScoped(loop.run(handler))
  }).pipe(Effect.provide(Logger.remove(Logger.defaultLogger)))

/** Fail with a clear message if `self` does not finish within `ms` (the "no hang" half of the contract). */
export const within = <A, E, R>(ms: number, what: string, self: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.timeoutOption(self, ms), (result) =>
    result._tag === "Some" ? Effect.succeed(result.value) : Effect.dieMessage(`hang: ${what} after ${ms} ms`)
  )

/** Replies per request id. */
export const replyCounts = (api: FaultApi): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const reply of api.replies) counts[reply.requestId] = (counts[reply.requestId] ?? 0) + 1
  return counts
}

/** The loop's fiber ended (with this exit) or is still running (`undefined`). */
export const loopExit = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) =>
  Effect.map(Fiber.poll(fiber), (poll) => (poll._tag === "Some" ? poll.value : undefined))

export const isFailureWith = (exit: Exit.Exit<unknown, unknown> | undefined, pattern: RegExp): boolean =>
  exit !== undefined && Exit.isFailure(exit) && pattern.test(String(exit.cause.toString()))
