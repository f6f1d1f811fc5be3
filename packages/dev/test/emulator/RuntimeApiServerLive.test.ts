/**
 * Observing an invocation while it runs: `delivered` (with its deadline) and `reply`, whose body is handed on
 * chunk by chunk as it arrives for a `live` invocation, with backpressure, then the trailers in the outcome.
 */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Option, Stream } from "effect"
import * as Http from "node:http"
import * as RuntimeApiServer from "../../src/emulator/RuntimeApiServer.js"

const NextPath = "/2018-06-01/runtime/invocation/next"
const responsePath = (id: string) => `/2018-06-01/runtime/invocation/${encodeURIComponent(id)}/response`
const errorPath = (id: string) => `/2018-06-01/runtime/invocation/${encodeURIComponent(id)}/error`

const request = (address: string, method: string, path: string, headers: Http.OutgoingHttpHeaders = {}) => {
  const [host, port] = address.split(":")
  return Http.request({ host, port: Number(port), method, path, headers, agent: false })
}

/** Send a request, resolve with the status once answered. */
const answered = (req: Http.ClientRequest) =>
  Effect.async<number, Error>((resume) => {
    req.on("response", (res) => {
      res.resume()
      res.on("end", () => resume(Effect.succeed(res.statusCode ?? 0)))
    })
    req.on("error", (error) => resume(Effect.fail(error)))
  })

const next = (address: string) =>
  Effect.async<Http.IncomingHttpHeaders, Error>((resume) => {
    const req = request(address, "GET", NextPath)
    req.on("response", (res) => {
      res.resume()
      res.on("end", () => resume(Effect.succeed(res.headers)))
    })
    req.on("error", (error) => resume(Effect.fail(error)))
    req.end()
  })

/** A chunked `/response` POST as the runtime streams it; the caller writes and ends it. */
const streamedPost = (address: string, requestId: string) => {
  const req = request(address, "POST", responsePath(requestId), {
    "Content-Type": "text/plain",
    "Lambda-Runtime-Function-Response-Mode": "streaming",
    "Transfer-Encoding": "chunked",
    Trailer: "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"
  })
  req.flushHeaders()
  return req
}

const text = (chunks: Chunk.Chunk<Uint8Array>) => Buffer.concat(Chunk.toArray(chunks)).toString("utf8")

