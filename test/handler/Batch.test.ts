/**
 * Batch handlers on test layers: which records run, in what order and how many at once, what the partial batch
 * response names, what is logged, and what the deadline does (under TestClock).
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Data, Effect, Exit, Fiber, HashMap, Logger, Schema, TestClock } from "effect"
import * as DynamoDbEvent from "../../src/events/DynamoDbEvent.js"
import * as KinesisEvent from "../../src/events/KinesisEvent.js"
import * as Batch from "../../src/handler/Batch.js"
import * as Handler from "../../src/handler/Handler.js"
import * as InvocationContext from "../../src/services/InvocationContext.js"
import * as RuntimeConfig from "../../src/services/RuntimeConfig.js"
import * as SqsEvent from "../../src/events/SqsEvent.js"
import * as Events from "../support/BatchEvents.js"

class Rejected extends Data.TaggedError("Rejected")<{ readonly n: number }> {
  override get message() {
    return `record ${this.n} rejected`
  }
}

const Payload = Schema.Struct({
  n: Schema.Number,
  fail: Schema.optional(Schema.Boolean),
  die: Schema.optional(Schema.Boolean)
})
type Payload = typeof Payload.Type

/** A record's work: fails (typed) or dies when its payload says so. */
const work = (payload: Payload) =>
  payload.die
    ? Effect.dieMessage(`record ${payload.n} crashed`)
    : payload.fail
      ? Effect.fail(new Rejected({ n: payload.n }))
      : Effect.void

const bytes = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)))

/** Run a handler on an event with a deadline (TestClock time), collecting log lines. */
const invoke = <E>(handler: Handler.Handler<E, never>, event: unknown, deadlineMs = 60_000) =>
  Effect.gen(function* () {
    const lines: Array<{ level: string; message: string; annotations: Record<string, unknown> }> = []
    const logger = Logger.make(({ logLevel, message, annotations }) => {
      lines.push({
        level: logLevel.label,
        message: (Array.isArray(message) ? message : [message]).map(String).join(" "),
        annotations: Object.fromEntries(HashMap.toEntries(annotations))
      })
    })
    const exit = yield* Effect.exit(handler.run(bytes(event))).pipe(
      Effect.provideService(
        InvocationContext.InvocationContext,
        InvocationContext.make({ requestId: "req-1", deadlineMs })
      ),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger))
    )
    return { exit, lines }
  })

const replyOf = (exit: Exit.Exit<Handler.Payload | Handler.StreamReply, unknown>): string => {
  if (Exit.isFailure(exit)) return assert.fail(Cause.pretty(exit.cause))
  const payload = exit.value
  if (payload instanceof Handler.StreamReply) return assert.fail("a stream")
  return typeof payload.body === "string" ? payload.body : Buffer.from(payload.body).toString("utf8")
}

const failures = (ids: ReadonlyArray<string>) =>
  JSON.stringify({ batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier })) })

