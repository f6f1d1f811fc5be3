/**
 * Every sample event decodes with the runtime's schema for its source, and `--body` lands where it should.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import * as Crypto from "node:crypto"
import * as DynamoDbEvent from "effect-lambda-runtime/DynamoDbEvent"
import * as EventBridgeEvent from "effect-lambda-runtime/EventBridgeEvent"
import * as KinesisEvent from "effect-lambda-runtime/KinesisEvent"
import * as S3Event from "effect-lambda-runtime/S3Event"
import * as ScheduledEvent from "effect-lambda-runtime/ScheduledEvent"
import * as SnsEvent from "effect-lambda-runtime/SnsEvent"
import * as SqsEvent from "effect-lambda-runtime/SqsEvent"
import * as SampleEvents from "../src/events/SampleEvents.js"

const schemas: { readonly [S in SampleEvents.Source]: Schema.Schema.AnyNoContext } = {
  sqs: SqsEvent.Event,
  "sqs-fifo": SqsEvent.Event,
  sns: SnsEvent.Event,
  s3: S3Event.Event,
  "s3-delete": S3Event.Event,
  eventbridge: EventBridgeEvent.Event,
  scheduled: ScheduledEvent.Event,
  kinesis: KinesisEvent.Event,
  dynamodb: DynamoDbEvent.Event
}

const sample = (source: string, body?: string): unknown =>
  Either.getOrThrow(SampleEvents.sample(source, body === undefined ? {} : { body }))

/** As the CLI prints it and `invoke` reads it back. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value))

describe("SampleEvents", () => {
  for (const source of SampleEvents.sources) {
    it(`${source}: decodes with its schema, unchanged`, () => {
      const event = wire(sample(source))
      assert.deepStrictEqual(Schema.decodeUnknownSync(schemas[source])(event), event)
      assert.isString(SampleEvents.descriptions[source])
    })
  }

  it("--body becomes the SQS body (with its MD5), the SNS message, the Kinesis data", () => {
    const sqs = Schema.decodeUnknownSync(SqsEvent.event(Schema.parseJson(Schema.Struct({ id: Schema.Number }))))(
      wire(sample("sqs", '{"id":1}'))
    )
    assert.deepStrictEqual(sqs.Records[0]!.body, { id: 1 })
    assert.strictEqual(sqs.Records[0]!.md5OfBody, Crypto.createHash("md5").update('{"id":1}').digest("hex"))
    const fifo = Schema.decodeUnknownSync(SqsEvent.Event)(wire(sample("sqs-fifo", "x")))
    assert.isTrue(SqsEvent.isFifo(fifo.Records[0]!))
    const sns = Schema.decodeUnknownSync(SnsEvent.Event)(wire(sample("sns", "hi")))
    assert.strictEqual(sns.Records[0]!.Sns.Message, "hi")
    const kinesis = Schema.decodeUnknownSync(
      KinesisEvent.event(KinesisEvent.json(Schema.Struct({ id: Schema.Number })))
    )(wire(sample("kinesis", '{"id":2}')))
    assert.deepStrictEqual(kinesis.Records[0]!.kinesis.data, { id: 2 })
  })

  it("--body becomes the EventBridge detail, the DynamoDB item (first field as key), the S3 key", () => {
    const Detail = Schema.Struct({ orderId: Schema.String })
    const bridge = Schema.decodeUnknownSync(EventBridgeEvent.event(Detail))(
      wire(sample("eventbridge", '{"orderId":"A"}'))
    )
    assert.strictEqual(bridge.detail.orderId, "A")
    const Item = Schema.Struct({ sku: Schema.String, stock: Schema.Number, tags: Schema.Array(Schema.String) })
    const dynamo = Schema.decodeUnknownSync(DynamoDbEvent.event(DynamoDbEvent.image(Item)))(
      wire(sample("dynamodb", '{"sku":"X-1","stock":3,"tags":["a"]}'))
    )
    assert.deepStrictEqual(dynamo.Records[0]!.dynamodb.NewImage, { sku: "X-1", stock: 3, tags: ["a"] })
    assert.deepStrictEqual(dynamo.Records[0]!.dynamodb.Keys, { sku: "X-1" })
    const s3 = Schema.decodeUnknownSync(S3Event.Event)(wire(sample("s3", "photos/my café.jpg")))
    assert.strictEqual(s3.Records[0]!.s3.object.key, "photos/my+caf%C3%A9.jpg")
    assert.strictEqual(S3Event.objectKey(s3.Records[0]!), "photos/my café.jpg")
  })

  it("bad input: unknown source, non-object JSON body where one is needed, a body for scheduled", () => {
    const failures: ReadonlyArray<readonly [string, string | undefined, string]> = [
      ["sqs2", undefined, 'unknown event source "sqs2"'],
      ["eventbridge", "[1]", "must be a JSON object"],
      ["dynamodb", "{nope", "must be JSON"],
      ["scheduled", "{}", "carry no body"]
    ]
    for (const [source, body, message] of failures) {
      const result = SampleEvents.sample(source, body === undefined ? {} : { body })
      assert.isTrue(Either.isLeft(result), source)
      if (Either.isLeft(result)) assert.include(result.left.message, message)
    }
  })
})
