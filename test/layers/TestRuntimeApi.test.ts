/**
 * Testing a Lambda function in memory with `TestRuntimeApi`: no HTTP, no environment variables.
 * `invoke` runs the handler through the same loop, sink and error rules as the live runtime.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Fiber } from "effect"
import { handler as echo } from "../../examples/echo.js"
import { handler as fail } from "../../examples/fail.js"
import {
  Handler,
  InvocationContext,
  ResponseSink,
  RuntimeApi,
  RuntimeConfig,
  RuntimeLoop,
  TestRuntimeApi
} from "../../src/index.js"

describe("TestRuntimeApi.invoke", () => {
  it.effect("echo replies with the event", () =>
    Effect.gen(function* () {
      const result = yield* TestRuntimeApi.invoke(echo, { id: "42", items: [1, 2] })
      assert.deepStrictEqual(result, TestRuntimeApi.json({ id: "42", items: [1, 2] }))
    })
  )

  it.effect("the result carries the reply as text too", () =>
    Effect.gen(function* () {
      const result = yield* TestRuntimeApi.invoke(echo, "hello")
      assert.isTrue(result._tag === "Response")
      if (result._tag === "Response") {
        assert.strictEqual(result.text, '"hello"')
        assert.strictEqual(result.contentType, "application/json")
      }
    })
  )

  it.effect("a failing handler returns the error report", () =>
    Effect.gen(function* () {
      const result = yield* TestRuntimeApi.invoke(fail, { id: "42" })
      assert.strictEqual(result._tag, "Error")
      if (result._tag === "Error") {
        assert.strictEqual(result.report.errorType, "OrderNotFound")
        assert.strictEqual(result.report.errorMessage, "order 42 was not found")
      }
    })
  )

  it.effect("an event that does not match the schema is Runtime.EventDecodeError", () =>
    Effect.gen(function* () {
      const result = yield* TestRuntimeApi.invoke(fail, { id: 42 })
      assert.isTrue(result._tag === "Error" && result.report.errorType === "Runtime.EventDecodeError")
      if (result._tag === "Error") assert.include(result.report.errorMessage, ".id")
    })
  )

  it.effect("a defect is reported by the thrown value's name", () =>
    Effect.gen(function* () {
      const crash = Handler.effect(() => Effect.die(new RangeError("out of range")))
      const result = yield* TestRuntimeApi.invoke(crash, {})
      assert.isTrue(result._tag === "Error" && result.report.errorType === "RangeError")
    })
  )

  it.effect("a custom content type and a raw reply", () =>
    Effect.gen(function* () {
      const html = Handler.effect(() => Effect.succeed(Handler.raw("<h1>hi</h1>", "text/html")))
      const result = yield* TestRuntimeApi.invoke(html, {})
      assert.deepStrictEqual(result, {
        _tag: "Response",
        contentType: "text/html",
        body: new Uint8Array(Buffer.from("<h1>hi</h1>")),
        text: "<h1>hi</h1>"
      })
      const vendor = Handler.effect(() => Effect.succeed([1]), { contentType: "application/vnd.x+json" })
      assert.deepStrictEqual(
        yield* TestRuntimeApi.invoke(vendor, {}),
        TestRuntimeApi.json([1], "application/vnd.x+json")
      )
    })
  )

  it.effect("the handler sees an InvocationContext", () =>
    Effect.gen(function* () {
      const whoAmI = Handler.effect(() =>
        Effect.map(InvocationContext.InvocationContext, (ctx) => ({
          arn: ctx.functionArn,
          hasRequestId: ctx.requestId.length > 0
        }))
      )
      const result = yield* TestRuntimeApi.invoke(whoAmI, {})
      assert.deepStrictEqual(
        result,
        TestRuntimeApi.json({ arn: "arn:aws:lambda:us-east-1:123456789012:function:test-function", hasRequestId: true })
      )
    })
  )

  it.effect("the handler's own services are provided by the test", () =>
    Effect.gen(function* () {
      class Greeter extends Context.Tag("test/Greeter")<Greeter, { readonly greet: (name: string) => string }>() {}
      const greet = Handler.effect((event) => Effect.map(Greeter, (g) => g.greet(String(event))))
      const result = yield* TestRuntimeApi.invoke(greet, "Ada").pipe(
        Effect.provideService(Greeter, { greet: (name) => `hello ${name}` })
      )
      assert.deepStrictEqual(result, TestRuntimeApi.json("hello Ada"))
    })
  )
})

describe("TestRuntimeApi.layer", () => {
  it.effect("drives the loop with queued invocations", () =>
    Effect.gen(function* () {
      const api = yield* RuntimeApi.RuntimeApi
      const test = yield* TestRuntimeApi.TestRuntimeApi
      const loop = RuntimeLoop.make(api, ResponseSink.make(api), RuntimeConfig.defaults)
      const fiber = yield* Effect.fork(loop.run(fail))
      yield* test.offer(TestRuntimeApi.invocation({ id: "9" }, { requestId: "second" }))
      const first = yield* test.awaitReply("first")
      const second = yield* test.awaitReply("second")
      yield* Fiber.interrupt(fiber)
      assert.isTrue(first._tag === "Error" && first.requestId === "first")
      if (first._tag === "Error") {
        assert.strictEqual(first.report.errorType, "OrderNotFound")
        assert.strictEqual(first.report.errorMessage, "order 7 was not found")
      }
      assert.isTrue(second._tag === "Error" && second.report.errorMessage === "order 9 was not found")
      assert.deepStrictEqual(
        (yield* test.replies).map((r) => (r._tag === "InitError" ? r._tag : r.requestId)),
        ["first", "second"]
      )
    }).pipe(Effect.provide(TestRuntimeApi.layer([TestRuntimeApi.invocation({ id: "7" }, { requestId: "first" })])))
  )

  it.effect("records init errors", () =>
    Effect.gen(function* () {
      const api = yield* RuntimeApi.RuntimeApi
      yield* api.reportInitError({ errorType: "Runtime.ImportModuleError", errorMessage: "nope", stackTrace: [] })
      const replies = yield* Effect.flatMap(TestRuntimeApi.TestRuntimeApi, (t) => t.replies)
      assert.deepStrictEqual(replies, [
        { _tag: "InitError", report: { errorType: "Runtime.ImportModuleError", errorMessage: "nope", stackTrace: [] } }
      ])
    }).pipe(Effect.provide(TestRuntimeApi.layer()))
  )

  it("invocation builds the headers /next would send", () => {
    const invocation = TestRuntimeApi.invocation(
      { a: 1 },
      { requestId: "r-1", deadlineMs: 1234, headers: { "lambda-runtime-trace-id": "Root=1-x" } }
    )
    assert.strictEqual(invocation.requestId, "r-1")
    assert.deepStrictEqual(invocation.headers, {
      "lambda-runtime-aws-request-id": "r-1",
      "lambda-runtime-deadline-ms": "1234",
      "lambda-runtime-invoked-function-arn": "arn:aws:lambda:us-east-1:123456789012:function:test-function",
      "lambda-runtime-trace-id": "Root=1-x"
    })
    assert.strictEqual(Buffer.from(invocation.body).toString("utf8"), '{"a":1}')
    const raw = new Uint8Array([1, 2, 3])
    assert.strictEqual(TestRuntimeApi.invocation(raw).body, raw)
    assert.notStrictEqual(TestRuntimeApi.invocation(1).requestId, TestRuntimeApi.invocation(1).requestId)
  })
})