describe("Batch.sqs", () => {
  it.effect("standard queue: exactly the records that failed or died, in batch order", () =>
    Effect.gen(function* () {
      const seen: Array<number> = []
      const handler = Batch.sqs(Schema.parseJson(Payload), (record) =>
        Effect.zipRight(
          Effect.sync(() => seen.push(record.body.n)),
          work(record.body)
        )
      )
      const { exit, lines } = yield* invoke(handler, Events.sqs({ count: 10, fail: [3], die: [7] }))
      assert.strictEqual(replyOf(exit), failures([Events.messageId(3), Events.messageId(7)]))
      assert.deepStrictEqual(
        seen.sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
      )
      const errors = lines.filter((l) => l.level === "ERROR").map((l) => l.message)
      assert.strictEqual(errors.length, 2)
      assert.include(
        errors[0],
        `SQS message Records[2] (messageId ${Events.messageId(3)}) failed: Rejected: record 3 rejected`
      )
      assert.include(
        errors[1],
        `SQS message Records[6] (messageId ${Events.messageId(7)}) failed: RuntimeException: record 7 crashed`
      )
    })
  )

  it.effect("standard queue: at most `concurrency` records at once", () =>
    Effect.gen(function* () {
      let running = 0
      let peak = 0
      const handler = Batch.sqs(
        Schema.parseJson(Payload),
        () =>
          Effect.acquireUseRelease(
            Effect.sync(() => {
              running++
              peak = Math.max(peak, running)
            }),
            () => Effect.repeatN(Effect.yieldNow(), 5),
            () => Effect.sync(() => running--)
          ),
        { concurrency: 3 }
      )
      const { exit } = yield* invoke(handler, Events.sqs({ count: 10 }))
      assert.strictEqual(replyOf(exit), failures([]))
      assert.strictEqual(peak, 3)
    })
  )

  it.effect("a body that does not match the schema fails only its record, logged with its id and path", () =>
    Effect.gen(function* () {
      const event = Events.sqs({ count: 4 })
      event.Records[1]!.body = JSON.stringify({ n: "two" })
      event.Records[3]!.body = "not json"
      const handler = Batch.sqs(Schema.parseJson(Payload), (record) => work(record.body))
      const { exit, lines } = yield* invoke(handler, event)
      assert.strictEqual(replyOf(exit), failures([Events.messageId(2), Events.messageId(4)]))
      const errors = lines.filter((l) => l.level === "ERROR").map((l) => l.message)
      assert.include(
        errors.find((l) => l.includes("Records[1]")),
        `SQS message Records[1] (messageId ${Events.messageId(2)}) failed: Runtime.EventDecodeError: The record does not match the handler's schema: at .body.n: Expected number, actual "two"`
      )
      assert.match(errors.find((l) => l.includes("Records[3]")) ?? "", /at \.body: .*JSON/)
    })
  )

  it.effect("FIFO queue: stops at the first failure and reports it with every record after it", () =>
    Effect.gen(function* () {
      const seen: Array<number> = []
      const handler = Batch.sqs(Schema.parseJson(Payload), (record) =>
        Effect.zipRight(
          Effect.sync(() => seen.push(record.body.n)),
          work(record.body)
        )
      )
      const { exit } = yield* invoke(handler, Events.sqs({ count: 10, fifo: true, fail: [3, 7] }))
      assert.strictEqual(replyOf(exit), failures([3, 4, 5, 6, 7, 8, 9, 10].map(Events.messageId)))
      assert.deepStrictEqual(seen, [1, 2, 3])
    })
  )

  it.effect("all succeed: an empty failure list; an empty batch too", () =>
    Effect.gen(function* () {
      const handler = Batch.sqs(Schema.String, () => Effect.void)
      assert.strictEqual(replyOf((yield* invoke(handler, Events.sqs({ count: 3 }))).exit), failures([]))
      assert.strictEqual(replyOf((yield* invoke(handler, { Records: [] })).exit), failures([]))
    })
  )

  it.effect("not an SQS batch, or a message without id: the invocation fails with Runtime.EventDecodeError", () =>
    Effect.gen(function* () {
      const handler = Batch.sqs(Schema.String, () => Effect.void)
      const notBatch = yield* invoke(handler, { hello: "world" })
      assert.isTrue(Exit.isFailure(notBatch.exit))
      if (Exit.isFailure(notBatch.exit)) {
        const report = handler.report(notBatch.exit.cause)
        assert.strictEqual(report.errorType, "Runtime.EventDecodeError")
        assert.include(report.errorMessage, "at .Records: Expected an array")
      }
      const event = Events.sqs({ count: 3 })
      delete (event.Records[2] as { messageId?: string }).messageId
      const noId = yield* invoke(handler, event)
      if (Exit.isSuccess(noId.exit)) return assert.fail("expected a failure")
      const report = handler.report(noId.exit.cause)
      assert.strictEqual(report.errorType, "Runtime.EventDecodeError")
      assert.include(report.errorMessage, "at .Records[2]: the SQS message has no messageId")
    })
  )

  it.effect("deadline: running records are interrupted (finalizers run), every unfinished one is reported", () =>
    Effect.gen(function* () {
      const finalized: Array<number> = []
      const handler = Batch.sqs(
        Schema.parseJson(Payload),
        (record) =>
          Effect.sleep("300 millis").pipe(Effect.onInterrupt(() => Effect.sync(() => finalized.push(record.body.n)))),
        { concurrency: 2 }
      )
      // deadline 1000 ms: the runtime's margin (200) and the reserve (250) leave 550 ms for the batch
      const fiber = yield* Effect.fork(invoke(handler, Events.sqs({ count: 6 }), 1_000))
      yield* TestClock.adjust("549 millis")
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("1 millis")
      const { exit, lines } = yield* Fiber.join(fiber)
      assert.strictEqual(replyOf(exit), failures([3, 4, 5, 6].map(Events.messageId)))
      assert.deepStrictEqual(
        finalized.sort((a, b) => a - b),
        [3, 4]
      )
      assert.isTrue(lines.some((l) => l.level === "WARN" && l.message.includes("4 of 6 SQS messages unfinished")))
    })
  )

  it.effect("the runtime's configured deadline margin is honoured", () =>
    Effect.gen(function* () {
      const handler = Batch.sqs(Schema.String, () => Effect.never)
      const fiber = yield* Effect.fork(
        invoke(handler, Events.sqs({ count: 1 }), 1_000).pipe(
          Effect.provide(RuntimeConfig.layerWith({ deadlineMarginMs: 500 }))
        )
      )
      yield* TestClock.adjust("249 millis")
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("1 millis")
      const { exit } = yield* Fiber.join(fiber)
      assert.strictEqual(replyOf(exit), failures([Events.messageId(1)]))
    })
  )

  it.effect("deadlineReserve moves the stop earlier", () =>
    Effect.gen(function* () {
      const handler = Batch.sqs(Schema.String, () => Effect.never, { deadlineReserve: "500 millis" })
      const fiber = yield* Effect.fork(invoke(handler, Events.sqs({ count: 2 }), 1_000))
      yield* TestClock.adjust("300 millis")
      const { exit } = yield* Fiber.join(fiber)
      assert.strictEqual(replyOf(exit), failures([1, 2].map(Events.messageId)))
    })
  )
})

