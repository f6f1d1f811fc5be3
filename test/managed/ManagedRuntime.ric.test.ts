/**
 * `ManagedRuntime.toHandler` under the real official client (`aws-lambda-ric`, what Lambda's managed Node.js runtimes
 * run): the examples, adapted and bundled as `index.mjs`, served against the Runtime API server on 127.0.0.1, which
 * records every byte of each reply, error report, streamed body and trailer, and init error. Where our own loop
 * serves the same example, the bytes are compared with what it sends.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as Fs from "node:fs"
import * as RuntimeApiServer from "effect-lambda-dev/RuntimeApiServer"
import { eventFor } from "../http/support/events.js"
import { spawnFunction } from "../support/FunctionProcess.js"
import { assertRicInstalled, bundle, startManaged, tempDir } from "./support.js"

const fixtures = [
  "order",
  "defect",
  "stream",
  "stream-fail",
  "http",
  "http-stream",
  "init-fail",
  "context",
  "slow",
  "finalizer",
  "backpressure",
  "raw"
] as const
type Fixture = (typeof fixtures)[number]

const dir = tempDir()
const bundles = new Map<Fixture, string>()

beforeAll(async () => {
  assertRicInstalled()
  const dirs = await Promise.all(fixtures.map((name) => bundle(dir, name)))
  for (const [i, name] of fixtures.entries()) bundles.set(name, dirs[i]!)
}, 120_000)

afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))

const server = RuntimeApiServer.make()

/** The official client serving the adapted fixture `name`. */
const managed = (api: RuntimeApiServer.Service, name: Fixture, env: Record<string, string> = {}) =>
  startManaged(bundles.get(name)!, api.address, env)

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8")

const ERROR_TYPE = "lambda-runtime-function-error-type"
const ERROR_BODY = "lambda-runtime-function-error-body"

const trailerReport = (trailers: Readonly<Record<string, string>>) =>
  JSON.parse(Buffer.from(trailers[ERROR_BODY] ?? "", "base64").toString("utf8")) as {
    errorType: string
    errorMessage: string
  }

const pattern = (n: number) => {
  const bytes = new Uint8Array(n)
  for (let i = 0; i < n; i++) bytes[i] = i % 251
  return bytes
}

/** What our own loop answers for `event` when it runs `example` (a fresh server, a real process). */
const ownLoop = (example: string, events: ReadonlyArray<string>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const api = yield* server
      yield* spawnFunction(example, api.address)
      return yield* Effect.forEach(events, (event) => api.invoke({ event }))
    })
  )

