/**
 * End-to-end: the batch examples run as real `node` processes against the Runtime API server on 127.0.0.1;
 * a 10-record batch goes in and the exact reply bytes (Lambda's partial batch response) are checked.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as SampleEvents from "../../packages/dev/src/events/SampleEvents.js"
import * as RuntimeApiServer from "effect-lambda-dev/RuntimeApiServer"
import * as Events from "../support/BatchEvents.js"
import { spawnFunction } from "../support/FunctionProcess.js"

const server = RuntimeApiServer.make()

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8")

const order = (n: number, failing: ReadonlyArray<number>) =>
  JSON.stringify({ orderId: `o-${n}`, sku: failing.includes(n) ? "sold-out" : `sku-${n}`, quantity: n })

const sqsOrders = (failing: ReadonlyArray<number>, fifo = false) => {
  const event = Events.sqs({ count: 10, fifo })
  event.Records.forEach((record, i) => {
    record.body = order(i + 1, failing)
  })
  return event
}

const kinesisOrders = (failing: ReadonlyArray<number>) => {
  const event = Events.kinesis({ count: 10 })
  event.Records.forEach((record, i) => {
    record.kinesis.data = Buffer.from(order(i + 1, failing)).toString("base64")
  })
  return event
}

const expected = (ids: ReadonlyArray<string>) =>
  `{"batchItemFailures":[${ids.map((id) => `{"itemIdentifier":"${id}"}`).join(",")}]}`

const processed = (stdout: string) =>
  Array.from(stdout.matchAll(/processed order o-(\d+)/g), (m) => Number(m[1])).sort((a, b) => a - b)

describe("batch examples end to end", () => {
  it.scopedLive("sqs-batch: records 3 and 7 fail → exactly their message ids; the others are processed", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/sqs-batch.ts", api.address)
      const outcome = yield* api.invoke({ event: JSON.stringify(sqsOrders([3, 7])) })
      assert.strictEqual(outcome._tag, "Response")
      assert.strictEqual(text(outcome.body), expected([Events.messageId(3), Events.messageId(7)]))
      assert.strictEqual(outcome.headers["content-type"], "application/json")
      yield* fn.waitForOutput(`(messageId ${Events.messageId(7)}) failed: OutOfStock`)
      assert.deepStrictEqual(processed(fn.stdout()), [1, 2, 4, 5, 6, 8, 9, 10])
      assert.include(
        fn.stdout(),
        `SQS message Records[2] (messageId ${Events.messageId(3)}) failed: OutOfStock: order o-3: sold-out is sold out`
      )
      const again = yield* api.invoke({ event: JSON.stringify(sqsOrders([])) })
      assert.strictEqual(text(again.body), `{"batchItemFailures":[]}`)
      assert.isTrue(fn.isRunning())
    })
  )

  it.scopedLive("sqs-batch on a FIFO queue: record 3 fails → records 3–10 reported, only 1–2 processed", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/sqs-batch.ts", api.address)
      const outcome = yield* api.invoke({ event: JSON.stringify(sqsOrders([3, 7], true)) })
      assert.strictEqual(outcome._tag, "Response")
      assert.strictEqual(text(outcome.body), expected([3, 4, 5, 6, 7, 8, 9, 10].map(Events.messageId)))
      yield* fn.waitForOutput("reported for retry in order")
      assert.deepStrictEqual(processed(fn.stdout()), [1, 2])
    })
  )

  it.scopedLive("kinesis-batch: record 3 fails → records 1–3 run, record 3's sequence number reported", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/kinesis-batch.ts", api.address)
      const outcome = yield* api.invoke({ event: JSON.stringify(kinesisOrders([3, 7])) })
      assert.strictEqual(outcome._tag, "Response")
      assert.strictEqual(text(outcome.body), expected([Events.sequenceNumber(3)]))
      yield* fn.waitForOutput("failed: OutOfStock")
      assert.deepStrictEqual(processed(fn.stdout()), [1, 2])
      yield* fn.expectOutput(`Kinesis record Records[2] (sequenceNumber ${Events.sequenceNumber(3)}) failed`)
      assert.notInclude(fn.stdout(), "o-4")
    })
  )

  it.scopedLive("deadline: the batch stops before the runtime's deadline and reports the unfinished records", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("test/fixtures/functions/slow-batch.ts", api.address)
      const event = Events.sqs({ count: 10, fifo: true })
      event.Records.forEach((record, i) => {
        record.body = JSON.stringify({ n: i + 1, ms: 400 })
      })
      // deadline in 2000 ms: the batch stops at 2000 - 200 (runtime margin) - 250 (reserve) = 1550 ms,
      // after records 1-3 (400 ms each) and during record 4
      const outcome = yield* api.invoke({ event: JSON.stringify(event), timeoutMs: 2_000 })
      assert.strictEqual(outcome._tag, "Response")
      assert.strictEqual(text(outcome.body), expected([4, 5, 6, 7, 8, 9, 10].map(Events.messageId)))
      yield* fn.waitForOutput("interrupted 4")
      yield* fn.expectOutput("finished 3")
      assert.notInclude(fn.stdout(), "finished 4")
    })
  )

  it.scopedLive("a sample SQS event with a body, sent as is, is handled by sqs-batch", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/sqs-batch.ts", api.address)
      for (const [sku, reply] of [
        ["sku-1", expected([])],
        ["sold-out", expected(["059f36b4-87a3-44ab-83d2-661975830a7d"])]
      ] as const) {
        const body = JSON.stringify({ orderId: "o-1", sku, quantity: 1 })
        const event = Either.getOrThrow(SampleEvents.sample("sqs", { body }))
        const outcome = yield* api.invoke({ event: JSON.stringify(event) })
        assert.strictEqual(text(outcome.body), reply)
      }
      yield* fn.expectOutput("processed order o-1: 1 x sku-1")
    })
  )
})
