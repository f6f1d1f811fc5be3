/**
 * Compatibility with hand-typed handlers: every decoded envelope type is assignable to the matching type of
 * `@types/aws-lambda`. The checks are compile-time (this file is type-checked by `tsc -p tsconfig.json`); the
 * tests run each decoded fixture through a function typed with the `aws-lambda` type.
 */
import { assert, describe, it } from "@effect/vitest"
import type {
  DynamoDBStreamEvent,
  EventBridgeEvent as AwsEventBridgeEvent,
  KinesisStreamEvent,
  KinesisStreamTumblingWindowEvent,
  S3EventRecord,
  ScheduledEvent as AwsScheduledEvent,
  SNSEvent,
  SQSBatchResponse,
  SQSEvent
} from "aws-lambda"
import { Schema } from "effect"
import type * as Batch from "../../src/handler/Batch.js"
import * as DynamoDbEvent from "../../src/events/DynamoDbEvent.js"
import * as EventBridgeEvent from "../../src/events/EventBridgeEvent.js"
import * as KinesisEvent from "../../src/events/KinesisEvent.js"
import * as S3Event from "../../src/events/S3Event.js"
import * as ScheduledEvent from "../../src/events/ScheduledEvent.js"
import * as SnsEvent from "../../src/events/SnsEvent.js"
import * as SqsEvent from "../../src/events/SqsEvent.js"
import { decode, fixture } from "./support.js"

/**
 * S3: `size`, `eTag` and `sequencer` are optional here because S3 leaves them out of some notifications
 * (`ObjectRemoved:*` has no size or eTag, `ObjectRestore:*` no sequencer); `aws-lambda` types them as always
 * present. Apart from those three fields, the decoded record is assignable.
 */
type S3RecordLoose = Omit<S3EventRecord, "s3"> & {
  s3: Omit<S3EventRecord["s3"], "object"> & {
    object: Omit<S3EventRecord["s3"]["object"], "size" | "eTag" | "sequencer"> & {
      size?: number
      eTag?: string
      sequencer?: string
    }
  }
}

const sqs = (event: SqsEvent.Event): SQSEvent => event
const sns = (event: SnsEvent.Event): SNSEvent => event
const s3 = (event: S3Event.Event): { Records: Array<S3RecordLoose> } => event
const eventBridge = (event: EventBridgeEvent.Event): AwsEventBridgeEvent<string, unknown> => event
const scheduled = (event: ScheduledEvent.Event): AwsScheduledEvent => event
const kinesis = (event: KinesisEvent.Event): KinesisStreamEvent => event
const dynamodb = (event: DynamoDbEvent.Event): DynamoDBStreamEvent => event
const batchResponse = (response: Batch.BatchResponse): SQSBatchResponse => response

/** The other direction holds where the field sets agree (Kinesis): an `aws-lambda`-typed event fits the raw type. */
const kinesisBack = (event: KinesisStreamEvent): KinesisEvent.Event => event

// @ts-expect-error a decoded body that is not a string is not an `SQSEvent` any more (the check can fail)
const _bodyChanged = (event: SqsEvent.Event<number>): SQSEvent => event
// @ts-expect-error the tumbling-window fields are optional here, required there
const _window = (event: KinesisEvent.Event): KinesisStreamTumblingWindowEvent => event

describe("decoded envelopes are assignable to @types/aws-lambda", () => {
  it("each fixture, decoded, passes through the aws-lambda-typed function unchanged", () => {
    const checks: ReadonlyArray<readonly [string, (input: unknown) => unknown]> = [
      ["sqs", (input) => sqs(decode(SqsEvent.Event, input))],
      ["sqs-fifo", (input) => sqs(decode(SqsEvent.Event, input))],
      ["sns", (input) => sns(decode(SnsEvent.Event, input))],
      ["s3-put", (input) => s3(decode(S3Event.Event, input))],
      ["s3-delete", (input) => s3(decode(S3Event.Event, input))],
      ["eventbridge", (input) => eventBridge(decode(EventBridgeEvent.Event, input))],
      ["scheduled", (input) => scheduled(decode(ScheduledEvent.Event, input))],
      ["kinesis", (input) => kinesis(decode(KinesisEvent.Event, input))],
      ["dynamodb", (input) => dynamodb(decode(DynamoDbEvent.Event, input))],
      ["dynamodb-ttl", (input) => dynamodb(decode(DynamoDbEvent.Event, input))]
    ]
    for (const [name, check] of checks) assert.deepStrictEqual(check(fixture(name)), fixture(name), name)
    assert.deepStrictEqual(batchResponse({ batchItemFailures: [{ itemIdentifier: "a" }] }), {
      batchItemFailures: [{ itemIdentifier: "a" }]
    })
  })

  it("an aws-lambda-typed Kinesis event encodes with the raw schema", () => {
    const stream: KinesisStreamEvent = fixture("kinesis")
    assert.deepStrictEqual(Schema.encodeSync(KinesisEvent.Event)(kinesisBack(stream)), stream)
  })
})
