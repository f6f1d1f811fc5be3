/**
 * `TestRuntimeApi.invoke` on streaming handlers (`Handler.stream`): the chunks as written, the content type, the
 * report decoded from the error trailers, and the `/error` report when nothing was streamed. Also the streaming
 * examples, in memory.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Chunk, Effect, Fiber, Schema, Stream } from "effect"
import { handler as streamExample } from "../../examples/stream.js"
import { handler as streamDefectExample } from "../../examples/stream-defect.js"
import { handler as streamFailExample, UpstreamClosed } from "../../examples/stream-fail.js"
import {
  ErrorReport,
  Handler,
  InvocationContext,
  ResponseSink,
  RuntimeApi,
  RuntimeConfig,
  RuntimeLoop,
  TestRuntimeApi
} from "../../src/index.js"

class UpstreamGone extends Schema.TaggedError<UpstreamGone>()("UpstreamGone", { source: Schema.String }) {
  override get message(): string {
    return `lost ${this.source}`
  }
}

const text = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, "utf8"))

const texts = (chunks: ReadonlyArray<Uint8Array>): ReadonlyArray<string> =>
  chunks.map((chunk) => Buffer.from(chunk).toString("utf8"))

/** The result as a `Stream` result, or a failed assertion. */
const asStream = (result: TestRuntimeApi.Result) => {
  assert.strictEqual(result._tag, "Stream", `expected a Stream result, got ${JSON.stringify(result)}`)
  if (result._tag !== "Stream") throw new Error("unreachable")
  return result
}

/** The result as an `Error` result, or a failed assertion. */
const asError = (result: TestRuntimeApi.Result) => {
  assert.strictEqual(result._tag, "Error", `expected an Error result, got ${JSON.stringify(result)}`)
  if (result._tag !== "Error") throw new Error("unreachable")
  return result
}

const isPattern = (body: Uint8Array): boolean => body.every((byte, i) => byte === i % 251)

