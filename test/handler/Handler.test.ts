import { assert, describe, it } from "@effect/vitest"
import { Cause, Data, Effect, Exit, Schema } from "effect"
import * as Handler from "../../src/handler/Handler.js"
import * as InvocationContext from "../../src/services/InvocationContext.js"
import * as ErrorReport from "../../src/streaming/ErrorReport.js"

const context = InvocationContext.make({ requestId: "req-1" })

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "utf8"))
const jsonBytes = (value: unknown): Uint8Array => bytes(JSON.stringify(value))

/** Run the handler on an event, as the loop does, and return the exit. */
const runHandler = <E, R>(handler: Handler.Handler<E, R>, event: Uint8Array) =>
  Effect.exit(handler.run(event)).pipe(Effect.provideService(InvocationContext.InvocationContext, context))

/** Run the handler and turn a failure into the report Lambda would get. */
const reportOf = <E>(handler: Handler.Handler<E, never>, event: Uint8Array) =>
  Effect.gen(function* () {
    const exit = yield* runHandler(handler, event)
    if (Exit.isSuccess(exit)) return assert.fail(`expected a failure, got ${JSON.stringify(exit.value)}`)
    return handler.report(exit.cause)
  })

const payloadOf = <E>(handler: Handler.Handler<E, never>, event: Uint8Array) =>
  Effect.gen(function* () {
    const exit = yield* runHandler(handler, event)
    if (Exit.isFailure(exit)) return assert.fail(`expected a success, got ${Cause.pretty(exit.cause)}`)
    if (exit.value instanceof Handler.StreamReply) return assert.fail("expected a buffered payload, got a stream")
    return exit.value
  })

const bodyText = (payload: Handler.Payload): string =>
  typeof payload.body === "string" ? payload.body : Buffer.from(payload.body).toString("utf8")

const echo = Handler.effect((event) => Effect.succeed(event))

const Order = Schema.Struct({
  order: Schema.Struct({ id: Schema.String, quantity: Schema.Number }),
  items: Schema.Array(Schema.Struct({ sku: Schema.String }))
})

class OutOfStock extends Data.TaggedError("OutOfStock")<{ readonly sku: string; readonly message: string }> {}

