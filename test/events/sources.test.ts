/**
 * Every source's schema against AWS's documented example events (test/fixtures/events/sources), the payload
 * combinators, and mutated fixtures that must fail naming the record and the path.
 */
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import * as DynamoDbEvent from "../../src/events/DynamoDbEvent.js"
import * as EventBridgeEvent from "../../src/events/EventBridgeEvent.js"
import * as KinesisEvent from "../../src/events/KinesisEvent.js"
import * as S3Event from "../../src/events/S3Event.js"
import * as ScheduledEvent from "../../src/events/ScheduledEvent.js"
import * as SnsEvent from "../../src/events/SnsEvent.js"
import * as SqsEvent from "../../src/events/SqsEvent.js"
import { decode, fixture, issues } from "./support.js"

describe("AWS example events decode unchanged", () => {
  const cases: ReadonlyArray<readonly [string, Schema.Schema.AnyNoContext]> = [
    ["sqs", SqsEvent.Event],
    ["sqs-fifo", SqsEvent.Event],
    ["sns", SnsEvent.Event],
    ["s3-put", S3Event.Event],
    ["s3-delete", S3Event.Event],
    ["s3-restore", S3Event.Event],
    ["eventbridge", EventBridgeEvent.Event],
    ["scheduled", ScheduledEvent.Event],
    ["scheduled", EventBridgeEvent.Event],
    ["kinesis", KinesisEvent.Event],
    ["kinesis-window", KinesisEvent.Event],
    ["dynamodb", DynamoDbEvent.Event],
    ["dynamodb-ttl", DynamoDbEvent.Event]
  ]
  for (const [name, schema] of cases) {
    it(`${name}: decodes to the same JSON, and encodes back to it`, () => {
      const input = fixture(name)
      const decoded = decode(schema, input)
      assert.deepStrictEqual(decoded, input)
      assert.deepStrictEqual(Schema.encodeSync(schema)(decoded), input)
    })
  }

  it("fields the schema does not name are kept", () => {
    const input = fixture("sqs")
    input.Records[0].futureField = { added: "later" }
    input.Records[0].attributes.SomeNewAttribute = "x"
    const decoded = decode(SqsEvent.Event, input) as unknown as {
      Records: Array<{ futureField: unknown; attributes: { SomeNewAttribute: unknown } }>
    }
    assert.deepStrictEqual(decoded.Records[0]!.futureField, { added: "later" })
    assert.strictEqual(decoded.Records[0]!.attributes.SomeNewAttribute, "x")
  })

  it("null md5OfMessageAttributes and SNS Subject decode as absent", () => {
    const sqs = fixture("sqs")
    sqs.Records[1].md5OfMessageAttributes = null
    assert.isFalse("md5OfMessageAttributes" in decode(SqsEvent.Event, sqs).Records[1]!)
    const sns = fixture("sns")
    sns.Records[0].Sns.Subject = null
    assert.isFalse("Subject" in decode(SnsEvent.Event, sns).Records[0]!.Sns)
  })

  it("FIFO queues are recognized by their ARN", () => {
    assert.isTrue(SqsEvent.isFifo(decode(SqsEvent.Event, fixture("sqs-fifo")).Records[0]!))
    assert.isFalse(SqsEvent.isFifo(decode(SqsEvent.Event, fixture("sqs")).Records[0]!))
    assert.strictEqual(decode(SqsEvent.Event, fixture("sqs-fifo")).Records[0]!.attributes.MessageGroupId, "1")
  })

  it("S3 keys are URL-decoded by objectKey; scheduled events name their rule", () => {
    const put = decode(S3Event.Event, fixture("s3-put"))
    assert.strictEqual(S3Event.objectKey(put.Records[0]!), "test/key")
    const spaced = fixture("s3-put")
    spaced.Records[0].s3.object.key = "my+photos/caf%C3%A9+1.jpg"
    assert.strictEqual(S3Event.objectKey(decode(S3Event.Event, spaced).Records[0]!), "my photos/café 1.jpg")
    assert.strictEqual(ScheduledEvent.ruleName(decode(ScheduledEvent.Event, fixture("scheduled"))), "my-schedule")
  })
})

