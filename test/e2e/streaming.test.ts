/**
 * End-to-end streaming: each streaming example runs as a real `node` process against the Runtime API server
 * on 127.0.0.1, which reads the chunked body and its trailers.
 */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Schedule, Stream } from "effect"
import * as RuntimeApiServer from "effect-lambda-dev/RuntimeApiServer"
import { Encoders } from "../../src/index.js"
import { spawnFunction } from "../support/FunctionProcess.js"

const server = RuntimeApiServer.make()

const ERROR_TYPE = "lambda-runtime-function-error-type"
const ERROR_BODY = "lambda-runtime-function-error-body"

const decodeBody = (trailers: Record<string, string>) =>
  JSON.parse(Buffer.from(trailers[ERROR_BODY] ?? "", "base64").toString("utf8")) as {
    errorType: string
    errorMessage: string
    stackTrace: Array<string>
  }

const expectedPattern = (n: number) => {
  const bytes = new Uint8Array(n)
  for (let i = 0; i < n; i++) bytes[i] = i % 251
  return bytes
}

/** The loop is still serving: a follow-up invocation gets its reply. */
const servesNext = (api: RuntimeApiServer.Service, event: string) =>
  Effect.gen(function* () {
    const next = yield* api.invoke({ event })
    assert.strictEqual(next.status, 202)
    return next
  })