describe("TestRuntimeApi.invoke with Handler.stream", () => {
  it.effect("the chunks as written (empty ones skipped), the joined body and the content type", () =>
    Effect.gen(function* () {
      const handler = Handler.stream(
        () => Stream.make(text("a"), text("bc"), new Uint8Array(0), text("déf")).pipe(Stream.rechunk(1)),
        { contentType: "text/plain; charset=utf-8" }
      )
      const result = asStream(yield* TestRuntimeApi.invoke(handler, {}))
      assert.strictEqual(result.contentType, "text/plain; charset=utf-8")
      assert.deepStrictEqual(texts(result.chunks), ["a", "bc", "déf"])
      assert.strictEqual(Buffer.from(result.body).toString("utf8"), "abcdéf")
      assert.isUndefined(result.error)
    })
  )

  it.effect("the default content type is application/octet-stream; the event reaches the stream", () =>
    Effect.gen(function* () {
      const handler = Handler.stream(Schema.Struct({ word: Schema.String, times: Schema.Number }), (event) =>
        Stream.range(1, event.times, 1).pipe(Stream.map(() => text(event.word)))
      )
      const result = asStream(yield* TestRuntimeApi.invoke(handler, { word: "ab", times: 3 }))
      assert.strictEqual(result.contentType, "application/octet-stream")
      assert.deepStrictEqual(texts(result.chunks), ["ab", "ab", "ab"])
      assert.isUndefined(result.error)
    })
  )

  it.effect("the stream sees the invocation's context", () =>
    Effect.gen(function* () {
      const handler = Handler.stream(() =>
        Stream.fromEffect(Effect.map(InvocationContext.InvocationContext, (context) => text(context.requestId)))
      )
      const result = asStream(yield* TestRuntimeApi.invoke(handler, {}))
      assert.match(Buffer.from(result.body).toString(), /^test-request-\d+$/)
    })
  )

  it.effect("an empty stream is a Stream result with an empty body and no error", () =>
    Effect.gen(function* () {
      const result = asStream(
        yield* TestRuntimeApi.invoke(
          Handler.stream(() => Stream.empty),
          {}
        )
      )
      assert.deepStrictEqual(result.chunks, [])
      assert.strictEqual(result.body.length, 0)
      assert.isUndefined(result.error)
    })
  )

  it.effect("a typed failure after bytes: the bytes, and the error decoded from the trailers", () =>
    Effect.gen(function* () {
      let finalized = false
      const handler = Handler.stream(() =>
        Stream.make(text("part 1;"), text("part 2;")).pipe(
          Stream.concat(Stream.fail(new UpstreamGone({ source: "database" }))),
          Stream.ensuring(
            Effect.sync(() => {
              finalized = true
            })
          )
        )
      )
      const result = asStream(yield* TestRuntimeApi.invoke(handler, {}))
      assert.deepStrictEqual(texts(result.chunks), ["part 1;", "part 2;"])
      assert.isDefined(result.error)
      assert.strictEqual(result.error?.errorType, "UpstreamGone")
      assert.strictEqual(result.error?.errorMessage, "lost database")
      assert.isTrue(finalized)
    })
  )

  it.effect("mapError decides the report carried by the trailers", () =>
    Effect.gen(function* () {
      const handler = Handler.stream(
        () => Stream.concat(Stream.make(text("x")), Stream.fail(new UpstreamGone({ source: "cache" }))),
        { mapError: (error) => ErrorReport.make("App.Upstream", `upstream ${error.source}`, ["custom"]) }
      )
      const result = asStream(yield* TestRuntimeApi.invoke(handler, {}))
      assert.deepStrictEqual(result.error, ErrorReport.make("App.Upstream", "upstream cache", ["custom"]))
    })
  )

  it.effect("a failure before the first byte is an Error result (the /error post), not a Stream", () =>
    Effect.gen(function* () {
      const handler = Handler.stream(() =>
        Stream.fromChunks(Chunk.of(new Uint8Array(0))).pipe(
          Stream.concat(Stream.fail(new UpstreamGone({ source: "queue" })))
        )
      )
      const result = asError(yield* TestRuntimeApi.invoke(handler, {}))
      assert.strictEqual(result.report.errorType, "UpstreamGone")
      assert.strictEqual(result.report.errorMessage, "lost queue")
    })
  )

  it.effect("a defect before the first byte is an Error result with the defect's name", () =>
    Effect.gen(function* () {
      const handler = Handler.stream(() => Stream.die(new TypeError("not a stream")))
      const result = asError(yield* TestRuntimeApi.invoke(handler, {}))
      assert.strictEqual(result.report.errorType, "TypeError")
      assert.strictEqual(result.report.errorMessage, "not a stream")
    })
  )

  it.effect("a throw while building the stream is an Error result with the thrown error", () =>
    Effect.gen(function* () {
      const handler = Handler.stream((): Stream.Stream<Uint8Array> => {
        throw new SyntaxError("bad template")
      })
      const result = asError(yield* TestRuntimeApi.invoke(handler, {}))
      assert.strictEqual(result.report.errorType, "SyntaxError")
      assert.strictEqual(result.report.errorMessage, "bad template")
    })
  )

  it.effect("a stream finalizer that dies after bytes: the bytes, then the defect in the trailers", () =>
    Effect.gen(function* () {
      const handler = Handler.stream(() =>
        Stream.make(text("sent")).pipe(Stream.ensuring(Effect.die(new RangeError("cleanup failed"))))
      )
      const exit = yield* Effect.exit(TestRuntimeApi.invoke(handler, {}))
      assert.isTrue(
        exit._tag === "Success",
        `invoke must give one reply: ${exit._tag === "Failure" ? Cause.pretty(exit.cause) : ""}`
      )
      if (exit._tag !== "Success") return
      const result = asStream(exit.value)
      assert.strictEqual(Buffer.from(result.body).toString(), "sent")
      assert.strictEqual(result.error?.errorType, "RangeError")
      assert.strictEqual(result.error?.errorMessage, "cleanup failed")
    })
  )

  it.effect("an event that fails the schema: Runtime.EventDecodeError, the stream is never built", () =>
    Effect.gen(function* () {
      let built = 0
      const handler = Handler.stream(Schema.Struct({ id: Schema.String }), () => {
        built++
        return Stream.make(text("never"))
      })
      const result = asError(yield* TestRuntimeApi.invoke(handler, { id: 42 }))
      assert.strictEqual(result.report.errorType, "Runtime.EventDecodeError")
      assert.include(result.report.errorMessage, ".id")
      assert.strictEqual(built, 0)
    })
  )

  it.effect("an event that is not JSON: Runtime.MalformedEvent", () =>
    Effect.gen(function* () {
      const handler = Handler.stream(() => Stream.make(text("never")))
      const result = asError(yield* TestRuntimeApi.invoke(handler, text("{not json")))
      assert.strictEqual(result.report.errorType, "Runtime.MalformedEvent")
    })
  )

  it.effect("the streamed-size setting: cut at the limit, Function.ResponseSizeTooLarge in the trailers", () =>
    Effect.gen(function* () {
      const handler = Handler.stream(() => Stream.range(1, 10, 1).pipe(Stream.map(() => new Uint8Array(30))))
      const result = asStream(yield* TestRuntimeApi.invoke(handler, {}, { settings: { maxStreamedBytes: 100 } }))
      assert.strictEqual(result.body.length, 90)
      assert.strictEqual(result.error?.errorType, "Function.ResponseSizeTooLarge")
    })
  )
})

