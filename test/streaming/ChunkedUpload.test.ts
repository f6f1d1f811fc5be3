/**
 * Unit tests of `ChunkedUpload.run` against a fake `StreamWriter`: a simulated socket buffer of `capacity`
 * bytes that the test "reads" to free space, and that the test can break. No sleeps, no timing: the test
 * waits on the fake's own signals (a queue offered each time `drained` blocks, deferreds).
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Chunk, Deferred, Effect, Exit, Fiber, FiberId, Option, Queue, Stream } from "effect"
import * as RuntimeApi from "../../src/services/RuntimeApi.js"
import * as ChunkedUpload from "../../src/streaming/ChunkedUpload.js"
import * as ErrorReport from "../../src/streaming/ErrorReport.js"

const KiB64 = 64 * 1024

interface Fake {
  /** The `open` effect to give to `run`: records "open", counts opens. */
  readonly open: Effect.Effect<RuntimeApi.StreamWriter, RuntimeApi.RuntimeApiError>
  /** Everything that happened, in order: open, write n, wait, end, end+trailers, abort, finalizer, … */
  readonly log: Array<string>
  /** The chunks given to `write`, as written. */
  readonly chunks: Array<Uint8Array>
  /** The trailers of each `end` call (`undefined`: ended cleanly). */
  readonly ends: Array<RuntimeApi.ErrorTrailers | undefined>
  /** Offered the buffered byte count each time `drained` has to wait. */
  readonly blocked: Queue.Queue<number>
  /** Offered each chunk's length right after `write`. */
  readonly writes: Queue.Queue<number>
  /** The simulated peer reads `n` bytes: frees capacity and wakes a waiting `drained`. */
  readonly read: (n: number) => Effect.Effect<void>
  /** The connection breaks: a waiting (or the next) `drained` fails with `error`. */
  readonly breakConnection: (error: RuntimeApi.RuntimeApiError) => Effect.Effect<void>
  readonly buffered: () => number
  readonly opens: () => number
  readonly written: () => number
  /** Options for `run` that record every cause given to `report`. */
  readonly options: (
    maxBytes?: number,
    report?: (cause: Cause.Cause<unknown>) => ErrorReport.ErrorReport
  ) => {
    readonly maxBytes: number
    readonly report: (cause: Cause.Cause<unknown>) => ErrorReport.ErrorReport
  }
  readonly causes: Array<Cause.Cause<unknown>>
  /** An effect that logs "finalizer" (for `Stream.ensuring`). */
  readonly finalizer: Effect.Effect<void>
}

const makeFake = (
  capacity: number,
  behaviour: { readonly openError?: RuntimeApi.RuntimeApiError; readonly endError?: RuntimeApi.RuntimeApiError } = {}
) =>
  Effect.gen(function* () {
    const blocked = yield* Queue.unbounded<number>()
    const writes = yield* Queue.unbounded<number>()
    const log: Array<string> = []
    const chunks: Array<Uint8Array> = []
    const ends: Array<RuntimeApi.ErrorTrailers | undefined> = []
    const causes: Array<Cause.Cause<unknown>> = []
    let buffered = 0
    let written = 0
    let opens = 0
    let broken: RuntimeApi.RuntimeApiError | undefined
    let waiter: Deferred.Deferred<void, RuntimeApi.RuntimeApiError> | undefined

    const wake = () => {
      const current = waiter
      if (current === undefined) return
      if (broken !== undefined) {
        waiter = undefined
        Deferred.unsafeDone(current, Exit.fail(broken))
      } else if (buffered < capacity) {
        waiter = undefined
        Deferred.unsafeDone(current, Exit.void)
      }
    }

    const writer: RuntimeApi.StreamWriter = {
      write: (chunk) => {
        log.push(`write ${chunk.length}`)
        chunks.push(chunk)
        buffered += chunk.length
        written += chunk.length
        Queue.unsafeOffer(writes, chunk.length)
        return buffered < capacity && broken === undefined
      },
      drained: Effect.suspend(() => {
        if (broken !== undefined) return Effect.fail(broken)
        if (buffered < capacity) return Effect.void
        log.push("wait")
        const deferred = Deferred.unsafeMake<void, RuntimeApi.RuntimeApiError>(FiberId.none)
        waiter = deferred
        Queue.unsafeOffer(blocked, buffered)
        return Deferred.await(deferred)
      }),
      end: (trailers) =>
        Effect.suspend(() => {
          log.push(trailers === undefined ? "end" : "end+trailers")
          ends.push(trailers)
          return behaviour.endError === undefined ? Effect.void : Effect.fail(behaviour.endError)
        }),
      abort: Effect.sync(() => {
        log.push("abort")
      })
    }

    const fake: Fake = {
      open: Effect.suspend(() => {
        opens++
        log.push("open")
        return behaviour.openError === undefined ? Effect.succeed(writer) : Effect.fail(behaviour.openError)
      }),
      log,
      chunks,
      ends,
      blocked,
      writes,
      read: (n) =>
        Effect.sync(() => {
          buffered = Math.max(0, buffered - n)
          wake()
        }),
      breakConnection: (error) =>
        Effect.sync(() => {
          broken = error
          wake()
        }),
      buffered: () => buffered,
      opens: () => opens,
      written: () => written,
      causes,
      options: (maxBytes = ChunkedUpload.DefaultMaxBytes, report = ErrorReport.fromCause) => ({
        maxBytes,
        report: (cause) => {
          causes.push(cause)
          return report(cause)
        }
      }),
      finalizer: Effect.sync(() => {
        log.push("finalizer")
      })
    }
    return fake
  })