describe("RuntimeApiServer: observing a running invocation", () => {
  it.scopedLive("delivered gives the deadline sent on /next; a live body arrives chunk by chunk, then trailers", () =>
    Effect.gen(function* () {
      const server = yield* RuntimeApiServer.make()
      const enqueued = yield* server.enqueue({ event: "{}", requestId: "live-1", timeoutMs: 5_000, live: true })
      const headers = yield* next(server.address)
      const delivery = yield* enqueued.delivered
      assert.strictEqual(delivery.requestId, "live-1")
      assert.strictEqual(String(delivery.deadlineMs), headers["lambda-runtime-deadline-ms"])

      const post = streamedPost(server.address, "live-1")
      const status = yield* Effect.fork(answered(post))
      post.write("first part;")
      const reply = yield* enqueued.reply
      assert.strictEqual(reply._tag, "Response")
      if (reply._tag !== "Response") return
      assert.isTrue(reply.streamed)
      assert.strictEqual(reply.headers["content-type"], "text/plain")
      const pull = yield* Stream.toPull(reply.body)
      // The first part is handed over while the POST is still open.
      assert.strictEqual(text(yield* pull), "first part;")
      assert.isTrue(Option.isNone(yield* Fiber.poll(status)))
      post.write("second part")
      post.addTrailers({ "Lambda-Runtime-Function-Error-Type": "Oops", "Lambda-Runtime-Function-Error-Body": "e30=" })
      post.end()
      const rest = yield* Stream.runCollect(Stream.repeatEffectChunkOption(pull))
      assert.strictEqual(text(rest), "second part")
      assert.strictEqual(yield* Fiber.join(status), 202)
      const outcome = yield* enqueued.outcome
      assert.strictEqual(outcome._tag, "Response")
      if (outcome._tag !== "Response") return
      assert.strictEqual(outcome.status, 202)
      assert.strictEqual(outcome.body.length, 0)
      assert.deepStrictEqual(outcome.trailers, {
        "lambda-runtime-function-error-type": "Oops",
        "lambda-runtime-function-error-body": "e30="
      })
      assert.deepStrictEqual(yield* server.violations, [])
    })
  )

  it.scopedLive("a live body cut short fails with ReplyAborted", () =>
    Effect.gen(function* () {
      const server = yield* RuntimeApiServer.make()
      const enqueued = yield* server.enqueue({ event: "{}", requestId: "cut", live: true })
      yield* next(server.address)
      const post = streamedPost(server.address, "cut")
      post.on("error", () => {})
      post.write("partial")
      const reply = yield* enqueued.reply
      if (reply._tag !== "Response") return assert.fail("expected a response")
      const pull = yield* Stream.toPull(reply.body)
      assert.strictEqual(text(yield* pull), "partial")
      post.destroy()
      const failure = yield* Effect.flip(Stream.runDrain(Stream.repeatEffectChunkOption(pull)))
      assert.strictEqual(failure._tag, "ReplyAborted")
      assert.strictEqual(failure.requestId, "cut")
    })
  )

  it.scopedLive("a live body waits for its reader: the POST is paused until the body is read", () =>
    Effect.gen(function* () {
      const server = yield* RuntimeApiServer.make()
      const enqueued = yield* server.enqueue({ event: "{}", requestId: "slow-reader", live: true })
      yield* next(server.address)
      const post = streamedPost(server.address, "slow-reader")
      const status = yield* Effect.fork(answered(post))
      const size = 8 * 1024 * 1024
      post.end(Buffer.alloc(size, 7))
      const reply = yield* enqueued.reply
      if (reply._tag !== "Response") return assert.fail("expected a response")
      yield* Effect.sleep("500 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(status)), "the POST must not complete before the body is read")
      const total = yield* Stream.runFold(reply.body, 0, (n, chunk) => n + chunk.length)
      assert.strictEqual(total, size)
      assert.strictEqual(yield* Fiber.join(status), 202)
    })
  )

  it.scopedLive("without live, reply gives the whole body once received; an /error is the reply itself", () =>
    Effect.gen(function* () {
      const server = yield* RuntimeApiServer.make()
      const a = yield* server.enqueue({ event: "{}", requestId: "whole" })
      const b = yield* server.enqueue({ event: "{}", requestId: "err" })
      yield* next(server.address)
      yield* next(server.address)
      const post = request(server.address, "POST", responsePath("whole"), { "Content-Type": "application/json" })
      post.end('{"ok":true}')
      assert.strictEqual(yield* answered(post), 202)
      const reply = yield* a.reply
      if (reply._tag !== "Response") return assert.fail("expected a response")
      assert.isFalse(reply.streamed)
      assert.strictEqual(text(yield* Stream.runCollect(reply.body)), '{"ok":true}')
      const outcome = yield* a.outcome
      assert.strictEqual(outcome._tag === "Response" && Buffer.from(outcome.body).toString(), '{"ok":true}')

      const error = request(server.address, "POST", errorPath("err"), { "Content-Type": "application/json" })
      error.end('{"errorType":"Bad","errorMessage":"no"}')
      assert.strictEqual(yield* answered(error), 202)
      const errorReply = yield* b.reply
      assert.strictEqual(errorReply._tag, "Error")
      assert.deepStrictEqual(errorReply._tag === "Error" && errorReply.report, { errorType: "Bad", errorMessage: "no" })
    })
  )

  it.scopedLive("closing the server interrupts those still waiting for a delivery or a reply", () =>
    Effect.gen(function* () {
      const { waiting } = yield* Effect.scoped(
        Effect.gen(function* () {
          const server = yield* RuntimeApiServer.make()
          const enqueued = yield* server.enqueue({ event: "{}", live: true })
          const waiting = yield* Effect.fork(Effect.all([enqueued.delivered, enqueued.reply]))
          return { waiting }
        })
      )
      const exit = yield* Fiber.await(waiting)
      assert.isTrue(Exit.isInterrupted(exit))
    })
  )
})