describe("Handler.effect", () => {
  describe("events", () => {
    it.effect("without a schema receives the parsed JSON event", () =>
      Effect.gen(function* () {
        let received: unknown
        const handler = Handler.effect((event) =>
          Effect.sync(() => {
            received = event
            return "ok"
          })
        )
        yield* payloadOf(handler, jsonBytes({ a: [1, 2, { b: null }], c: "é" }))
        assert.deepStrictEqual(received, { a: [1, 2, { b: null }], c: "é" })
      })
    )

    it.effect("accepts any JSON value, not only objects", () =>
      Effect.gen(function* () {
        assert.strictEqual(bodyText(yield* payloadOf(echo, bytes("42"))), "42")
        assert.strictEqual(bodyText(yield* payloadOf(echo, bytes('"s"'))), '"s"')
        assert.strictEqual(bodyText(yield* payloadOf(echo, bytes("null"))), "null")
      })
    )

    it.effect("with a schema receives the decoded event", () =>
      Effect.gen(function* () {
        const Event = Schema.Struct({ id: Schema.NumberFromString, when: Schema.DateFromString })
        let received: typeof Event.Type | undefined
        const handler = Handler.effect(Event, (event) =>
          Effect.sync(() => {
            received = event
            return { doubled: event.id * 2 }
          })
        )
        const payload = yield* payloadOf(handler, jsonBytes({ id: "21", when: "2024-01-02T03:04:05.000Z" }))
        assert.isDefined(received)
        assert.strictEqual(received?.id, 21)
        assert.isTrue(received?.when instanceof Date)
        assert.strictEqual(received?.when.toISOString(), "2024-01-02T03:04:05.000Z")
        assert.strictEqual(bodyText(payload), '{"doubled":42}')
      })
    )

    it.effect("invalid JSON is Runtime.MalformedEvent and the handler is not called", () =>
      Effect.gen(function* () {
        let called = false
        const handler = Handler.effect((event) =>
          Effect.sync(() => {
            called = true
            return event
          })
        )
        const report = yield* reportOf(handler, bytes("{not json"))
        assert.strictEqual(report.errorType, "Runtime.MalformedEvent")
        assert.include(report.errorMessage, "not valid JSON")
        assert.isFalse(called)
      })
    )

    it.effect("an empty body is Runtime.MalformedEvent", () =>
      Effect.gen(function* () {
        const report = yield* reportOf(echo, new Uint8Array(0))
        assert.strictEqual(report.errorType, "Runtime.MalformedEvent")
      })
    )

    it.effect("non-UTF-8 bytes are Runtime.MalformedEvent", () =>
      Effect.gen(function* () {
        // `"\xff"`: a JSON string whose content is not UTF-8.
        const report = yield* reportOf(echo, new Uint8Array([0x22, 0xff, 0xfe, 0x22]))
        assert.strictEqual(report.errorType, "Runtime.MalformedEvent")
      })
    )

    it.effect("the failure is an EventError with reason Json", () =>
      Effect.gen(function* () {
        const exit = yield* runHandler(echo, bytes("["))
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) {
          const failure = Cause.failureOption(exit.cause)
          assert.isTrue(failure._tag === "Some" && failure.value instanceof Handler.EventError)
          if (failure._tag === "Some" && failure.value instanceof Handler.EventError) {
            assert.strictEqual(failure.value.reason, "Json")
            assert.strictEqual(failure.value.errorType, "Runtime.MalformedEvent")
          }
        }
      })
    )

    it.effect("a schema mismatch is Runtime.EventDecodeError naming the nested path", () =>
      Effect.gen(function* () {
        let called = false
        const handler = Handler.effect(Order, () =>
          Effect.sync(() => {
            called = true
          })
        )
        const report = yield* reportOf(handler, jsonBytes({ order: { id: 1, quantity: 2 }, items: [] }))
        assert.strictEqual(report.errorType, "Runtime.EventDecodeError")
        assert.include(report.errorMessage, ".order.id")
        assert.include(report.errorMessage, "Expected string")
        assert.notInclude(report.errorMessage, ".order.quantity")
        assert.isFalse(called)
      })
    )

    it.effect("a schema mismatch lists every failing path, including array indexes", () =>
      Effect.gen(function* () {
        const handler = Handler.effect(Order, () => Effect.void)
        const report = yield* reportOf(handler, jsonBytes({ order: { id: 1 }, items: [{ sku: "a" }, { sku: 2 }, {}] }))
        assert.strictEqual(report.errorType, "Runtime.EventDecodeError")
        assert.include(report.errorMessage, "at .order.id:")
        assert.include(report.errorMessage, "at .order.quantity:")
        assert.include(report.errorMessage, "at .items[1].sku:")
        assert.include(report.errorMessage, "at .items[2].sku:")
        assert.notInclude(report.errorMessage, "items[0]")
      })
    )

    it.effect("a schema mismatch at the root is named (root)", () =>
      Effect.gen(function* () {
        const handler = Handler.effect(Schema.String, () => Effect.void)
        const report = yield* reportOf(handler, jsonBytes({}))
        assert.strictEqual(report.errorType, "Runtime.EventDecodeError")
        assert.include(report.errorMessage, "(root)")
      })
    )

    it.effect("invalid JSON with a schema is still Runtime.MalformedEvent", () =>
      Effect.gen(function* () {
        const handler = Handler.effect(Order, () => Effect.void)
        const report = yield* reportOf(handler, bytes("{"))
        assert.strictEqual(report.errorType, "Runtime.MalformedEvent")
      })
    )
  })

  describe("replies", () => {
    it.effect("encodes the value as JSON with application/json by default", () =>
      Effect.gen(function* () {
        const handler = Handler.effect(() => Effect.succeed({ ok: true, n: [1, 2], s: "é" }))
        const payload = yield* payloadOf(handler, jsonBytes({}))
        assert.strictEqual(payload.contentType, "application/json")
        assert.strictEqual(bodyText(payload), '{"ok":true,"n":[1,2],"s":"é"}')
      })
    )

    it.effect("uses the contentType option for JSON replies", () =>
      Effect.gen(function* () {
        const handler = Handler.effect(() => Effect.succeed({ ok: true }), {
          contentType: "application/vnd.api+json"
        })
        const payload = yield* payloadOf(handler, jsonBytes({}))
        assert.strictEqual(payload.contentType, "application/vnd.api+json")
        assert.strictEqual(bodyText(payload), '{"ok":true}')
      })
    )

    it.effect("uses the contentType option with a schema too", () =>
      Effect.gen(function* () {
        const handler = Handler.effect(Schema.Unknown, () => Effect.succeed(1), { contentType: "text/x-json" })
        assert.strictEqual((yield* payloadOf(handler, jsonBytes({}))).contentType, "text/x-json")
      })
    )

    it.effect("sends Handler.raw text as is, with its content type", () =>
      Effect.gen(function* () {
        const handler = Handler.effect(() => Effect.succeed(Handler.raw("<p>hi</p>", "text/html")), {
          contentType: "application/ignored"
        })
        const payload = yield* payloadOf(handler, jsonBytes({}))
        assert.strictEqual(payload.contentType, "text/html")
        assert.strictEqual(payload.body, "<p>hi</p>")
      })
    )

    it.effect("sends Handler.raw bytes as is, with its content type", () =>
      Effect.gen(function* () {
        const data = new Uint8Array([0, 1, 2, 0xff])
        const handler = Handler.effect(() => Effect.succeed(Handler.raw(data, "application/octet-stream")))
        const payload = yield* payloadOf(handler, jsonBytes({}))
        assert.strictEqual(payload.contentType, "application/octet-stream")
        assert.strictEqual(payload.body, data)
      })
    )

    it.effect("replies null for undefined", () =>
      Effect.gen(function* () {
        const handler = Handler.effect(() => Effect.void)
        const payload = yield* payloadOf(handler, jsonBytes({}))
        assert.strictEqual(bodyText(payload), "null")
        assert.strictEqual(payload.contentType, "application/json")
      })
    )

    it.effect("a BigInt reply is Runtime.SerializationError", () =>
      Effect.gen(function* () {
        const handler = Handler.effect(() => Effect.succeed({ big: 10n }))
        const report = yield* reportOf(handler, jsonBytes({}))
        assert.strictEqual(report.errorType, "Runtime.SerializationError")
        assert.include(report.errorMessage, "cannot be serialized")
      })
    )

    it.effect("a cyclic reply is Runtime.SerializationError", () =>
      Effect.gen(function* () {
        const cyclic: Record<string, unknown> = { a: 1 }
        cyclic.self = cyclic
        const handler = Handler.effect(() => Effect.succeed(cyclic))
        const report = yield* reportOf(handler, jsonBytes({}))
        assert.strictEqual(report.errorType, "Runtime.SerializationError")
      })
    )
  })

  describe("failures", () => {
    it.effect("a typed failure is reported by its _tag", () =>
      Effect.gen(function* () {
        const handler = Handler.effect(() => Effect.fail(new OutOfStock({ sku: "s1", message: "no s1 left" })))
        const report = yield* reportOf(handler, jsonBytes({}))
        assert.strictEqual(report.errorType, "OutOfStock")
        assert.strictEqual(report.errorMessage, "no s1 left")
      })
    )

    it.effect("a defect is reported by the thrown value's name", () =>
      Effect.gen(function* () {
        const handler = Handler.effect(() =>
          Effect.sync(() => {
            throw new TypeError("bad")
          })
        )
        const report = yield* reportOf(handler, jsonBytes({}))
        assert.strictEqual(report.errorType, "TypeError")
        assert.strictEqual(report.errorMessage, "bad")
      })
    )

    it.effect("mapError maps typed failures", () =>
      Effect.gen(function* () {
        const handler = Handler.effect(() => Effect.fail(new OutOfStock({ sku: "s1", message: "no s1 left" })), {
          mapError: (error) => ErrorReport.make("Shop.OutOfStock", `sku ${error.sku}`)
        })
        const report = yield* reportOf(handler, jsonBytes({}))
        assert.deepStrictEqual(report, { errorType: "Shop.OutOfStock", errorMessage: "sku s1", stackTrace: [] })
      })
    )

    it.effect("mapError returning undefined falls back to the _tag", () =>
      Effect.gen(function* () {
        const handler = Handler.effect(Schema.Unknown, () => Effect.fail(new OutOfStock({ sku: "s", message: "m" })), {
          mapError: () => undefined
        })
        const report = yield* reportOf(handler, jsonBytes({}))
        assert.strictEqual(report.errorType, "OutOfStock")
        assert.strictEqual(report.errorMessage, "m")
      })
    )

    it.effect("mapError is not consulted for the runtime's own event errors", () =>
      Effect.gen(function* () {
        let calls = 0
        const handler = Handler.effect(Order, () => Effect.fail(new OutOfStock({ sku: "s", message: "m" })), {
          mapError: () => {
            calls++
            return ErrorReport.make("Mapped", "mapped")
          }
        })
        assert.strictEqual((yield* reportOf(handler, bytes("nope"))).errorType, "Runtime.MalformedEvent")
        assert.strictEqual((yield* reportOf(handler, jsonBytes({}))).errorType, "Runtime.EventDecodeError")
        assert.strictEqual(calls, 0)
      })
    )

    it.effect("the handler can read its InvocationContext", () =>
      Effect.gen(function* () {
        const handler = Handler.effect(() =>
          Effect.map(InvocationContext.InvocationContext, (ctx) => ({ id: ctx.requestId }))
        )
        assert.strictEqual(bodyText(yield* payloadOf(handler, jsonBytes({}))), '{"id":"req-1"}')
      })
    )
  })

  it("isHandler recognises handlers", () => {
    assert.isTrue(Handler.isHandler(echo))
    assert.strictEqual(echo._tag, "Buffered")
    assert.isFalse(Handler.isHandler({}))
    assert.isFalse(Handler.isHandler(null))
    assert.isFalse(Handler.isHandler(() => Effect.void))
  })
})
