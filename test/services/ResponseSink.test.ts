import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Layer, Logger } from "effect"
import * as ResponseSink from "../../src/services/ResponseSink.js"
import * as RuntimeApi from "../../src/services/RuntimeApi.js"
import * as RuntimeConfig from "../../src/services/RuntimeConfig.js"
import * as ErrorReport from "../../src/streaming/ErrorReport.js"

type Call =
  | { readonly _tag: "reply"; readonly requestId: string; readonly body: Uint8Array; readonly contentType: string }
  | { readonly _tag: "reportError"; readonly requestId: string; readonly report: ErrorReport.ErrorReport }

/**
 * An in-memory Runtime API that records every call. `reply` / `reportError` fail with a `StatusCode`
 * error of the given status (or with `replyError` as given) when one is set.
 */
const fakeApi = (
  options: {
    readonly replyStatus?: number
    readonly errorStatus?: number
    readonly replyError?: RuntimeApi.RuntimeApiError
  } = {}
) => {
  const calls: Array<Call> = []
  const statusError = (endpoint: string, status: number) =>
    new RuntimeApi.RuntimeApiError({ reason: "StatusCode", endpoint, status, detail: `status ${status}` })
  const api: RuntimeApi.Service = {
    next: Effect.never,
    reply: (invocation, body, contentType) =>
      Effect.suspend(() => {
        calls.push({
          _tag: "reply",
          requestId: invocation.requestId,
          body: typeof body === "string" ? Buffer.from(body, "utf8") : body,
          contentType
        })
        if (options.replyError !== undefined) return Effect.fail(options.replyError)
        return options.replyStatus === undefined
          ? Effect.void
          : Effect.fail(statusError(RuntimeApi.Paths.response(invocation.requestId), options.replyStatus))
      }),
    reportError: (invocation, report) =>
      Effect.suspend(() => {
        calls.push({ _tag: "reportError", requestId: invocation.requestId, report })
        return options.errorStatus === undefined
          ? Effect.void
          : Effect.fail(statusError(RuntimeApi.Paths.error(invocation.requestId), options.errorStatus))
      }),
    openStream: () => Effect.dieMessage("not streamed in this test"),
    reportInitError: () => Effect.void
  }
  return { api, calls, sink: ResponseSink.make(api) }
}

const captureLogs = () => {
  const lines: Array<{ readonly level: string; readonly message: string }> = []
  const logger = Logger.make(({ logLevel, message }) => {
    lines.push({ level: logLevel.label, message: (Array.isArray(message) ? message : [message]).map(String).join(" ") })
  })
  return { lines, layer: Logger.add(logger) }
}

const invocation: RuntimeApi.Invocation = {
  requestId: "req-1",
  headers: { "lambda-runtime-aws-request-id": "req-1" },
  body: new Uint8Array(0)
}

/** The platform's limit: 6 MiB + 100 bytes. */
const Limit = 6_291_556