describe("TestRuntimeApi with streams at the deadline and through the layer", () => {
  // The deadline is real time (the invocation's Lambda-Runtime-Deadline-Ms), hence it.live.
  it.live("a stream stopped at its deadline after bytes: the bytes, then Runtime.DeadlineExceeded trailers", () =>
    Effect.gen(function* () {
      let finalized = false
      const handler = Handler.stream(() =>
        Stream.concat(Stream.make(text("first")), Stream.never).pipe(
          Stream.ensuring(
            Effect.sync(() => {
              finalized = true
            })
          )
        )
      )
      const result = asStream(
        yield* TestRuntimeApi.invoke(
          handler,
          {},
          { deadlineMs: Date.now() + 300, settings: { deadlineMarginMs: 100 } }
        ).pipe(
          Effect.timeoutFail({
            duration: "20 seconds",
            onTimeout: () => new Error("the deadline did not stop the stream")
          })
        )
      )
      assert.strictEqual(Buffer.from(result.body).toString(), "first")
      assert.strictEqual(result.error?.errorType, "Runtime.DeadlineExceeded")
      assert.isTrue(finalized)
    })
  )

  it.live("a stream stopped at its deadline before its first byte: an Error result Runtime.DeadlineExceeded", () =>
    Effect.gen(function* () {
      const handler = Handler.stream(() => Stream.never)
      const result = asError(
        yield* TestRuntimeApi.invoke(
          handler,
          {},
          { deadlineMs: Date.now() + 300, settings: { deadlineMarginMs: 100 } }
        ).pipe(
          Effect.timeoutFail({
            duration: "20 seconds",
            onTimeout: () => new Error("the deadline did not stop the stream")
          })
        )
      )
      assert.strictEqual(result.report.errorType, "Runtime.DeadlineExceeded")
    })
  )

  it.effect("TestRuntimeApi.layer records a Stream reply with its trailers, and an Error for K = 0", () =>
    Effect.gen(function* () {
      const api = yield* RuntimeApi.RuntimeApi
      const test = yield* TestRuntimeApi.TestRuntimeApi
      const loop = RuntimeLoop.make(api, ResponseSink.make(api), RuntimeConfig.defaults)
      const fiber = yield* Effect.fork(loop.run(streamFailExample))
      const streamed = yield* test.awaitReply("streamed")
      const failed = yield* test.awaitReply("failed")
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(streamed._tag, "Stream")
      if (streamed._tag === "Stream") {
        assert.strictEqual(streamed.contentType, "application/octet-stream")
        assert.strictEqual(Buffer.concat(streamed.chunks).length, 10)
        assert.isDefined(streamed.trailers)
        if (streamed.trailers !== undefined) {
          assert.strictEqual(streamed.trailers["Lambda-Runtime-Function-Error-Type"], "UpstreamClosed")
          assert.strictEqual(TestRuntimeApi.decodeTrailers(streamed.trailers).errorType, "UpstreamClosed")
        }
      }
      assert.isTrue(failed._tag === "Error" && failed.report.errorType === "UpstreamClosed")
    }).pipe(
      Effect.provide(
        TestRuntimeApi.layer([
          TestRuntimeApi.invocation({ bytes: 10, failAfter: 10 }, { requestId: "streamed" }),
          TestRuntimeApi.invocation({ bytes: 10, failAfter: 0 }, { requestId: "failed" })
        ])
      )
    )
  )
})

