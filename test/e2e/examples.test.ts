/**
 * End-to-end: each example runs as a real `node` process against the Runtime API server on 127.0.0.1,
 * and the bytes it puts on the wire are checked.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as RuntimeApiServer from "effect-lambda-dev/RuntimeApiServer"
import { spawnFunction } from "../support/FunctionProcess.js"

const server = RuntimeApiServer.make()

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8")

/** A JSON document whose serialization is canonical (JSON.stringify(JSON.parse(s)) === s). */
const eventFor = (i: number) =>
  JSON.stringify({
    id: `order-${i}`,
    n: i,
    price: i / 7,
    tags: ["ünïcødé", "😀", "line\nbreak", `"quoted"`],
    nested: { flag: i % 2 === 0, none: null, list: Array.from({ length: i % 5 }, (_, k) => k * i) }
  })

describe("examples end to end", () => {
  it.scopedLive("echo: 1000 invocations, every reply byte-identical to its event", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/echo.ts", api.address)
      const events = Array.from({ length: 1000 }, (_, i) => eventFor(i))
      const pending = yield* Effect.forEach(events, (event) => api.enqueue({ event }))
      const outcomes = yield* Effect.forEach(pending, (p) => p.outcome)
      outcomes.forEach((outcome, i) => {
        assert.strictEqual(outcome._tag, "Response")
        assert.strictEqual(outcome.status, 202)
        assert.strictEqual(text(outcome.body), events[i])
        assert.strictEqual(outcome.headers["content-type"], "application/json")
      })
      assert.deepStrictEqual(yield* api.violations, [])
      assert.isTrue(fn.isRunning())
    })
  )

  it.scopedLive("fail: one /error with errorType OrderNotFound, no /response", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* spawnFunction("examples/fail.ts", api.address)
      const outcome = yield* api.invoke({ event: JSON.stringify({ id: "A-17" }) })
      assert.strictEqual(outcome._tag, "Error")
      if (outcome._tag !== "Error") return
      assert.strictEqual(outcome.report?.errorType, "OrderNotFound")
      assert.include(outcome.report?.errorMessage ?? "", "A-17")
      assert.isArray(outcome.report?.stackTrace)
      assert.strictEqual(outcome.headers["lambda-runtime-function-error-type"], "OrderNotFound")
      const exchanges = yield* api.exchanges
      assert.strictEqual(exchanges.filter((e) => e.path.endsWith("/response")).length, 0)
      assert.strictEqual(exchanges.filter((e) => e.path.endsWith("/error")).length, 1)
    })
  )

  it.scopedLive("defect: 100 alternating invocations → 50 TypeError reports, 50 echoes, one process", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/defect.ts", api.address)
      const events = Array.from({ length: 100 }, (_, i) => JSON.stringify({ crash: i % 2 === 0, i }))
      const pending = yield* Effect.forEach(events, (event) => api.enqueue({ event }))
      const outcomes = yield* Effect.forEach(pending, (p) => p.outcome)
      let errors = 0
      let echoes = 0
      outcomes.forEach((outcome, i) => {
        if (i % 2 === 0) {
          assert.strictEqual(outcome._tag, "Error")
          if (outcome._tag === "Error") {
            assert.strictEqual(outcome.report?.errorType, "TypeError")
            assert.strictEqual(outcome.report?.errorMessage, "crash requested by the event")
            errors++
          }
        } else {
          assert.strictEqual(outcome._tag, "Response")
          assert.strictEqual(text(outcome.body), events[i])
          echoes++
        }
      })
      assert.strictEqual(errors, 50)
      assert.strictEqual(echoes, 50)
      assert.isTrue(fn.isRunning())
      yield* fn.expectOutput("TypeError: crash requested by the event")
    })
  )

  it.scopedLive("init-fail: /init/error with errorType ConfigMissing, then a non-zero exit", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/init-fail.ts", api.address)
      const initError = yield* api.awaitInitError
      assert.strictEqual(initError.report?.errorType, "ConfigMissing")
      assert.strictEqual(initError.report?.errorMessage, "ORDERS_TABLE is not set")
      assert.strictEqual(initError.headers["lambda-runtime-function-error-type"], "ConfigMissing")
      const exit = yield* fn.exited
      assert.notStrictEqual(exit.code, 0)
      assert.strictEqual(yield* api.nextPolls, 0)
    })
  )

  it.scopedLive("finalizer: SIGTERM to the node process → finalizer ran, exit 0", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/finalizer.ts", api.address)
      const outcome = yield* api.invoke({ event: '{"x":1}' })
      assert.strictEqual(outcome._tag === "Response" && text(outcome.body), '{"x":1}')
      fn.child.kill("SIGTERM")
      const exit = yield* fn.exited
      yield* fn.expectOutput("finalizer ran")
      assert.deepStrictEqual(exit, { code: 0, signal: null })
    })
  )

  it.scopedLive("SIGINT also runs the finalizers and exits 0", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/finalizer.ts", api.address)
      yield* Effect.repeat(api.nextPolls, { until: (n) => n > 0 })
      fn.child.kill("SIGINT")
      const exit = yield* fn.exited
      yield* fn.expectOutput("finalizer ran")
      assert.deepStrictEqual(exit, { code: 0, signal: null })
    })
  )

  it.scopedLive("_X_AMZN_TRACE_ID: each invocation's own trace id in process.env and its children, never setenv", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* spawnFunction("test/fixtures/functions/trace-env.ts", api.address)
      const seen = (outcome: RuntimeApiServer.Outcome) =>
        outcome._tag === "Response" ? JSON.parse(text(outcome.body)) : `not a response: ${outcome._tag}`
      const traces = ["Root=1-aaaa;Parent=1;Sampled=0", "Root=1-bbbb;Parent=2;Sampled=1"]
      for (const trace of traces) {
        const outcome = yield* api.invoke({ event: "{}", headers: { "lambda-runtime-trace-id": trace } })
        assert.deepStrictEqual(seen(outcome), { env: trace, has: true, listed: true, child: trace, before: null })
      }
      // Without the header the variable is gone, for the process and its children.
      const none = yield* api.invoke({ event: "{}", headers: { "lambda-runtime-trace-id": null } })
      assert.deepStrictEqual(seen(none), { env: null, has: false, listed: false, child: "none", before: null })
    })
  )

  it.scopedLive("malformed /next headers: a clear error report each, and the loop goes on", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/echo.ts", api.address)
      const cases: ReadonlyArray<[Record<string, string | null>, string]> = [
        [{ "lambda-runtime-deadline-ms": "soon" }, "lambda-runtime-deadline-ms"],
        [{ "lambda-runtime-deadline-ms": null }, "lambda-runtime-deadline-ms"],
        [{ "lambda-runtime-invoked-function-arn": null }, "lambda-runtime-invoked-function-arn"],
        [{ "lambda-runtime-client-context": "{not json" }, "lambda-runtime-client-context"],
        [{ "lambda-runtime-cognito-identity": "[1,2]" }, "lambda-runtime-cognito-identity"]
      ]
      for (const [headers, named] of cases) {
        const outcome = yield* api.invoke({ event: "{}", headers })
        assert.strictEqual(outcome._tag, "Error")
        if (outcome._tag === "Error") {
          assert.strictEqual(outcome.report?.errorType, "Runtime.MalformedInvocation")
          assert.include(outcome.report?.errorMessage ?? "", named)
        }
      }
      const ok = yield* api.invoke({
        event: '{"after":true}',
        headers: {
          "lambda-runtime-client-context": '{"client":{"app_title":"x"},"custom":{},"env":{}}',
          "lambda-runtime-cognito-identity": '{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}'
        }
      })
      assert.strictEqual(ok._tag === "Response" && text(ok.body), '{"after":true}')
      assert.isTrue(fn.isRunning())
    })
  )

  it.scopedLive("an event that is not JSON → Runtime.MalformedEvent, and the loop goes on", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* spawnFunction("examples/echo.ts", api.address)
      const bad = yield* api.invoke({ event: "{not json" })
      assert.strictEqual(bad._tag === "Error" && bad.report?.errorType, "Runtime.MalformedEvent")
      const invalidUtf8 = yield* api.invoke({ event: new Uint8Array([0x22, 0xff, 0xfe, 0x22]) })
      assert.strictEqual(invalidUtf8._tag === "Error" && invalidUtf8.report?.errorType, "Runtime.MalformedEvent")
      const ok = yield* api.invoke({ event: "[1,2,3]" })
      assert.strictEqual(ok._tag === "Response" && text(ok.body), "[1,2,3]")
    })
  )

  it.scopedLive("Lambda-Runtime-Invocation-Id is echoed on /response and /error", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* spawnFunction("examples/defect.ts", api.address)
      const ok = yield* api.invoke({ event: "{}", headers: { "lambda-runtime-invocation-id": "inv-1" } })
      assert.strictEqual(ok.headers["lambda-runtime-invocation-id"], "inv-1")
      const error = yield* api.invoke({
        event: '{"crash":true}',
        headers: { "lambda-runtime-invocation-id": "inv-2" }
      })
      assert.strictEqual(error._tag, "Error")
      assert.strictEqual(error.headers["lambda-runtime-invocation-id"], "inv-2")
      assert.deepStrictEqual(yield* api.violations, [])
    })
  )

  it.scopedLive("a reply over 6 MiB + 100 bytes is not posted: Function.ResponseSizeTooLarge instead", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* spawnFunction("examples/echo.ts", api.address)
      const big = JSON.stringify({ blob: "x".repeat(6 * 1024 * 1024 + 100) })
      const outcome = yield* api.invoke({ event: big })
      assert.strictEqual(outcome._tag === "Error" && outcome.report?.errorType, "Function.ResponseSizeTooLarge")
      const exchanges = yield* api.exchanges
      assert.strictEqual(exchanges.filter((e) => e.path.endsWith("/response")).length, 0)
    })
  )

  it.scopedLive("a reply answered 410 is logged and the loop goes on", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/echo.ts", api.address)
      const late = yield* api.invoke({ event: "1", replyStatus: 410 })
      assert.strictEqual(late.status, 410)
      const ok = yield* api.invoke({ event: "2" })
      assert.strictEqual(ok._tag === "Response" && text(ok.body), "2")
      yield* fn.expectOutput("HTTP 410")
    })
  )

  it.scopedLive("a reply answered 413 → logged, no second reply for that invocation, the loop goes on", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/echo.ts", api.address)
      const { requestId, outcome } = yield* api.enqueue({ event: '"too big"', replyStatus: 413 })
      const first = yield* outcome
      assert.strictEqual(first.status, 413)
      const ok = yield* api.invoke({ event: "3" })
      assert.strictEqual(ok._tag === "Response" && text(ok.body), "3")
      const exchanges = yield* api.exchanges
      // The platform has already answered the caller with Function.ResponseSizeTooLarge: nothing more is posted.
      assert.isUndefined(exchanges.find((e) => e.path.endsWith(`${requestId}/error`)))
      yield* fn.expectOutput("refused the reply")
    })
  )

  it.scopedLive("/next answered 500 → the runtime exits non-zero", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/echo.ts", api.address)
      yield* api.enqueue({ event: "{}", nextStatus: 500 })
      const exit = yield* fn.exited
      assert.notStrictEqual(exit.code, 0)
      yield* fn.expectOutput("HTTP 500")
    })
  )

  it.scopedLive("/next without a request id → logged, non-zero exit, no hang", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/echo.ts", api.address)
      yield* api.enqueue({ event: "{}", headers: { "lambda-runtime-aws-request-id": null } })
      const exit = yield* fn.exited
      assert.notStrictEqual(exit.code, 0)
      yield* fn.expectOutput("Lambda-Runtime-Aws-Request-Id")
    })
  )

  it.scopedLive("a dropped /next connection is retried; repeated drops end the process non-zero", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/echo.ts", api.address)
      yield* api.enqueue({ event: "{}", dropNext: true })
      const ok = yield* api.invoke({ event: '"after one drop"' })
      assert.strictEqual(ok._tag === "Response" && text(ok.body), '"after one drop"')
      assert.isTrue(fn.isRunning())
      for (let i = 0; i < 4; i++) yield* api.enqueue({ event: "{}", dropNext: true })
      const exit = yield* fn.exited
      assert.notStrictEqual(exit.code, 0)
    })
  )

  it.scopedLive("an exception thrown outside any Effect → /error for the invocation in flight, exit 129", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("test/fixtures/functions/uncaught.ts", api.address)
      const outcome = yield* api.invoke({ event: "{}" })
      assert.strictEqual(outcome._tag === "Error" && outcome.report?.errorType, "SyntaxError")
      const exit = yield* fn.exited
      assert.strictEqual(exit.code, 129)
      // The report made on the way out carries no pipelined /next: none is left for an invocation to be lost to.
      assert.strictEqual(yield* api.nextPolls, 1)
    })
  )

  it.scopedLive("a promise rejected outside any Effect → /error, exit 128", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("test/fixtures/functions/uncaught.ts", api.address)
      const outcome = yield* api.invoke({ event: '{"reject":true}' })
      assert.strictEqual(outcome._tag === "Error" && outcome.report?.errorType, "Runtime.UnhandledPromiseRejection")
      assert.include(outcome._tag === "Error" ? (outcome.report?.errorMessage ?? "") : "", "RangeError")
      const exit = yield* fn.exited
      assert.strictEqual(exit.code, 128)
    })
  )

  it.scopedLive("AWS_LAMBDA_MAX_CONCURRENCY=4 keeps four /next polls open", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* spawnFunction("examples/echo.ts", api.address, { AWS_LAMBDA_MAX_CONCURRENCY: "4" })
      yield* Effect.repeat(api.nextPolls, { until: (n) => n >= 4 })
      const outcomes = yield* Effect.forEach(
        Array.from({ length: 20 }, (_, i) => String(i)),
        (event) => api.invoke({ event }),
        { concurrency: "unbounded" }
      )
      outcomes.forEach((outcome, i) => {
        assert.strictEqual(outcome._tag === "Response" && text(outcome.body), String(i))
      })
    })
  )

  it.scopedLive("AWS_LAMBDA_RUNTIME_API missing → a clear init error and exit 1", () =>
    Effect.gen(function* () {
      const fn = yield* spawnFunction("examples/echo.ts", "")
      const exit = yield* fn.exited
      assert.strictEqual(exit.code, 1)
      yield* fn.expectOutput("AWS_LAMBDA_RUNTIME_API")
      assert.notInclude(fn.stdout() + fn.stderr(), "    at ")
    })
  )
})