describe("streaming end to end", () => {
  it.scopedLive("stream: 64 MiB in 64 KiB chunks arrives byte-exact, streamed, without trailers", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/stream.ts", api.address)
      const size = 64 * 1024 * 1024
      const outcome = yield* api.invoke({ event: JSON.stringify({ bytes: size, chunk: 64 * 1024 }) })
      assert.strictEqual(outcome._tag, "Response")
      if (outcome._tag !== "Response") return
      assert.isTrue(outcome.streamed)
      assert.strictEqual(outcome.headers["lambda-runtime-function-response-mode"], "streaming")
      assert.strictEqual(outcome.headers["content-type"], "application/octet-stream")
      assert.include(outcome.headers.trailer ?? "", "Lambda-Runtime-Function-Error-Type")
      assert.include(outcome.headers.trailer ?? "", "Lambda-Runtime-Function-Error-Body")
      assert.isUndefined(outcome.headers["content-length"])
      assert.strictEqual(outcome.body.length, size)
      assert.isTrue(Buffer.from(outcome.body).equals(expectedPattern(size)))
      assert.deepStrictEqual(outcome.trailers, {})
      yield* servesNext(api, JSON.stringify({ bytes: 10, chunk: 3 }))
      assert.isTrue(fn.isRunning())
      assert.deepStrictEqual(yield* api.violations, [])
    })
  )

  it.scopedLive("stream with 0 bytes: one streamed /response with an empty body", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* spawnFunction("examples/stream.ts", api.address)
      const outcome = yield* api.invoke({ event: JSON.stringify({ bytes: 0, chunk: 10 }) })
      assert.strictEqual(outcome._tag, "Response")
      if (outcome._tag !== "Response") return
      assert.isTrue(outcome.streamed)
      assert.strictEqual(outcome.body.length, 0)
      assert.deepStrictEqual(outcome.trailers, {})
      const exchanges = yield* api.exchanges
      assert.strictEqual(exchanges.filter((e) => e.path.endsWith("/response")).length, 1)
    })
  )

  it.scopedLive("stream-fail K > 0: exactly K body bytes, then both trailers (UpstreamClosed)", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* spawnFunction("examples/stream-fail.ts", api.address)
      const outcome = yield* api.invoke({ event: JSON.stringify({ bytes: 100_000, failAfter: 4321 }) })
      assert.strictEqual(outcome._tag, "Response")
      if (outcome._tag !== "Response") return
      assert.strictEqual(outcome.body.length, 4321)
      assert.isTrue(Buffer.from(outcome.body).equals(expectedPattern(4321)))
      assert.strictEqual(outcome.trailers[ERROR_TYPE], "UpstreamClosed")
      const report = decodeBody(outcome.trailers)
      assert.strictEqual(report.errorType, "UpstreamClosed")
      assert.strictEqual(report.errorMessage, "the upstream closed after 4321 bytes")
      assert.isArray(report.stackTrace)
      // the error never leaks into the body
      assert.notInclude(Buffer.from(outcome.body).toString("latin1"), "UpstreamClosed")
      yield* servesNext(api, JSON.stringify({ bytes: 1, failAfter: 1 }))
    })
  )

  it.scopedLive("stream-fail K = 0: an /error post and no /response", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* spawnFunction("examples/stream-fail.ts", api.address)
      const outcome = yield* api.invoke({ event: JSON.stringify({ bytes: 100, failAfter: 0 }) })
      assert.strictEqual(outcome._tag, "Error")
      if (outcome._tag !== "Error") return
      assert.strictEqual(outcome.report?.errorType, "UpstreamClosed")
      const exchanges = yield* api.exchanges
      assert.strictEqual(exchanges.filter((e) => e.path.endsWith("/response")).length, 0)
      assert.strictEqual(exchanges.filter((e) => e.path.endsWith("/error")).length, 1)
      yield* servesNext(api, JSON.stringify({ bytes: 1, failAfter: 1 }))
    })
  )

  it.scopedLive("stream-defect: 1000 bytes, then trailers with RangeError", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/stream-defect.ts", api.address)
      const outcome = yield* api.invoke({ event: "{}" })
      assert.strictEqual(outcome._tag, "Response")
      if (outcome._tag !== "Response") return
      assert.strictEqual(outcome.body.length, 1000)
      assert.strictEqual(outcome.trailers[ERROR_TYPE], "RangeError")
      const report = decodeBody(outcome.trailers)
      assert.strictEqual(report.errorType, "RangeError")
      assert.strictEqual(report.errorMessage, "index out of range while streaming")
      yield* servesNext(api, "{}")
      assert.isTrue(fn.isRunning())
    })
  )

  it.scopedLive("slow with a 1 s deadline: stopped before the deadline, finalizer logged, timeout trailers", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/slow.ts", api.address)
      // measure from the moment the runtime polls (the deadline counts from the /next answer)
      yield* Effect.repeat(api.nextPolls, { until: (n) => n > 0, schedule: Schedule.spaced("20 millis") })
      const started = Date.now()
      const outcome = yield* api.invoke({ event: "{}", timeoutMs: 1000 })
      const elapsed = Date.now() - started
      assert.strictEqual(outcome._tag, "Response")
      if (outcome._tag !== "Response") return
      assert.isBelow(elapsed, 1000)
      assert.isAbove(outcome.body.length, 0)
      assert.strictEqual(outcome.trailers[ERROR_TYPE], "Runtime.DeadlineExceeded")
      assert.strictEqual(decodeBody(outcome.trailers).errorType, "Runtime.DeadlineExceeded")
      yield* fn.waitForOutput("stream closed")
      // the next invocation is served by the same process
      const next = yield* api.invoke({ event: "{}", timeoutMs: 600 })
      assert.strictEqual(next._tag === "Response" && next.trailers[ERROR_TYPE], "Runtime.DeadlineExceeded")
      assert.isTrue(fn.isRunning())
    })
  )

  it.scopedLive("sse: five server-sent events, in order, as text/event-stream", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* spawnFunction("examples/sse.ts", api.address)
      const outcome = yield* api.invoke({ event: JSON.stringify({ ticks: 5 }) })
      assert.strictEqual(outcome._tag, "Response")
      if (outcome._tag !== "Response") return
      assert.strictEqual(outcome.headers["content-type"], Encoders.SseContentType)
      const events = yield* Stream.make(outcome.body).pipe(Encoders.sseDecode, Stream.runCollect)
      assert.deepStrictEqual(
        Chunk.toReadonlyArray(events).map((e) => [e.event, e.id, e.data]),
        [1, 2, 3, 4, 5].map((n) => ["tick", String(n), JSON.stringify({ n })])
      )
    })
  )

  it.scopedLive("over the streamed-size limit: stopped, Function.ResponseSizeTooLarge trailers", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* spawnFunction("examples/stream.ts", api.address, { EFFECT_LAMBDA_MAX_STREAMED_BYTES: "100000" })
      const outcome = yield* api.invoke({ event: JSON.stringify({ bytes: 1_000_000, chunk: 16_384 }) })
      assert.strictEqual(outcome._tag, "Response")
      if (outcome._tag !== "Response") return
      assert.isAtMost(outcome.body.length, 100_000)
      assert.strictEqual(outcome.body.length, 6 * 16_384)
      assert.strictEqual(outcome.trailers[ERROR_TYPE], "Function.ResponseSizeTooLarge")
      yield* servesNext(api, JSON.stringify({ bytes: 5, chunk: 5 }))
    })
  )

  it.scopedLive("a schema mismatch on a streaming handler → /error Runtime.EventDecodeError", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* spawnFunction("examples/stream.ts", api.address)
      const outcome = yield* api.invoke({ event: JSON.stringify({ bytes: "many", chunk: 0 }) })
      assert.strictEqual(outcome._tag === "Error" && outcome.report?.errorType, "Runtime.EventDecodeError")
      assert.include(outcome._tag === "Error" ? (outcome.report?.errorMessage ?? "") : "", ".bytes")
    })
  )
})