describe("streaming examples, in memory", () => {
  it.effect("stream: byte i = i % 251, in chunks of the requested size", () =>
    Effect.gen(function* () {
      const result = asStream(yield* TestRuntimeApi.invoke(streamExample, { bytes: 1000, chunk: 64 }))
      assert.strictEqual(result.contentType, "application/octet-stream")
      assert.deepStrictEqual(
        result.chunks.map((chunk) => chunk.length),
        [...Array.from({ length: 15 }, () => 64), 40]
      )
      assert.strictEqual(result.body.length, 1000)
      assert.isTrue(isPattern(result.body))
      assert.isUndefined(result.error)
    })
  )

  it.effect("stream: 300,000 bytes in 64 KiB chunks", () =>
    Effect.gen(function* () {
      const result = asStream(yield* TestRuntimeApi.invoke(streamExample, { bytes: 300_000, chunk: 65_536 }))
      assert.deepStrictEqual(
        result.chunks.map((chunk) => chunk.length),
        [65_536, 65_536, 65_536, 65_536, 300_000 - 4 * 65_536]
      )
      assert.isTrue(isPattern(result.body))
    })
  )

  it.effect("stream: 0 bytes is an empty streamed reply; a bad event is Runtime.EventDecodeError", () =>
    Effect.gen(function* () {
      const empty = asStream(yield* TestRuntimeApi.invoke(streamExample, { bytes: 0, chunk: 10 }))
      assert.strictEqual(empty.body.length, 0)
      assert.isUndefined(empty.error)
      const bad = asError(yield* TestRuntimeApi.invoke(streamExample, { bytes: 10, chunk: 0 }))
      assert.strictEqual(bad.report.errorType, "Runtime.EventDecodeError")
    })
  )

  it.effect("stream-fail, K > 0: exactly K bytes, then the error UpstreamClosed", () =>
    Effect.gen(function* () {
      for (const failAfter of [1, 500, 70_000]) {
        const result = asStream(yield* TestRuntimeApi.invoke(streamFailExample, { bytes: 100_000, failAfter }))
        assert.strictEqual(result.body.length, failAfter)
        assert.isTrue(isPattern(result.body))
        assert.strictEqual(result.error?.errorType, "UpstreamClosed")
        assert.strictEqual(result.error?.errorMessage, new UpstreamClosed({ after: failAfter }).message)
      }
    })
  )

  it.effect("stream-fail, K = 0: an Error result UpstreamClosed (nothing was streamed)", () =>
    Effect.gen(function* () {
      const result = asError(yield* TestRuntimeApi.invoke(streamFailExample, { bytes: 100, failAfter: 0 }))
      assert.strictEqual(result.report.errorType, "UpstreamClosed")
      assert.strictEqual(result.report.errorMessage, "the upstream closed after 0 bytes")
    })
  )

  it.effect("stream-defect: 1000 bytes, then RangeError in the trailers", () =>
    Effect.gen(function* () {
      const result = asStream(yield* TestRuntimeApi.invoke(streamDefectExample, {}))
      assert.strictEqual(result.body.length, 1000)
      assert.isTrue(result.body.every((byte) => byte === 7))
      assert.strictEqual(result.error?.errorType, "RangeError")
      assert.strictEqual(result.error?.errorMessage, "index out of range while streaming")
      assert.isAbove(result.error?.stackTrace.length ?? 0, 0)
    })
  )
})