describe("payload combinators", () => {
  const Order = Schema.Struct({ id: Schema.Number, sku: Schema.String })

  it("SQS: JSON bodies decoded with a user schema", () => {
    const input = fixture("sqs")
    input.Records[0].body = JSON.stringify({ id: 1, sku: "A-1" })
    input.Records[1].body = JSON.stringify({ id: 2, sku: "B-2" })
    const event = decode(SqsEvent.event(Schema.parseJson(Order)), input)
    assert.deepStrictEqual(
      event.Records.map((r) => r.body),
      [
        { id: 1, sku: "A-1" },
        { id: 2, sku: "B-2" }
      ]
    )
    assert.strictEqual(event.Records[1]!.messageId, "2e1424d4-f796-459a-8184-9c92662be6da")
  })

  it("SNS: JSON messages decoded with a user schema", () => {
    const input = fixture("sns")
    input.Records[0].Sns.Message = JSON.stringify({ id: 7, sku: "C" })
    const event = decode(SnsEvent.event(Schema.parseJson(Order)), input)
    assert.deepStrictEqual(event.Records[0]!.Sns.Message, { id: 7, sku: "C" })
    assert.strictEqual(event.Records[0]!.Sns.Subject, "TestInvoke")
  })

  it("EventBridge: detail decoded with a user schema, detail-type pinned", () => {
    const Detail = Schema.Struct({ "instance-id": Schema.String, state: Schema.Literal("running", "terminated") })
    const schema = EventBridgeEvent.event(Detail, "EC2 Instance State-change Notification")
    const event = decode(schema, fixture("eventbridge"))
    assert.strictEqual(event.detail.state, "terminated")
    assert.strictEqual(event["detail-type"], "EC2 Instance State-change Notification")
    const other = fixture("eventbridge")
    other["detail-type"] = "Something Else"
    assert.deepStrictEqual(issues(schema, other), [
      `.detail-type: Expected "EC2 Instance State-change Notification", actual "Something Else"`
    ])
  })

  it("Kinesis: data as bytes, as text, and as JSON of a user schema", () => {
    const bytes = decode(KinesisEvent.event(KinesisEvent.Bytes), fixture("kinesis"))
    assert.deepStrictEqual(Buffer.from(bytes.Records[0]!.kinesis.data).toString("utf8"), "Hello, this is a test.")
    const text = decode(KinesisEvent.event(KinesisEvent.Text), fixture("kinesis"))
    assert.deepStrictEqual(
      text.Records.map((r) => r.kinesis.data),
      ["Hello, this is a test.", "This is only a test."]
    )
    const input = fixture("kinesis")
    input.Records[1].kinesis.data = Buffer.from(JSON.stringify({ id: 3, sku: "ü-3" })).toString("base64")
    input.Records[0].kinesis.data = Buffer.from(JSON.stringify({ id: 4, sku: "x" })).toString("base64")
    const json = decode(KinesisEvent.event(KinesisEvent.json(Order)), input)
    assert.deepStrictEqual(json.Records[1]!.kinesis.data, { id: 3, sku: "ü-3" })
    assert.deepStrictEqual(Schema.encodeSync(KinesisEvent.event(KinesisEvent.json(Order)))(json), input)
  })

  it("DynamoDB: images unmarshalled into a user schema, keys into plain values", () => {
    const Message = Schema.Struct({ Id: Schema.Number, Message: Schema.String })
    const event = decode(DynamoDbEvent.event(DynamoDbEvent.image(Message)), fixture("dynamodb"))
    assert.deepStrictEqual(event.Records[0]!.dynamodb.NewImage, { Id: 101, Message: "New item!" })
    assert.isUndefined(event.Records[0]!.dynamodb.OldImage)
    assert.deepStrictEqual(event.Records[1]!.dynamodb.OldImage, { Id: 101, Message: "New item!" })
    assert.deepStrictEqual(event.Records[2]!.dynamodb.Keys, { Id: 101 })
    assert.strictEqual(event.Records[2]!.eventName, "REMOVE")
  })

  it("DynamoDB: numbers, big integers, sets, binary, null, nested lists and maps", () => {
    const Session = Schema.Struct({
      pk: Schema.String,
      expires: Schema.Number,
      scopes: Schema.ReadonlySetFromSelf(Schema.String),
      weights: Schema.ReadonlySetFromSelf(Schema.Union(Schema.Number, Schema.BigIntFromSelf)),
      blobs: Schema.ReadonlySetFromSelf(Schema.Uint8ArrayFromSelf),
      avatar: Schema.Uint8ArrayFromSelf,
      active: Schema.Boolean,
      note: Schema.Null,
      history: Schema.Array(Schema.Unknown),
      profile: Schema.Struct({ name: Schema.String, tags: Schema.Array(Schema.String) })
    })
    const event = decode(DynamoDbEvent.event(DynamoDbEvent.image(Session)), fixture("dynamodb-ttl"))
    const item = event.Records[0]!.dynamodb.OldImage!
    assert.strictEqual(item.expires, 1704999999)
    assert.deepStrictEqual([...item.scopes], ["read", "write"])
    assert.deepStrictEqual([...item.weights], [1, 2.5, 12345678901234567890n])
    assert.deepStrictEqual(
      [...item.blobs].map((b) => [...b]),
      [[0, 1, 2], [255]]
    )
    assert.strictEqual(Buffer.from(item.avatar).toString("utf8"), "hello")
    assert.isFalse(item.active)
    assert.isNull(item.note)
    assert.deepStrictEqual(item.history, ["created", -3.25, { by: "admin" }])
    assert.deepStrictEqual(item.profile, { name: "Ada", tags: [] })
    assert.deepStrictEqual(event.Records[0]!.userIdentity, { type: "Service", principalId: "dynamodb.amazonaws.com" })
  })
})