describe("Batch.kinesis", () => {
  it.effect("in order; stops at the first failure and reports only its sequence number", () =>
    Effect.gen(function* () {
      const seen: Array<number> = []
      const handler = Batch.kinesis(KinesisEvent.json(Payload), (record) =>
        Effect.zipRight(
          Effect.sync(() => seen.push(record.kinesis.data.n)),
          work(record.kinesis.data)
        )
      )
      const { exit, lines } = yield* invoke(handler, Events.kinesis({ count: 10, die: [3], fail: [5] }))
      assert.strictEqual(replyOf(exit), failures([Events.sequenceNumber(3)]))
      assert.deepStrictEqual(seen, [1, 2, 3])
      assert.isTrue(
        lines.some((l) =>
          l.message.includes(`Kinesis record Records[2] (sequenceNumber ${Events.sequenceNumber(3)}) failed`)
        )
      )
    })
  )

  it.effect("deadline: the record running and every one after it are reported", () =>
    Effect.gen(function* () {
      const handler = Batch.kinesis(KinesisEvent.json(Payload), () => Effect.sleep("200 millis"))
      const fiber = yield* Effect.fork(invoke(handler, Events.kinesis({ count: 5 }), 1_000))
      yield* TestClock.adjust("550 millis")
      const { exit } = yield* Fiber.join(fiber)
      assert.strictEqual(replyOf(exit), failures([3, 4, 5].map(Events.sequenceNumber)))
    })
  )
})

describe("Batch.dynamodb", () => {
  it.effect("images decoded with the user schema; stops at the first failure", () =>
    Effect.gen(function* () {
      const Item = Schema.Struct({ pk: Schema.String, n: Schema.Number, fail: Schema.Boolean })
      const seen: Array<string> = []
      const handler = Batch.dynamodb(DynamoDbEvent.image(Item), (record) => {
        const item = record.dynamodb.NewImage!
        seen.push(`${String(record.dynamodb.Keys.pk)}=${item.n}`)
        return item.fail ? Effect.fail(new Rejected({ n: item.n })) : Effect.void
      })
      const { exit } = yield* invoke(handler, Events.dynamodb({ count: 6, fail: [2, 4] }))
      assert.strictEqual(replyOf(exit), failures([Events.dynamoSequence(2)]))
      assert.deepStrictEqual(seen, ["item#1=1", "item#2=2"])
    })
  )
})

describe("event schemas through Handler.effect", () => {
  it.effect("a body that does not match: Runtime.EventDecodeError naming the record and the path", () =>
    Effect.gen(function* () {
      const handler = Handler.effect(SqsEvent.event(Schema.parseJson(Payload)), (event) =>
        Effect.succeed(event.Records.map((r) => r.body.n))
      )
      assert.strictEqual(replyOf((yield* invoke(handler, Events.sqs({ count: 3 }))).exit), "[1,2,3]")
      const event = Events.sqs({ count: 3 })
      event.Records[1]!.body = JSON.stringify({ n: "two" })
      const { exit } = yield* invoke(handler, event)
      if (Exit.isSuccess(exit)) return assert.fail("expected a failure")
      const report = handler.report(exit.cause)
      assert.strictEqual(report.errorType, "Runtime.EventDecodeError")
      assert.include(report.errorMessage, `at .Records[1].body.n: Expected number, actual "two"`)
    })
  )
})