describe("ResponseSink", () => {
  it("the limit is the platform's: 6 MiB + 100 bytes (6,291,556)", () => {
    assert.strictEqual(ResponseSink.MaxBufferedBytes, Limit)
    assert.strictEqual(ResponseSink.ResponseSizeTooLargeType, "Function.ResponseSizeTooLarge")
  })

  describe("reply", () => {
    it.effect("posts the body as UTF-8 bytes with its content type", () =>
      Effect.gen(function* () {
        const { calls, sink } = fakeApi()
        yield* sink.reply(invocation, '{"s":"é"}', "application/json")
        assert.strictEqual(calls.length, 1)
        const call = calls[0]!
        assert.strictEqual(call._tag, "reply")
        if (call._tag === "reply") {
          assert.strictEqual(call.requestId, "req-1")
          assert.strictEqual(call.contentType, "application/json")
          assert.deepStrictEqual(Array.from(call.body), Array.from(Buffer.from('{"s":"é"}', "utf8")))
        }
      })
    )

    it.effect("posts bytes as given", () =>
      Effect.gen(function* () {
        const { calls, sink } = fakeApi()
        const body = new Uint8Array([0, 0xff, 7])
        yield* sink.reply(invocation, body, "application/octet-stream")
        assert.strictEqual(calls.length, 1)
        const call = calls[0]!
        assert.isTrue(call._tag === "reply" && call.body === body && call.contentType === "application/octet-stream")
      })
    )

    it.effect("posts a body of exactly 6 MiB + 100 bytes (the platform accepts it)", () =>
      Effect.gen(function* () {
        const { calls, sink } = fakeApi()
        yield* sink.reply(invocation, new Uint8Array(Limit), "application/octet-stream")
        assert.strictEqual(calls.length, 1)
        const call = calls[0]!
        assert.strictEqual(call._tag, "reply")
        if (call._tag === "reply") assert.strictEqual(call.body.length, Limit)
      })
    )

    it.effect("does not post a body over 6 MiB + 100 and reports Function.ResponseSizeTooLarge instead", () => {
      const logs = captureLogs()
      return Effect.gen(function* () {
        const { calls, sink } = fakeApi()
        yield* sink.reply(invocation, new Uint8Array(Limit + 1), "application/octet-stream")
        assert.strictEqual(calls.length, 1)
        const call = calls[0]!
        assert.strictEqual(call._tag, "reportError")
        if (call._tag === "reportError") {
          assert.strictEqual(call.requestId, "req-1")
          assert.strictEqual(call.report.errorType, "Function.ResponseSizeTooLarge")
          assert.include(call.report.errorMessage, String(Limit + 1))
          assert.include(call.report.errorMessage, String(Limit))
        }
        assert.isTrue(logs.lines.some((line) => line.level === "ERROR" && line.message.includes("req-1")))
      }).pipe(Effect.provide(logs.layer))
    })

    it.effect("counts UTF-8 bytes, not characters, of a string body", () =>
      Effect.gen(function* () {
        const atLimit = fakeApi()
        // "é" is two bytes in UTF-8: 3 Mi + 50 characters are exactly the limit.
        yield* atLimit.sink.reply(invocation, "é".repeat(Limit / 2), "text/plain")
        assert.deepStrictEqual(
          atLimit.calls.map((c) => c._tag),
          ["reply"]
        )
        const overLimit = fakeApi()
        yield* overLimit.sink.reply(invocation, "é".repeat(Limit / 2) + "a", "text/plain")
        assert.deepStrictEqual(
          overLimit.calls.map((c) => c._tag),
          ["reportError"]
        )
      })
    )

    it.effect(
      "413: logged as refused by the Runtime API, nothing else posted (the caller already has the error)",
      () => {
        const logs = captureLogs()
        return Effect.gen(function* () {
          const { calls, sink } = fakeApi({ replyStatus: 413 })
          yield* sink.reply(invocation, "x".repeat(3 * 1024 * 1024), "text/plain")
          assert.deepStrictEqual(
            calls.map((c) => c._tag),
            ["reply"]
          )
          const line = logs.lines.find((l) => l.level === "ERROR" && l.message.includes("413"))
          assert.isDefined(line)
          assert.include(line!.message, "req-1")
          assert.include(line!.message, "refused the reply of 3145728 bytes")
          assert.notInclude(line!.message, "exceeded")
        }).pipe(Effect.provide(logs.layer))
      }
    )

    for (const status of [400, 403, 410]) {
      it.effect(`${status} is logged, does not fail, and posts nothing else`, () => {
        const logs = captureLogs()
        return Effect.gen(function* () {
          const { calls, sink } = fakeApi({ replyStatus: status })
          const result = yield* Effect.either(sink.reply(invocation, "{}", "application/json"))
          assert.isTrue(Either.isRight(result))
          assert.deepStrictEqual(
            calls.map((c) => c._tag),
            ["reply"]
          )
          assert.isTrue(
            logs.lines.some(
              (line) => line.level === "WARN" && line.message.includes("req-1") && line.message.includes(String(status))
            )
          )
        }).pipe(Effect.provide(logs.layer))
      })
    }

    for (const status of [500, 503]) {
      it.effect(`${status} fails with the RuntimeApiError`, () =>
        Effect.gen(function* () {
          const { calls, sink } = fakeApi({ replyStatus: status })
          const result = yield* Effect.either(sink.reply(invocation, "{}", "application/json"))
          assert.isTrue(Either.isLeft(result))
          if (Either.isLeft(result)) {
            assert.instanceOf(result.left, RuntimeApi.RuntimeApiError)
            assert.strictEqual(result.left.reason, "StatusCode")
            assert.strictEqual(result.left.status, status)
          }
          assert.deepStrictEqual(
            calls.map((c) => c._tag),
            ["reply"]
          )
        })
      )
    }

    it.effect("a transport failure is logged and does not fail", () =>
      Effect.gen(function* () {
        const replyError = new RuntimeApi.RuntimeApiError({ reason: "Transport", endpoint: "/response" })
        const { calls, sink } = fakeApi({ replyError })
        const result = yield* Effect.either(sink.reply(invocation, "{}", "application/json"))
        assert.isTrue(Either.isRight(result))
        assert.strictEqual(calls.length, 1)
      })
    )
  })

  describe("reportError", () => {
    const report = ErrorReport.make("BadInput", "nope", ["at x"])

    it.effect("posts the report", () =>
      Effect.gen(function* () {
        const { calls, sink } = fakeApi()
        yield* sink.reportError(invocation, report)
        assert.deepStrictEqual(calls, [{ _tag: "reportError", requestId: "req-1", report }])
      })
    )

    for (const status of [400, 403, 410]) {
      it.effect(`${status} is logged and does not fail`, () => {
        const logs = captureLogs()
        return Effect.gen(function* () {
          const { calls, sink } = fakeApi({ errorStatus: status })
          const result = yield* Effect.either(sink.reportError(invocation, report))
          assert.isTrue(Either.isRight(result))
          assert.strictEqual(calls.length, 1)
          assert.isTrue(logs.lines.some((line) => line.level === "WARN" && line.message.includes(String(status))))
        }).pipe(Effect.provide(logs.layer))
      })
    }

    it.effect("500 fails with the RuntimeApiError", () =>
      Effect.gen(function* () {
        const { sink } = fakeApi({ errorStatus: 500 })
        const result = yield* Effect.either(sink.reportError(invocation, report))
        assert.isTrue(Either.isLeft(result) && result.left.status === 500)
      })
    )

    it.effect("a size error whose report gets a 500 fails", () =>
      Effect.gen(function* () {
        const { calls, sink } = fakeApi({ errorStatus: 500 })
        const result = yield* Effect.either(sink.reply(invocation, new Uint8Array(Limit + 1), "x/y"))
        assert.isTrue(Either.isLeft(result) && result.left.status === 500)
        assert.deepStrictEqual(
          calls.map((c) => c._tag),
          ["reportError"]
        )
      })
    )
  })

  it.effect("layer builds the sink from the RuntimeApi service", () => {
    const { api, calls } = fakeApi()
    return Effect.gen(function* () {
      const sink = yield* ResponseSink.ResponseSink
      yield* sink.reply(invocation, "1", "application/json")
      assert.strictEqual(calls.length, 1)
    }).pipe(
      Effect.provide(
        ResponseSink.layer.pipe(
          Layer.provide(Layer.succeed(RuntimeApi.RuntimeApi, api)),
          Layer.provide(RuntimeConfig.layerWith({}))
        )
      )
    )
  })
})
