/**
 * Amazon SQS events: the batch of messages Lambda's SQS event source mapping delivers. `Event` decodes the
 * envelope as Lambda sends it; {@link event} and {@link record} also decode each message body with a schema
 * of yours (`Schema.parseJson(Order)` for JSON bodies).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Handler, SqsEvent } from "effect-lambda-runtime"
 *
 * const Order = Schema.Struct({ id: Schema.String })
 * export const handler = Handler.effect(SqsEvent.event(Schema.parseJson(Order)), (event) =>
 *   Effect.forEach(event.Records, (record) => Effect.log(`order ${record.body.id}`))
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { array, optional, preserve } from "./internal/fields.js"

/**
 * A message attribute. `stringListValues` and `binaryListValues` are reserved by SQS.
 *
 * @since 0.1.0
 * @category models
 */
export interface MessageAttribute {
  readonly stringValue?: string
  /** Base64. */
  readonly binaryValue?: string
  readonly stringListValues?: Array<string>
  readonly binaryListValues?: Array<string>
  /** `String`, `Number`, `Binary`, optionally with a custom suffix (`Number.float`). */
  readonly dataType: string
}

/**
 * @since 0.1.0
 * @category schemas
 */
export const MessageAttribute: Schema.Schema<MessageAttribute> = Schema.Struct({
  stringValue: optional(Schema.String),
  binaryValue: optional(Schema.String),
  stringListValues: optional(array(Schema.String)),
  binaryListValues: optional(array(Schema.String)),
  dataType: Schema.String
})

/**
 * System attributes of a message. FIFO queues add `SequenceNumber`, `MessageGroupId` and
 * `MessageDeduplicationId`; X-Ray adds `AWSTraceHeader`; a redriven message has `DeadLetterQueueSourceArn`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Attributes {
  readonly ApproximateReceiveCount: string
  readonly SentTimestamp: string
  readonly SenderId: string
  readonly ApproximateFirstReceiveTimestamp: string
  readonly AWSTraceHeader?: string
  readonly SequenceNumber?: string
  readonly MessageGroupId?: string
  readonly MessageDeduplicationId?: string
  readonly DeadLetterQueueSourceArn?: string
}

/**
 * @since 0.1.0
 * @category schemas
 */
export const Attributes: Schema.Schema<Attributes> = Schema.Struct({
  ApproximateReceiveCount: Schema.String,
  SentTimestamp: Schema.String,
  SenderId: Schema.String,
  ApproximateFirstReceiveTimestamp: Schema.String,
  AWSTraceHeader: optional(Schema.String),
  SequenceNumber: optional(Schema.String),
  MessageGroupId: optional(Schema.String),
  MessageDeduplicationId: optional(Schema.String),
  DeadLetterQueueSourceArn: optional(Schema.String)
})

/**
 * One message. `Body` is the decoded body (`string` as Lambda sends it).
 *
 * @since 0.1.0
 * @category models
 */
export interface Record<Body = string> {
  readonly messageId: string
  readonly receiptHandle: string
  readonly body: Body
  readonly attributes: Attributes
  readonly messageAttributes: { readonly [name: string]: MessageAttribute }
  readonly md5OfBody: string
  /** Absent (or `null` on the wire) when the message has no attributes. */
  readonly md5OfMessageAttributes?: string
  /** `aws:sqs`. */
  readonly eventSource: string
  /** The queue's ARN; a FIFO queue's name ends in `.fifo`. */
  readonly eventSourceARN: string
  readonly awsRegion: string
}

/**
 * A record as it is on the wire.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordEncoded extends Omit<Record<string>, "md5OfMessageAttributes"> {
  readonly md5OfMessageAttributes?: string | null
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Event<Body = string> {
  readonly Records: Array<Record<Body>>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface EventEncoded {
  readonly Records: Array<RecordEncoded>
}

/**
 * A record whose body is decoded with `body` (a schema from the body string, e.g. `Schema.parseJson(Order)`).
 * Fields the schema does not name are kept.
 *
 * @since 0.1.0
 * @category combinators
 */
export const record = <B, R>(body: Schema.Schema<B, string, R>): Schema.Schema<Record<B>, RecordEncoded, R> =>
  Schema.Struct({
    messageId: Schema.String,
    receiptHandle: Schema.String,
    body,
    attributes: Attributes,
    messageAttributes: Schema.Record({ key: Schema.String, value: MessageAttribute }),
    md5OfBody: Schema.String,
    md5OfMessageAttributes: Schema.optionalWith(Schema.String, { exact: true, nullable: true }),
    eventSource: Schema.String,
    eventSourceARN: Schema.String,
    awsRegion: Schema.String
  }).annotations({ ...preserve, identifier: "SqsRecord" })

/**
 * An SQS event whose message bodies are decoded with `body`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const event = <B, R>(body: Schema.Schema<B, string, R>): Schema.Schema<Event<B>, EventEncoded, R> =>
  Schema.Struct({ Records: array(record(body)) }).annotations(preserve)

/**
 * One message, body as a string.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Record: Schema.Schema<Record, RecordEncoded> = record(Schema.String)

/**
 * An SQS event, bodies as strings.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event: Schema.Schema<Event, EventEncoded> = event(Schema.String)

/**
 * Whether a record comes from a FIFO queue (its queue name ends in `.fifo`).
 *
 * @since 0.1.0
 * @category guards
 */
export const isFifo = (record: { readonly eventSourceARN: string }): boolean => record.eventSourceARN.endsWith(".fifo")