const bytesOf = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "utf8"))

const transportError = new RuntimeApi.RuntimeApiError({
  reason: "Transport",
  endpoint: "/runtime/invocation/response",
  detail: "socket hang up"
})

class Boom extends Error {
  readonly _tag = "Boom"
}

/** Give every other fiber plenty of chances to run (no clock involved). */
const letOthersRun = Effect.repeatN(Effect.yieldNow(), 200)

/** Decode the trailer body: base64 (standard, padded) of the JSON report. */
const decodeBody = (trailers: RuntimeApi.ErrorTrailers): unknown => {
  const body = trailers["Lambda-Runtime-Function-Error-Body"]
  assert.match(body, /^[A-Za-z0-9+/]*={0,2}$/)
  assert.strictEqual(body.length % 4, 0)
  return JSON.parse(Buffer.from(body, "base64").toString("utf8"))
}

const indexOf = (log: ReadonlyArray<string>, entry: string): number => {
  const index = log.indexOf(entry)
  assert.isAtLeast(index, 0, `${entry} in ${JSON.stringify(log)}`)
  return index
}

describe("ChunkedUpload.run", () => {
  describe("backpressure", () => {
    it.effect("one-element chunks: pulls stop while the socket is full and resume one by one as it is read", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(3 * KiB64)
        const total = 12
        let pulls = 0
        const stream = Stream.repeatEffectChunkOption(
          Effect.suspend(() => {
            if (pulls >= total) return Effect.fail(Option.none())
            pulls++
            return Effect.succeed(Chunk.of(new Uint8Array(KiB64).fill(pulls)))
          })
        ).pipe(Stream.ensuring(fake.finalizer))
        const fiber = yield* Effect.fork(ChunkedUpload.run(stream, fake.open, fake.options()))

        assert.strictEqual(yield* Queue.take(fake.blocked), 3 * KiB64)
        assert.strictEqual(fake.chunks.length, 3)
        assert.isAtMost(pulls - fake.chunks.length, 1)
        const pullsWhenBlocked = pulls
        yield* letOthersRun
        assert.strictEqual(pulls, pullsWhenBlocked, "no pull while the writer waits")
        assert.strictEqual(fake.chunks.length, 3)
        assert.isNull(fiber.unsafePoll())

        for (let i = 4; i <= total; i++) {
          yield* fake.read(KiB64)
          assert.strictEqual(yield* Queue.take(fake.blocked), 3 * KiB64)
          assert.strictEqual(fake.chunks.length, i)
          assert.isAtMost(pulls - fake.chunks.length, 1)
          const pullsNow = pulls
          yield* letOthersRun
          assert.strictEqual(pulls, pullsNow)
        }
        yield* fake.read(3 * KiB64)
        const outcome = yield* Fiber.join(fiber)
        assert.deepStrictEqual(outcome, { _tag: "Completed", bytes: total * KiB64 })
        assert.strictEqual(pulls, total)
        assert.deepStrictEqual(
          fake.chunks.map((chunk) => chunk[0]),
          Array.from({ length: total }, (_, i) => i + 1)
        )
        assert.isBelow(indexOf(fake.log, "finalizer"), indexOf(fake.log, "end"))
      })
    )

    it.effect("Stream.range(…, 1) mapped to 64 KiB: never more than one chunk ahead of the socket", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(2 * KiB64)
        let pulls = 0
        const stream = Stream.range(1, 1_000_000, 1).pipe(
          Stream.map((n) => {
            pulls = n
            return new Uint8Array(KiB64)
          })
        )
        const fiber = yield* Effect.fork(ChunkedUpload.run(stream, fake.open, fake.options()))
        yield* Queue.take(fake.blocked)
        for (let i = 0; i < 8; i++) {
          assert.isAtMost(pulls - fake.chunks.length, 1)
          const before = pulls
          yield* letOthersRun
          assert.strictEqual(pulls, before)
          yield* fake.read(KiB64)
          yield* Queue.take(fake.blocked)
        }
        assert.strictEqual(fake.chunks.length, 10)
        assert.isAtMost(pulls, 11)
        assert.isNull(fiber.unsafePoll())
        yield* fake.breakConnection(transportError)
        const outcome = yield* Fiber.join(fiber)
        assert.strictEqual(outcome._tag, "Broken")
      })
    )

    it.effect("a multi-element chunk is written element by element, waiting after each full write", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(2 * KiB64)
        let pulls = 0
        const stream = Stream.repeatEffectChunkOption(
          Effect.suspend(() => {
            if (pulls >= 2) return Effect.fail(Option.none())
            pulls++
            return Effect.succeed(Chunk.fromIterable(Array.from({ length: 4 }, () => new Uint8Array(KiB64))))
          })
        )
        const fiber = yield* Effect.fork(ChunkedUpload.run(stream, fake.open, fake.options()))
        yield* Queue.take(fake.blocked)
        assert.strictEqual(fake.chunks.length, 2)
        assert.strictEqual(pulls, 1)
        yield* fake.read(KiB64)
        yield* Queue.take(fake.blocked)
        assert.strictEqual(fake.chunks.length, 3)
        assert.strictEqual(pulls, 1)
        yield* fake.read(KiB64)
        yield* Queue.take(fake.blocked)
        assert.strictEqual(fake.chunks.length, 4)
        assert.strictEqual(pulls, 1, "the next chunk is pulled only after the whole chunk was taken")
        yield* fake.read(KiB64)
        yield* Queue.take(fake.blocked)
        assert.strictEqual(fake.chunks.length, 5)
        assert.strictEqual(pulls, 2)
        yield* fake.read(8 * KiB64)
        yield* Queue.take(fake.blocked)
        yield* fake.read(8 * KiB64)
        const outcome = yield* Fiber.join(fiber)
        assert.deepStrictEqual(outcome, { _tag: "Completed", bytes: 8 * KiB64 })
      })
    )
  })

  describe("opening the reply", () => {
    it.effect("opens only at the first non-empty chunk; empty chunks are never written", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024 * 1024)
        const atGate = yield* Deferred.make<void>()
        const gate = yield* Deferred.make<void>()
        const stream = Stream.fromChunks(Chunk.empty<Uint8Array>(), Chunk.of(new Uint8Array(0))).pipe(
          Stream.concat(
            Stream.fromEffect(
              Effect.zipRight(Deferred.succeed(atGate, undefined), Effect.as(Deferred.await(gate), bytesOf("abc")))
            )
          ),
          Stream.concat(Stream.fromChunks(Chunk.make(new Uint8Array(0), bytesOf("de"), new Uint8Array(0)))),
          Stream.concat(Stream.fromChunks(Chunk.of(new Uint8Array(0))))
        )
        const fiber = yield* Effect.fork(ChunkedUpload.run(stream, fake.open, fake.options()))
        yield* Deferred.await(atGate)
        yield* letOthersRun
        assert.strictEqual(fake.opens(), 0)
        assert.deepStrictEqual(fake.log, [])
        yield* Deferred.succeed(gate, undefined)
        const outcome = yield* Fiber.join(fiber)
        assert.deepStrictEqual(outcome, { _tag: "Completed", bytes: 5 })
        assert.deepStrictEqual(fake.log, ["open", "write 3", "write 2", "end"])
        assert.strictEqual(fake.opens(), 1)
        assert.deepStrictEqual(
          fake.chunks.map((chunk) => Buffer.from(chunk).toString()),
          ["abc", "de"]
        )
        assert.deepStrictEqual(fake.ends, [undefined])
      })
    )

    it.effect("an empty stream: opened and ended without trailers, empty body, Completed", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024)
        const outcome = yield* ChunkedUpload.run(
          Stream.empty.pipe(Stream.ensuring(fake.finalizer)),
          fake.open,
          fake.options()
        )
        assert.deepStrictEqual(outcome, { _tag: "Completed", bytes: 0 })
        assert.deepStrictEqual(fake.log, ["finalizer", "open", "end"])
        assert.deepStrictEqual(fake.ends, [undefined])
        assert.strictEqual(fake.chunks.length, 0)
        assert.strictEqual(fake.causes.length, 0)
      })
    )

    it.effect("a stream of empty chunks only is an empty body too", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024)
        const stream = Stream.fromChunks(Chunk.of(new Uint8Array(0)), Chunk.make(new Uint8Array(0), new Uint8Array(0)))
        const outcome = yield* ChunkedUpload.run(stream, fake.open, fake.options())
        assert.deepStrictEqual(outcome, { _tag: "Completed", bytes: 0 })
        assert.deepStrictEqual(fake.log, ["open", "end"])
        assert.strictEqual(fake.chunks.length, 0)
      })
    )
  })

  describe("failure before the first byte", () => {
    const custom = ErrorReport.make("Custom.Report", "from options.report", ["line 1"])

    it.effect("a failing stream: NotStarted with the report from options.report; nothing opened", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024)
        const error = new Boom("no data")
        const stream = Stream.fail(error).pipe(Stream.ensuring(fake.finalizer))
        const outcome = yield* ChunkedUpload.run(
          stream,
          fake.open,
          fake.options(undefined, () => custom)
        )
        assert.strictEqual(outcome._tag, "NotStarted")
        if (outcome._tag !== "NotStarted") return
        assert.strictEqual(outcome.report, custom)
        assert.deepStrictEqual(Cause.failureOption(outcome.cause), Option.some(error))
        assert.strictEqual(fake.causes.length, 1)
        assert.deepStrictEqual(Cause.failureOption(fake.causes[0]!), Option.some(error))
        assert.strictEqual(fake.opens(), 0)
        assert.deepStrictEqual(fake.log, ["finalizer"])
      })
    )

    it.effect("empty chunks, then a failure: still NotStarted", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024)
        const error = new Boom("late")
        const stream = Stream.fromChunks(Chunk.of(new Uint8Array(0)), Chunk.empty<Uint8Array>()).pipe(
          Stream.concat(Stream.fail(error))
        )
        const outcome = yield* ChunkedUpload.run(stream, fake.open, fake.options())
        assert.strictEqual(outcome._tag, "NotStarted")
        if (outcome._tag !== "NotStarted") return
        assert.deepStrictEqual(outcome.report, ErrorReport.fromCause(Cause.fail(error)))
        assert.strictEqual(outcome.report.errorType, "Boom")
        assert.strictEqual(fake.opens(), 0)
        assert.deepStrictEqual(fake.log, [])
      })
    )

    it.effect("a defect before the first byte: NotStarted with the defect's report", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024)
        const outcome = yield* ChunkedUpload.run(Stream.die(new TypeError("bad state")), fake.open, fake.options())
        assert.strictEqual(outcome._tag, "NotStarted")
        if (outcome._tag !== "NotStarted") return
        assert.strictEqual(outcome.report.errorType, "TypeError")
        assert.strictEqual(outcome.report.errorMessage, "bad state")
        assert.isTrue(Cause.isDie(outcome.cause))
        assert.strictEqual(fake.opens(), 0)
      })
    )
  })

  describe("failure after the first byte", () => {
    it.effect("Failed; the trailers are exactly errorTrailers(report): header-safe type, base64 JSON body", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024 * 1024)
        const report = ErrorReport.make("Bad\r\nTypé", "it broke: ünïcødé", ["at a", "at b"])
        const error = new Boom("upstream")
        const stream = Stream.make(bytesOf("hello "), bytesOf("world")).pipe(
          Stream.concat(Stream.fail(error)),
          Stream.ensuring(fake.finalizer)
        )
        const outcome = yield* ChunkedUpload.run(
          stream,
          fake.open,
          fake.options(undefined, () => report)
        )
        assert.strictEqual(outcome._tag, "Failed")
        if (outcome._tag !== "Failed") return
        assert.strictEqual(outcome.bytes, 11)
        assert.strictEqual(outcome.report, report)
        assert.deepStrictEqual(Cause.failureOption(outcome.cause), Option.some(error))
        assert.deepStrictEqual(fake.log, ["open", "write 6", "write 5", "finalizer", "end+trailers"])
        const trailers = fake.ends[0]!
        assert.deepStrictEqual(trailers, ChunkedUpload.errorTrailers(report))
        assert.deepStrictEqual(Object.keys(trailers).sort(), [
          "Lambda-Runtime-Function-Error-Body",
          "Lambda-Runtime-Function-Error-Type"
        ])
        assert.strictEqual(trailers["Lambda-Runtime-Function-Error-Type"], "Bad%0D%0ATyp%C3%A9")
        assert.match(trailers["Lambda-Runtime-Function-Error-Type"], /^[\x20-\x7e]+$/)
        assert.deepStrictEqual(decodeBody(trailers), {
          errorType: "Bad\r\nTypé",
          errorMessage: "it broke: ünïcødé",
          stackTrace: ["at a", "at b"]
        })
      })
    )

    it.effect("the default report of a typed failure: its _tag and message", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024)
        const stream = Stream.concat(Stream.make(bytesOf("x")), Stream.fail(new Boom("gone")))
        const outcome = yield* ChunkedUpload.run(stream, fake.open, fake.options())
        assert.strictEqual(outcome._tag, "Failed")
        const body = decodeBody(fake.ends[0]!) as ErrorReport.ErrorReport
        assert.strictEqual(fake.ends[0]!["Lambda-Runtime-Function-Error-Type"], "Boom")
        assert.strictEqual(body.errorType, "Boom")
        assert.strictEqual(body.errorMessage, "gone")
      })
    )

    it.effect("Stream.die after bytes: Failed with the defect's report", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024)
        const stream = Stream.concat(Stream.make(bytesOf("abc")), Stream.die(new RangeError("out of range"))).pipe(
          Stream.ensuring(fake.finalizer)
        )
        const outcome = yield* ChunkedUpload.run(stream, fake.open, fake.options())
        assert.strictEqual(outcome._tag, "Failed")
        if (outcome._tag !== "Failed") return
        assert.strictEqual(outcome.bytes, 3)
        assert.isTrue(Cause.isDie(outcome.cause))
        assert.strictEqual(outcome.report.errorType, "RangeError")
        assert.strictEqual(outcome.report.errorMessage, "out of range")
        assert.deepStrictEqual(fake.ends, [ChunkedUpload.errorTrailers(outcome.report)])
        assert.strictEqual(fake.ends[0]!["Lambda-Runtime-Function-Error-Type"], "RangeError")
        assert.isBelow(indexOf(fake.log, "finalizer"), indexOf(fake.log, "end+trailers"))
      })
    )

    it.effect("a throw inside Stream.map after bytes: Failed with the thrown error's report", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024)
        const stream = Stream.concat(
          Stream.make(bytesOf("ok")),
          Stream.make(1).pipe(
            Stream.map((): Uint8Array => {
              throw new TypeError("cannot encode")
            })
          )
        )
        const outcome = yield* ChunkedUpload.run(stream, fake.open, fake.options())
        assert.strictEqual(outcome._tag, "Failed")
        if (outcome._tag !== "Failed") return
        assert.strictEqual(outcome.bytes, 2)
        assert.isTrue(Cause.isDie(outcome.cause))
        assert.strictEqual(outcome.report.errorType, "TypeError")
        assert.strictEqual(outcome.report.errorMessage, "cannot encode")
        const body = decodeBody(fake.ends[0]!) as ErrorReport.ErrorReport
        assert.strictEqual(body.errorType, "TypeError")
        assert.isAbove(body.stackTrace.length, 0)
      })
    )
  })

  describe("finalizer defects", () => {
    it.effect(
      "a finalizer that dies after bytes: Failed, the reply ends with the defect's trailers (not aborted)",
      () =>
        Effect.gen(function* () {
          const fake = yield* makeFake(1024)
          const stream = Stream.make(bytesOf("abc")).pipe(
            Stream.ensuring(Effect.die(new RangeError("the finalizer broke")))
          )
          const exit = yield* Effect.exit(ChunkedUpload.run(stream, fake.open, fake.options()))
          assert.isTrue(
            Exit.isSuccess(exit),
            `run must not die: ${String(Exit.isFailure(exit) && Cause.pretty(exit.cause))}`
          )
          if (Exit.isFailure(exit)) return
          const outcome = exit.value
          assert.strictEqual(outcome._tag, "Failed")
          if (outcome._tag !== "Failed") return
          assert.strictEqual(outcome.report.errorType, "RangeError")
          assert.deepStrictEqual(fake.log, ["open", "write 3", "end+trailers"])
          assert.strictEqual(fake.ends[0]!["Lambda-Runtime-Function-Error-Type"], "RangeError")
        })
    )

    it.effect("a typed failure plus a dying finalizer after bytes: the reply still ends with trailers", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024)
        const stream = Stream.concat(Stream.make(bytesOf("abc")), Stream.fail(new Boom("upstream"))).pipe(
          Stream.ensuring(Effect.die(new RangeError("the finalizer broke")))
        )
        const exit = yield* Effect.exit(ChunkedUpload.run(stream, fake.open, fake.options()))
        assert.isTrue(
          Exit.isSuccess(exit),
          `run must not die: ${String(Exit.isFailure(exit) && Cause.pretty(exit.cause))}`
        )
        assert.strictEqual(fake.ends.length, 1, `the reply is ended with trailers: ${JSON.stringify(fake.log)}`)
        assert.isDefined(fake.ends[0])
        assert.isFalse(fake.log.includes("abort"))
      })
    )
  })

  describe("size limit", () => {
    it.effect("maxBytes 100, chunks of 30: exactly 90 bytes, then Function.ResponseSizeTooLarge trailers", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024 * 1024)
        let produced = 0
        const stream = Stream.range(1, 10, 1).pipe(
          Stream.map(() => {
            produced++
            return new Uint8Array(30).fill(produced)
          }),
          Stream.ensuring(fake.finalizer)
        )
        const outcome = yield* ChunkedUpload.run(stream, fake.open, fake.options(100))
        assert.strictEqual(outcome._tag, "Failed")
        if (outcome._tag !== "Failed") return
        assert.strictEqual(outcome.bytes, 90)
        assert.strictEqual(fake.written(), 90)
        assert.strictEqual(fake.chunks.length, 3)
        assert.strictEqual(outcome.report.errorType, ChunkedUpload.ResponseSizeTooLargeType)
        assert.strictEqual(ChunkedUpload.ResponseSizeTooLargeType, "Function.ResponseSizeTooLarge")
        assert.isAtMost(produced, 4, "the stream was stopped, not drained")
        assert.deepStrictEqual(fake.ends, [ChunkedUpload.errorTrailers(outcome.report)])
        assert.strictEqual(fake.ends[0]!["Lambda-Runtime-Function-Error-Type"], "Function.ResponseSizeTooLarge")
        const body = decodeBody(fake.ends[0]!) as ErrorReport.ErrorReport
        assert.strictEqual(body.errorType, "Function.ResponseSizeTooLarge")
        assert.include(body.errorMessage, "100")
        assert.deepStrictEqual(fake.log.slice(-2), ["finalizer", "end+trailers"])
      })
    )

    it.effect("a body of exactly maxBytes is complete", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024 * 1024)
        const stream = Stream.range(1, 3, 1).pipe(Stream.map(() => new Uint8Array(30)))
        const outcome = yield* ChunkedUpload.run(stream, fake.open, fake.options(90))
        assert.deepStrictEqual(outcome, { _tag: "Completed", bytes: 90 })
        assert.deepStrictEqual(fake.ends, [undefined])
      })
    )

    it.effect("a first chunk already over the limit: NotStarted with Function.ResponseSizeTooLarge", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024 * 1024)
        const stream = Stream.make(new Uint8Array(101)).pipe(Stream.ensuring(fake.finalizer))
        const outcome = yield* ChunkedUpload.run(stream, fake.open, fake.options(100))
        assert.strictEqual(outcome._tag, "NotStarted")
        if (outcome._tag !== "NotStarted") return
        assert.strictEqual(outcome.report.errorType, "Function.ResponseSizeTooLarge")
        assert.strictEqual(fake.opens(), 0)
        assert.deepStrictEqual(fake.log, ["finalizer"])
      })
    )
  })

  describe("broken connection", () => {
    it.effect("drained fails: Broken, the stream's finalizer ran, the writer aborted, never ended", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(KiB64)
        const stream = Stream.repeatEffectChunk(Effect.sync(() => Chunk.of(new Uint8Array(KiB64)))).pipe(
          Stream.ensuring(fake.finalizer)
        )
        const fiber = yield* Effect.fork(ChunkedUpload.run(stream, fake.open, fake.options()))
        yield* Queue.take(fake.blocked)
        yield* fake.read(KiB64)
        yield* Queue.take(fake.blocked)
        yield* fake.breakConnection(transportError)
        const outcome = yield* Fiber.join(fiber)
        assert.deepStrictEqual(outcome, { _tag: "Broken", bytes: 2 * KiB64, error: transportError })
        assert.deepStrictEqual(fake.log.slice(-3), ["wait", "finalizer", "abort"])
        assert.strictEqual(fake.ends.length, 0)
        assert.isFalse(fake.log.includes("end"))
        assert.strictEqual(fake.causes.length, 0)
      })
    )
  })

  describe("interruption", () => {
    it.effect("interrupted while waiting for a pull: the finalizer runs, then the reply ends with trailers", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024 * 1024)
        const stream = Stream.concat(Stream.make(bytesOf("first")), Stream.never).pipe(Stream.ensuring(fake.finalizer))
        const fiber = yield* Effect.fork(ChunkedUpload.run(stream, fake.open, fake.options()))
        assert.strictEqual(yield* Queue.take(fake.writes), 5)
        yield* letOthersRun
        yield* Fiber.interrupt(fiber)
        assert.strictEqual(fake.causes.length, 1)
        assert.isTrue(Cause.isInterruptedOnly(fake.causes[0]!))
        assert.deepStrictEqual(fake.log, ["open", "write 5", "finalizer", "end+trailers"])
        assert.deepStrictEqual(fake.ends, [ChunkedUpload.errorTrailers(ErrorReport.fromCause(fake.causes[0]!))])
        assert.strictEqual(fake.ends[0]!["Lambda-Runtime-Function-Error-Type"], ErrorReport.InterruptedType)
      })
    )

    it.effect("interrupted while waiting for the socket to drain: the reply ends with trailers", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(4)
        const stream = Stream.make(bytesOf("12345"), bytesOf("more")).pipe(Stream.ensuring(fake.finalizer))
        const fiber = yield* Effect.fork(ChunkedUpload.run(stream, fake.open, fake.options()))
        yield* Queue.take(fake.blocked)
        yield* Fiber.interrupt(fiber)
        assert.strictEqual(fake.causes.length, 1)
        assert.isTrue(Cause.isInterruptedOnly(fake.causes[0]!))
        assert.deepStrictEqual(fake.log, ["open", "write 5", "wait", "finalizer", "end+trailers"])
        assert.strictEqual(fake.ends[0]!["Lambda-Runtime-Function-Error-Type"], ErrorReport.InterruptedType)
      })
    )

    it.effect("interrupted before the first byte: nothing is opened, the finalizer runs", () =>
      Effect.gen(function* () {
        const fake = yield* makeFake(1024)
        const started = yield* Deferred.make<void>()
        const stream = Stream.fromEffect(Effect.zipRight(Deferred.succeed(started, undefined), Effect.never)).pipe(
          Stream.ensuring(fake.finalizer)
        )
        const fiber = yield* Effect.fork(ChunkedUpload.run(stream, fake.open, fake.options()))
        yield* Deferred.await(started)
        yield* Fiber.interrupt(fiber)
        assert.strictEqual(fake.opens(), 0)
        assert.deepStrictEqual(fake.log, ["finalizer"])
      })
    )
  })

  describe("ordering and API errors", () => {
    it.effect("the stream's finalizers run before end, for every way a reply can end", () =>
      Effect.gen(function* () {
        const cases: ReadonlyArray<readonly [string, Stream.Stream<Uint8Array, Boom>, number, string]> = [
          ["completed", Stream.make(bytesOf("a"), bytesOf("b")), 100, "end"],
          ["failed", Stream.concat(Stream.make(bytesOf("a")), Stream.fail(new Boom("x"))), 100, "end+trailers"],
          ["defect", Stream.concat(Stream.make(bytesOf("a")), Stream.die("oops")), 100, "end+trailers"],
          ["size limit", Stream.make(bytesOf("aaaa"), bytesOf("bbbb")), 6, "end+trailers"],
          ["empty", Stream.empty, 100, "end"]
        ]
        for (const [name, body, maxBytes, ending] of cases) {
          const fake = yield* makeFake(1024)
          const stream = body.pipe(
            Stream.ensuring(Effect.sync(() => fake.log.push("inner finalizer"))),
            Stream.ensuring(Effect.sync(() => fake.log.push("outer finalizer")))
          )
          yield* ChunkedUpload.run(stream, fake.open, fake.options(maxBytes))
          assert.deepStrictEqual(
            fake.log.filter((entry) => entry.includes("finalizer") || entry.startsWith("end") || entry === "abort"),
            ["inner finalizer", "outer finalizer", ending],
            name
          )
        }
      })
    )

    it.effect("open fails: run fails with that RuntimeApiError; the stream's finalizer ran", () =>
      Effect.gen(function* () {
        const refused = new RuntimeApi.RuntimeApiError({
          reason: "Transport",
          endpoint: "/response",
          detail: "refused"
        })
        const fake = yield* makeFake(1024, { openError: refused })
        const stream = Stream.make(bytesOf("a")).pipe(Stream.ensuring(fake.finalizer))
        const exit = yield* Effect.exit(ChunkedUpload.run(stream, fake.open, fake.options()))
        assert.deepStrictEqual(exit, Exit.fail(refused))
        assert.deepStrictEqual(fake.log, ["open", "finalizer"])
      })
    )

    it.effect("end fails (the API answered 4xx): outcome Broken with that RuntimeApiError", () =>
      Effect.gen(function* () {
        const rejected = new RuntimeApi.RuntimeApiError({ reason: "StatusCode", endpoint: "/response", status: 400 })
        const fake = yield* makeFake(1024, { endError: rejected })
        const stream = Stream.make(bytesOf("a")).pipe(Stream.ensuring(fake.finalizer))
        const exit = yield* Effect.exit(ChunkedUpload.run(stream, fake.open, fake.options()))
        assert.deepStrictEqual(exit, Exit.succeed({ _tag: "Broken", bytes: 1, error: rejected }))
        assert.deepStrictEqual(fake.log.slice(0, 5), ["open", "write 1", "finalizer", "end"])
        assert.deepStrictEqual(fake.ends, [undefined])
      })
    )
  })
})
