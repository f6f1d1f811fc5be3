/**
 * The fault suite: the real loop on the live transport against a Runtime API that misbehaves at the byte level.
 * Every test judges one contract: each invocation delivered gets exactly one reply, or the loop stops with a
 * defined error; nothing hangs (each wait is bounded); nothing is buffered without bound (oversized answers fail
 * as protocol errors).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import type * as Net from "node:net"
import * as Handler from "../../src/handler/Handler.js"
import {
  accepted,
  faultApi,
  invocationResponse,
  isFailureWith,
  nextHeaders,
  replyCounts,
  startLoop
} from "./support/FaultApi.js"
import { oneReplyEach, pump, served, stopped } from "./support/Scenario.js"

const failing = Handler.effect(() => Effect.fail({ _tag: "Boom", message: "boom" }))

describe("faults: POSTs", () => {
  it.scopedLive("a /response that is never answered: the answer guard drops it, one reply, the loop goes on", () =>
    oneReplyEach({
      post: (socket, _request, reply) => {
        if (reply?.requestId !== "id-0") socket.write(accepted)
      }
    })
  )

  it.scopedLive("an /error that is never answered: the answer guard drops it, one report, the loop goes on", () =>
    Effect.gen(function* () {
      const api = yield* oneReplyEach(
        {
          post: (socket, _request, reply) => {
            if (reply?.requestId !== "id-0") socket.write(accepted)
          }
        },
        failing
      )
      assert.isTrue(api.replies.every((reply) => reply.kind === "error"))
    })
  )

  it.scopedLive("a 202 without Content-Length on a socket kept open: taken as accepted, the loop goes on", () =>
    oneReplyEach({
      post: (socket) => socket.write("HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n\r\n")
    })
  )

  it.scopedLive("a reset right after the whole body was read: the reply is not sent twice", () =>
    oneReplyEach({
      post: (socket, _request, reply) => {
        if (reply?.requestId === "id-0") socket.resetAndDestroy()
        else socket.write(accepted)
      }
    })
  )

  it.scopedLive("a close right after the whole body was read: the reply is not sent twice", () =>
    oneReplyEach({
      post: (socket, _request, reply) => {
        if (reply?.requestId === "id-0") socket.destroy()
        else socket.write(accepted)
      }
    })
  )

  it.scopedLive("an HTTP/1.0 /next answer without keep-alive: the reply goes out on a fresh connection, once", () =>
    Effect.gen(function* () {
      const dying = new WeakSet<Net.Socket>()
      const api = yield* oneReplyEach({
        next: (socket, n) => {
          if (n >= 2) return
          const body = `{"n":${n}}`
          socket.write(`HTTP/1.0 200 OK\r\n${nextHeaders(`id-${n}`)}Content-Length: ${body.length}\r\n\r\n${body}`)
          // An HTTP/1.0 server reads what comes next on this socket, but never answers it.
          dying.add(socket)
        },
        post: (socket) => {
          if (dying.has(socket)) socket.destroy()
          else socket.write(accepted)
        }
      })
      for (const reply of api.replies) {
        const next = api.requests.find((r) => r.method === "GET" && r.index < reply.request.index)!
        assert.notStrictEqual(reply.request.connection, next.connection, "the reply reused the HTTP/1.0 socket")
      }
    })
  )

  it.scopedLive("a FIN right after the /next answer: the reply goes out on a fresh connection, once", () =>
    oneReplyEach({
      next: (socket, n) => {
        if (n >= 2) return
        socket.end(invocationResponse(`id-${n}`))
      }
    })
  )

  it.scopedLive("413 on /response: logged, no second reply (no /error), the loop goes on", () =>
    Effect.gen(function* () {
      const api = yield* oneReplyEach({
        post: (socket, _request, reply) => {
          if (reply?.requestId === "id-0") {
            const body =
              '{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}'
            socket.write(
              `HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`
            )
          } else socket.write(accepted)
        }
      })
      assert.deepStrictEqual(
        api.replies.map((reply) => reply.kind),
        ["response", "response"]
      )
    })
  )

  it.scopedLive("500 on /response: one reply, then the loop stops with the StatusCode error", () =>
    Effect.gen(function* () {
      const api = yield* faultApi({
        invocations: 2,
        post: (socket) => socket.write("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
      })
      const fiber = yield* startLoop(api)
      const exit = yield* stopped(fiber)
      assert.isTrue(isFailureWith(exit, /StatusCode error on \/runtime\/invocation\/response \(HTTP 500\)/))
      assert.deepStrictEqual(replyCounts(api), { "id-0": 1 })
    })
  )

  it.scopedLive("an interim 100 Continue before the answers: one reply each, nothing out of step", () =>
    oneReplyEach({
      next: (socket, n) => {
        if (n < 2) socket.write(`HTTP/1.1 100 Continue\r\n\r\n${invocationResponse(`id-${n}`)}`)
      },
      post: (socket) => socket.write(`HTTP/1.1 100 Continue\r\n\r\n${accepted}`)
    })
  )
})

describe("faults: /next answers", () => {
  it.scopedLive("a pipelined /next whose event is cut short by a close: asked again, each event gets one reply", () =>
    Effect.gen(function* () {
      const api = yield* faultApi({
        next: (socket, n) => {
          if (n === 0) socket.write(invocationResponse("id-0"))
          else if (n === 1) {
            socket.end(`HTTP/1.1 200 OK\r\n${nextHeaders("cut")}Content-Length: 100\r\n\r\n{"only":"part`)
          } else if (n === 2) socket.write(invocationResponse("whole"))
        }
      })
      yield* startLoop(api)
      yield* served(api, 4)
      assert.deepStrictEqual(replyCounts(api), { "id-0": 1, whole: 1 })
    })
  )

  it.scopedLive("a pipelined /next answered in HTTP/1.0 until the close: one reply, sent on a fresh connection", () =>
    Effect.gen(function* () {
      const api = yield* faultApi({
        next: (socket, n) => {
          if (n === 0) socket.write(invocationResponse("id-0"))
          else if (n === 1) socket.end(`HTTP/1.0 200 OK\r\n${nextHeaders("old")}\r\n{"old":true}`)
        }
      })
      yield* startLoop(api)
      yield* served(api, 3)
      assert.deepStrictEqual(replyCounts(api), { "id-0": 1, old: 1 })
      const old = api.replies.find((reply) => reply.requestId === "old")!
      assert.strictEqual(old.request.body.toString(), '{"old":true}')
      assert.notStrictEqual(old.request.connection, api.replies[0]!.request.connection)
    })
  )

  it.scopedLive("an event body cut short by a close: /next is asked again, the next event gets one reply", () =>
    Effect.gen(function* () {
      const api = yield* faultApi({
        next: (socket, n) => {
          if (n === 0) {
            socket.end(`HTTP/1.1 200 OK\r\n${nextHeaders("cut")}Content-Length: 100\r\n\r\n{"only":"part`)
          } else if (n === 1) socket.write(invocationResponse("whole"))
        }
      })
      yield* startLoop(api)
      yield* served(api, 3)
      assert.deepStrictEqual(replyCounts(api), { whole: 1 })
    })
  )

  it.scopedLive("an event dripped one byte at a time (chunked, with trailers): one reply", () =>
    Effect.gen(function* () {
      const api = yield* faultApi({
        next: (socket, n) => {
          if (n > 0) return
          const wire = Buffer.from(
            `HTTP/1.1 200 OK\r\n${nextHeaders("drip")}Transfer-Encoding: chunked\r\n\r\n` +
              `5\r\n{"a":\r\n2\r\n1}\r\n0\r\nX-Trailer: yes\r\n\r\n`
          )
          let i = 0
          const step = () => {
            if (i < wire.length && !socket.destroyed) socket.write(wire.subarray(i++, i), () => setImmediate(step))
          }
          step()
        }
      })
      yield* startLoop(api)
      yield* served(api, 2)
      assert.deepStrictEqual(replyCounts(api), { drip: 1 })
      assert.strictEqual(api.replies[0]!.request.body.toString(), '{"a":1}')
    })
  )

  it.scopedLive("an HTTP/1.0 event read until the close: one reply, sent on a fresh connection", () =>
    Effect.gen(function* () {
      const api = yield* faultApi({
        next: (socket, n) => {
          if (n === 0) socket.end(`HTTP/1.0 200 OK\r\n${nextHeaders("old")}\r\n{"old":true}`)
        }
      })
      yield* startLoop(api)
      yield* served(api, 2)
      assert.deepStrictEqual(replyCounts(api), { old: 1 })
      assert.strictEqual(api.replies[0]!.request.body.toString(), '{"old":true}')
      assert.notStrictEqual(api.replies[0]!.request.connection, api.requests[0]!.connection)
    })
  )

  /**
   * Each broken answer twice: to the first `/next`, and to the one pipelined behind the first reply (on the reply's
   * connection, right after its 202), which must stop the loop just the same.
   */
  const protocolStop = (what: string, answer: (socket: Net.Socket) => void, message: RegExp) => {
    it.scopedLive(`${what}: the loop stops with a Protocol error, nothing replied`, () =>
      Effect.gen(function* () {
        const api = yield* faultApi({ next: (socket, n) => (n === 0 ? answer(socket) : undefined) })
        const fiber = yield* startLoop(api)
        const exit = yield* stopped(fiber)
        assert.isTrue(Exit.isFailure(exit))
        assert.isTrue(isFailureWith(exit, /Protocol error on \/runtime\/invocation\/next/), String(exit))
        assert.isTrue(isFailureWith(exit, message), String(exit))
        assert.deepStrictEqual(api.replies, [])
      })
    )
    it.scopedLive(`${what}, on the /next pipelined behind a reply: the loop stops with a Protocol error`, () =>
      Effect.gen(function* () {
        const api = yield* faultApi({
          next: (socket, n) =>
            n === 0 ? socket.write(invocationResponse("id-0")) : n === 1 ? answer(socket) : undefined
        })
        const fiber = yield* startLoop(api)
        const exit = yield* stopped(fiber)
        assert.isTrue(isFailureWith(exit, /Protocol error on \/runtime\/invocation\/next/), String(exit))
        assert.isTrue(isFailureWith(exit, message), String(exit))
        assert.deepStrictEqual(replyCounts(api), { "id-0": 1 })
        const [, post, pipelined] = api.requests
        assert.deepStrictEqual([post!.method, pipelined!.method], ["POST", "GET"])
        assert.strictEqual(pipelined!.connection, post!.connection)
      })
    )
  }

  protocolStop(
    "a malformed header line",
    (socket) =>
      socket.write(`HTTP/1.1 200 OK\r\n${nextHeaders("m")}this line has no colon\r\nContent-Length: 2\r\n\r\n{}`),
    /malformed response header line/
  )

  protocolStop(
    "a bad chunk size",
    (socket) =>
      socket.write(`HTTP/1.1 200 OK\r\n${nextHeaders("c")}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`),
    /bad chunk size/
  )

  protocolStop(
    "a 100 KB head of 10,000 headers in one read",
    (socket) => {
      let extra = ""
      for (let i = 0; i < 10_000; i++) extra += `X-H${i}: v\r\n`
      socket.write(`HTTP/1.1 200 OK\r\n${nextHeaders("h")}${extra}Content-Length: 2\r\n\r\n{}`)
    },
    /response head over the 65536-byte limit/
  )

  protocolStop(
    "a 1 MB header arriving in pieces",
    (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\n${nextHeaders("big")}X-Big: `)
      pump(socket, Buffer.alloc(16 * 1024, "a"), 1024 * 1024)
    },
    /response head over the 65536-byte limit/
  )

  protocolStop(
    "100 KB of trailers",
    (socket) => {
      let trailers = ""
      for (let i = 0; i < 5_000; i++) trailers += `X-T${i}: value-${i}\r\n`
      socket.write(
        `HTTP/1.1 200 OK\r\n${nextHeaders("t")}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n${trailers}\r\n`
      )
    },
    /response trailers over the 16384-byte limit/
  )

  protocolStop(
    "a Content-Length of 100 MiB",
    (socket) => socket.write(`HTTP/1.1 200 OK\r\n${nextHeaders("l")}Content-Length: ${100 * 1024 * 1024}\r\n\r\n{`),
    /over the 8388608-byte limit/
  )

  protocolStop(
    "a body read until the close that never ends (9 MiB and more)",
    (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\n${nextHeaders("u")}Connection: close\r\n\r\n`)
      // The server would go on for ever; the client must stop it at its limit.
      pump(socket, Buffer.alloc(64 * 1024, "x"), 64 * 1024 * 1024)
    },
    /response body over the 8388608-byte limit/
  )

  protocolStop(
    "a chunked body that never ends",
    (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\n${nextHeaders("u")}Transfer-Encoding: chunked\r\n\r\n`)
      const piece = Buffer.concat([Buffer.from("10000\r\n"), Buffer.alloc(0x10000, "y"), Buffer.from("\r\n")])
      pump(socket, piece, 64 * 1024 * 1024)
    },
    /response body over the 8388608-byte limit/
  )

  it.scopedLive("/next answered 500: the loop stops with the StatusCode error", () =>
    Effect.gen(function* () {
      const api = yield* faultApi({
        next: (socket) => socket.write("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
      })
      const fiber = yield* startLoop(api)
      const exit = yield* stopped(fiber)
      assert.isTrue(isFailureWith(exit, /HTTP 500/))
      assert.deepStrictEqual(api.replies, [])
    })
  )
})