describe("mutated fixtures fail naming the record and the path", () => {
  it("SQS: a missing messageId, a numeric body", () => {
    const input = fixture("sqs")
    delete input.Records[1].messageId
    input.Records[0].body = 42
    assert.deepStrictEqual(issues(SqsEvent.Event, input), [
      ".Records[0].body: Expected string, actual 42",
      ".Records[1].messageId: is missing"
    ])
  })

  it("SQS: a JSON body that does not match the user schema", () => {
    const input = fixture("sqs")
    input.Records[0].body = JSON.stringify({ id: 1 })
    input.Records[1].body = JSON.stringify({ id: "two" })
    assert.deepStrictEqual(issues(SqsEvent.event(Schema.parseJson(Schema.Struct({ id: Schema.Number }))), input), [
      `.Records[1].body.id: Expected number, actual "two"`
    ])
    input.Records[1].body = "{not json"
    const [issue] = issues(SqsEvent.event(Schema.parseJson(Schema.Struct({ id: Schema.Number }))), input)
    assert.match(issue!, /^\.Records\[1\]\.body: .*JSON/)
  })

  it("SNS: a wrong attribute", () => {
    const input = fixture("sns")
    input.Records[0].Sns.MessageAttributes.Test.Value = 3
    assert.deepStrictEqual(issues(SnsEvent.Event, input), [
      ".Records[0].Sns.MessageAttributes.Test.Value: Expected string, actual 3"
    ])
  })

  it("S3: a size that is a string", () => {
    const input = fixture("s3-put")
    input.Records[0].s3.object.size = "1024"
    assert.deepStrictEqual(issues(S3Event.Event, input), [`.Records[0].s3.object.size: Expected number, actual "1024"`])
  })

  it("Scheduled: another detail-type", () => {
    const input = fixture("scheduled")
    input["detail-type"] = "Object Created"
    assert.deepStrictEqual(issues(ScheduledEvent.Event, input), [
      `.detail-type: Expected "Scheduled Event", actual "Object Created"`
    ])
  })

  it("Kinesis: data that is not base64, JSON data that does not match", () => {
    const input = fixture("kinesis")
    input.Records[1].kinesis.data = "not base64!"
    const [issue] = issues(KinesisEvent.event(KinesisEvent.Bytes), input)
    assert.match(issue!, /^\.Records\[1\]\.kinesis\.data: /)
    const json = fixture("kinesis")
    json.Records[0].kinesis.data = Buffer.from('{"id":"x","sku":"a"}').toString("base64")
    json.Records[1].kinesis.data = Buffer.from('{"id":1,"sku":"a"}').toString("base64")
    assert.deepStrictEqual(
      issues(KinesisEvent.event(KinesisEvent.json(Schema.Struct({ id: Schema.Number, sku: Schema.String }))), json),
      [`.Records[0].kinesis.data.id: Expected number, actual "x"`]
    )
  })

  it("DynamoDB: a malformed attribute value deep in an image", () => {
    const input = fixture("dynamodb-ttl")
    input.Records[0].dynamodb.OldImage.history.L[2].M.by = { N: "twelve" }
    assert.deepStrictEqual(issues(DynamoDbEvent.Event, input), [
      `.Records[0].dynamodb.OldImage.history.L[2].M.by.N: Expected a DynamoDB number string, actual "twelve"`
    ])
    const two = fixture("dynamodb")
    two.Records[2].dynamodb.Keys.Id = { S: "a", N: "1" }
    const [issue] = issues(DynamoDbEvent.Event, two)
    assert.match(issue!, /^\.Records\[2\]\.dynamodb\.Keys\.Id: Expected an attribute value with exactly one of/)
  })

  it("DynamoDB: an image that does not match the user schema", () => {
    const input = fixture("dynamodb")
    input.Records[1].dynamodb.NewImage.Message = { N: "5" }
    assert.deepStrictEqual(
      issues(
        DynamoDbEvent.event(DynamoDbEvent.image(Schema.Struct({ Id: Schema.Number, Message: Schema.String }))),
        input
      ),
      [".Records[1].dynamodb.NewImage.Message: Expected string, actual 5"]
    )
  })

  it("DynamoDB: an unknown eventName", () => {
    const input = fixture("dynamodb")
    input.Records[0].eventName = "UPSERT"
    assert.deepStrictEqual(issues(DynamoDbEvent.Event, input), [
      `.Records[0].eventName: Expected "INSERT", actual "UPSERT"`,
      `.Records[0].eventName: Expected "MODIFY", actual "UPSERT"`,
      `.Records[0].eventName: Expected "REMOVE", actual "UPSERT"`
    ])
  })
})