describe("ManagedRuntime.toHandler under aws-lambda-ric", () => {
  it.scopedLive("order: {id: 42} is answered, another id reports OrderNotFound, a bad event EventDecodeError", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* managed(api, "order")
      const events = ['{"id":"42"}', '{"id":"7"}', '{"id":1}']
      const [ok, missing, malformed] = yield* Effect.forEach(events, (event) => api.invoke({ event }))
      assert.strictEqual(ok!._tag, "Response")
      assert.strictEqual(text(ok!.body), '{"id":"42","total":12.5}')
      assert.strictEqual(missing!._tag, "Error")
      assert.strictEqual(missing!._tag === "Error" && missing!.report?.errorType, "OrderNotFound")
      assert.strictEqual(missing!._tag === "Error" && missing!.report?.errorMessage, "order 7 was not found")
      assert.strictEqual(malformed!._tag === "Error" && malformed!.report?.errorType, "Runtime.EventDecodeError")

      const own = yield* ownLoop("examples/order.ts", events)
      assert.deepStrictEqual(text(ok!.body), text(own[0]!.body))
      for (const i of [1, 2]) {
        const ours = own[i]!
        const theirs = [ok, missing, malformed][i]!
        assert.isTrue(ours._tag === "Error" && theirs._tag === "Error")
        if (ours._tag !== "Error" || theirs._tag !== "Error") return
        assert.strictEqual(theirs.report?.errorType, ours.report?.errorType)
        assert.strictEqual(theirs.report?.errorMessage, ours.report?.errorMessage)
      }
      assert.isTrue(fn.isRunning())
      assert.deepStrictEqual(yield* api.violations, [])
    })
  )

  it.scopedLive("defect: a thrown TypeError is reported with its name and stack; the next invocation is served", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* managed(api, "defect")
      const crash = yield* api.invoke({ event: '{"crash":true}' })
      assert.strictEqual(crash._tag, "Error")
      if (crash._tag !== "Error") return
      assert.strictEqual(crash.report?.errorType, "TypeError")
      assert.strictEqual(crash.report?.errorMessage, "crash requested by the event")
      const trace = (JSON.parse(text(crash.body)) as { trace: Array<string> }).trace
      assert.isTrue(trace.some((line) => line.includes("crash requested by the event")))
      const next = yield* api.invoke({ event: '{"crash":false,"n":1}' })
      assert.strictEqual(next._tag, "Response")
      assert.strictEqual(text(next.body), '{"crash":false,"n":1}')
      assert.isTrue(fn.isRunning())
    })
  )

  it.scopedLive("stream: 8 MiB in 64 KiB chunks arrives byte-exact as one streamed reply, no trailers", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* managed(api, "stream")
      const size = 8 * 1024 * 1024
      const outcome = yield* api.invoke({ event: JSON.stringify({ bytes: size, chunk: 64 * 1024 }) })
      assert.strictEqual(outcome._tag, "Response")
      if (outcome._tag !== "Response") return
      assert.isTrue(outcome.streamed)
      assert.strictEqual(outcome.headers["lambda-runtime-function-response-mode"], "streaming")
      assert.strictEqual(outcome.headers["content-type"], "application/octet-stream")
      assert.strictEqual(outcome.body.length, size)
      assert.isTrue(Buffer.from(outcome.body).equals(pattern(size)))
      assert.deepStrictEqual(outcome.trailers, {})

      const empty = yield* api.invoke({ event: JSON.stringify({ bytes: 0, chunk: 10 }) })
      assert.strictEqual(empty._tag, "Response")
      assert.isTrue(empty._tag === "Response" && empty.streamed && empty.body.length === 0)
      assert.deepStrictEqual(empty._tag === "Response" && empty.trailers, {})
      assert.deepStrictEqual(yield* api.violations, [])
    })
  )

  it.scopedLive("stream-fail: the bytes before the failure, then the trailers with the tag UpstreamClosed", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* managed(api, "stream-fail")
      const outcome = yield* api.invoke({ event: JSON.stringify({ bytes: 100_000, failAfter: 4321 }) })
      assert.strictEqual(outcome._tag, "Response")
      if (outcome._tag !== "Response") return
      assert.isTrue(outcome.streamed)
      assert.isTrue(Buffer.from(outcome.body).equals(pattern(4321)))
      assert.strictEqual(outcome.trailers[ERROR_TYPE], "UpstreamClosed")
      const report = trailerReport(outcome.trailers)
      assert.strictEqual(report.errorType, "UpstreamClosed")
      assert.strictEqual(report.errorMessage, "the upstream closed after 4321 bytes")

      // Before the first byte: the managed runtime ends the still-empty streamed reply with the trailers.
      const early = yield* api.invoke({ event: JSON.stringify({ bytes: 100, failAfter: 0 }) })
      assert.strictEqual(early._tag, "Response")
      if (early._tag !== "Response") return
      assert.strictEqual(early.body.length, 0)
      assert.strictEqual(early.trailers[ERROR_TYPE], "UpstreamClosed")
      assert.strictEqual(trailerReport(early.trailers).errorMessage, "the upstream closed after 0 bytes")
      assert.isTrue(fn.isRunning())
      assert.deepStrictEqual(yield* api.violations, [])
    })
  )

  it.scopedLive("http-stream: the prelude, 8 NUL bytes and the body, byte-identical to our own loop's", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* managed(api, "http-stream")
      const events = ["/items/42", "/redirect", "/cookies", "/boom"].map((path) =>
        JSON.stringify(eventFor("FunctionUrl", { method: "GET", path }))
      )
      const replies = yield* Effect.forEach(events, (event) => api.invoke({ event }))
      const own = yield* ownLoop("examples/http-stream.ts", events)
      for (const [i, reply] of replies.entries()) {
        assert.strictEqual(reply._tag, "Response")
        if (reply._tag !== "Response") return
        assert.isTrue(reply.streamed)
        assert.strictEqual(reply.headers["content-type"], "application/vnd.awslambda.http-integration-response")
        assert.deepStrictEqual(reply.trailers, {})
        const ours = own[i]!
        assert.isTrue(ours._tag === "Response" && Buffer.from(ours.body).equals(Buffer.from(reply.body)))
      }
      const items = Buffer.from(replies[0]!.body)
      const split = items.indexOf(Buffer.alloc(8))
      assert.strictEqual((JSON.parse(items.subarray(0, split).toString()) as { statusCode: number }).statusCode, 200)
      assert.strictEqual(items.subarray(split + 8).toString(), '{"id":"42"}')
      // An empty body (a redirect) still carries its prelude.
      const redirect = Buffer.from(replies[1]!.body)
      assert.strictEqual(redirect.subarray(redirect.length - 8).compare(Buffer.alloc(8)), 0)
      assert.strictEqual((JSON.parse(redirect.subarray(0, -8).toString()) as { statusCode: number }).statusCode, 302)
    })
  )

  it.scopedLive("http (buffered): the API Gateway v2 result, the same JSON as our own loop's", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* managed(api, "http")
      const events = ["/items/42", "/hello"].map((path) =>
        JSON.stringify(eventFor("ApiGatewayV2", { method: "GET", path }))
      )
      const replies = yield* Effect.forEach(events, (event) => api.invoke({ event }))
      const own = yield* ownLoop("examples/http.ts", events)
      for (const [i, reply] of replies.entries()) {
        assert.strictEqual(reply._tag, "Response")
        assert.deepStrictEqual(JSON.parse(text(reply.body)), JSON.parse(text(own[i]!.body)))
      }
      const items = JSON.parse(text(replies[0]!.body)) as { statusCode: number; body: string }
      assert.strictEqual(items.statusCode, 200)
      assert.strictEqual(items.body, '{"id":"42"}')
    })
  )

  it.scopedLive("init-fail: the Layer's ConfigMissing is posted to /init/error before any /next", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* managed(api, "init-fail")
      const init = yield* api.awaitInitError
      assert.strictEqual(init.report?.errorType, "ConfigMissing")
      assert.strictEqual(init.report?.errorMessage, "ORDERS_TABLE is not set")
      assert.strictEqual(init.headers[ERROR_TYPE], "ConfigMissing")
      const exit = yield* fn.exited
      assert.notStrictEqual(exit.code, 0)
      assert.strictEqual(yield* api.nextPolls, 0)
    })
  )

  it.scopedLive("init-fail with its setting: the Layer builds and the handler is served", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* managed(api, "init-fail", { ORDERS_TABLE: "orders" })
      const reply = yield* api.invoke({ event: "{}" })
      assert.strictEqual(reply._tag, "Response")
      assert.strictEqual(text(reply.body), '{"table":"orders"}')
      assert.deepStrictEqual(yield* api.initErrors, [])
    })
  )

  it.scopedLive("context: request id, deadline, ARN, trace id, client context, identity and tenant id", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* managed(api, "context")
      const clientContext = { client: { installation_id: "i-1" }, custom: { k: "v" }, env: { platform: "test" } }
      const identity = { cognitoIdentityId: "id-1", cognitoIdentityPoolId: "pool-1" }
      const enqueued = yield* api.enqueue({
        event: "{}",
        requestId: "req-ctx-1",
        timeoutMs: 20_000,
        headers: {
          "Lambda-Runtime-Trace-Id": "Root=1-5e1b4151-5ac6c58f5b5daa6532e4b2d1;Parent=1;Sampled=1",
          "Lambda-Runtime-Client-Context": JSON.stringify(clientContext),
          "Lambda-Runtime-Cognito-Identity": JSON.stringify(identity),
          "Lambda-Runtime-Aws-Tenant-Id": "tenant-9"
        }
      })
      const delivered = yield* enqueued.delivered
      const outcome = yield* enqueued.outcome
      assert.strictEqual(outcome._tag, "Response")
      const seen = JSON.parse(text(outcome.body)) as Record<string, unknown>
      assert.strictEqual(seen.requestId, "req-ctx-1")
      assert.strictEqual(seen.functionArn, RuntimeApiServer.Defaults.functionArn)
      assert.strictEqual(seen.traceId, "Root=1-5e1b4151-5ac6c58f5b5daa6532e4b2d1;Parent=1;Sampled=1")
      // The official client set _X_AMZN_TRACE_ID for the invocation; through the adapter's proxy, not `setenv`.
      assert.strictEqual(seen.envTraceId, "Root=1-5e1b4151-5ac6c58f5b5daa6532e4b2d1;Parent=1;Sampled=1")
      assert.isNull(seen.environmentTraceId)
      assert.deepStrictEqual(seen.clientContext, clientContext)
      assert.deepStrictEqual(seen.cognitoIdentity, identity)
      assert.strictEqual(seen.tenantId, "tenant-9")
      // The deadline is rebuilt from getRemainingTimeInMillis(): within a second of the one sent on /next.
      assert.isBelow(Math.abs((seen.deadlineMs as number) - delivered.deadlineMs), 1_000)
      assert.isAbove(seen.remainingMs as number, 15_000)
      yield* fn.waitForOutput("context read")
      assert.match(fn.stdout(), /\treq-ctx-1\tINFO\tcontext read/)
    })
  )

  it.scopedLive("deadline: the stream is interrupted before its deadline, its finalizer runs, DeadlineExceeded", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* managed(api, "slow", { EFFECT_LAMBDA_DEADLINE_MARGIN_MS: "300" })
      const outcome = yield* api.invoke({ event: "{}", timeoutMs: 1_500 })
      assert.strictEqual(outcome._tag, "Response")
      if (outcome._tag !== "Response") return
      assert.include(text(outcome.body), "tick ")
      assert.strictEqual(outcome.trailers[ERROR_TYPE], "Runtime.DeadlineExceeded")
      assert.include(trailerReport(outcome.trailers).errorMessage, "300 ms before its deadline")
      yield* fn.waitForOutput("stream closed")
      assert.isTrue(fn.isRunning())
    })
  )

  it.scopedLive("SIGTERM: the Layer's finalizer runs, then the process ends by the signal", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* managed(api, "finalizer")
      const reply = yield* api.invoke({ event: '{"a":1}' })
      assert.strictEqual(text(reply.body), '{"a":1}')
      yield* fn.waitForOutput("layer built").pipe(Effect.timeout("5 seconds"))
      assert.notInclude(fn.stdout(), "finalizer ran")
      fn.kill("SIGTERM")
      const exit = yield* fn.exited
      assert.strictEqual(exit.signal, "SIGTERM")
      yield* fn.waitForOutput("finalizer ran").pipe(Effect.timeout("5 seconds"))
    })
  )
  it.scopedLive("backpressure: a reader that does not read holds the stream back; then all 64 MiB arrive", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* managed(api, "backpressure")
      const enqueued = yield* api.enqueue({ event: JSON.stringify({ mib: 64 }), live: true })
      const reply = yield* enqueued.reply
      if (reply._tag !== "Response") return assert.fail("expected a streamed response")
      yield* fn.waitForOutput("pulled 4 MiB")
      yield* Effect.sleep("1 second")
      const pulled = () => Math.max(...[...fn.stdout().matchAll(/pulled (\d+) MiB/g)].map((m) => Number(m[1])))
      // Not read: the stream stops at what the sockets and buffers hold, far from the 64 MiB it would produce.
      assert.isBelow(pulled(), 32)
      let offset = 0
      let intact = true
      yield* Stream.runForEach(reply.body, (chunk) =>
        Effect.sync(() => {
          for (let i = 0; i < chunk.length; i++) if (chunk[i] !== (offset + i) % 251) intact = false
          offset += chunk.length
        })
      )
      assert.strictEqual(offset, 64 * 1024 * 1024)
      assert.isTrue(intact)
      // The function's log reaches us through its stdout pipe, which may trail the reply's bytes.
      yield* fn.waitForOutput("pulled 64 MiB")
      assert.strictEqual(pulled(), 64)
      const outcome = yield* enqueued.outcome
      assert.deepStrictEqual(outcome._tag === "Response" && outcome.trailers, {})
    })
  )

  it.scopedLive("buffered replies are JSON: raw text becomes a JSON string, raw binary and > 6 MiB fail", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* managed(api, "raw")
      const [textReply, binary, big, json] = yield* Effect.forEach(["text", "binary", "big", "json"], (kind) =>
        api.invoke({ event: JSON.stringify({ kind }) })
      )
      assert.strictEqual(textReply!._tag, "Response")
      assert.strictEqual(text(textReply!.body), '"hello, world"')
      assert.strictEqual(binary!._tag === "Error" && binary!.report?.errorType, "Runtime.SerializationError")
      assert.strictEqual(big!._tag === "Error" && big!.report?.errorType, "Function.ResponseSizeTooLarge")
      assert.strictEqual(text(json!.body), JSON.stringify({ a: [1, 2, { b: null }], c: "\u00e9\n" }))
    })
  )
  it.scopedLive(
    "multi-concurrency (AWS_LAMBDA_MAX_CONCURRENCY): each invocation sees its own request and trace id",
    () =>
      Effect.gen(function* () {
        const api = yield* server
        yield* managed(api, "context", { AWS_LAMBDA_MAX_CONCURRENCY: "4" })
        const ids = [1, 2, 3, 4, 5, 6, 7, 8]
        const outcomes = yield* Effect.forEach(
          ids,
          (i) =>
            api.invoke({ event: "{}", requestId: `lmi-${i}`, headers: { "Lambda-Runtime-Trace-Id": `Root=1-${i}` } }),
          { concurrency: "unbounded" }
        )
        for (const [index, outcome] of outcomes.entries()) {
          assert.strictEqual(outcome._tag, "Response")
          const seen = JSON.parse(text(outcome.body)) as { requestId: string; traceId: string }
          assert.strictEqual(seen.requestId, `lmi-${ids[index]}`)
          assert.strictEqual(seen.traceId, `Root=1-${ids[index]}`)
        }
      })
  )
})
