/**
 * Amazon SNS events: one notification per record. `Event` decodes the envelope as Lambda sends it;
 * {@link event} also decodes each `Sns.Message` with a schema of yours (`Schema.parseJson(Order)` for JSON).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { array, preserve } from "./internal/fields.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface MessageAttribute {
  /** `String`, `String.Array`, `Number` or `Binary`. */
  readonly Type: string
  readonly Value: string
}

/**
 * @since 0.1.0
 * @category schemas
 */
export const MessageAttribute: Schema.Schema<MessageAttribute> = Schema.Struct({
  Type: Schema.String,
  Value: Schema.String
})

/**
 * The notification. `Message` is the decoded message (`string` as Lambda sends it).
 *
 * @since 0.1.0
 * @category models
 */
export interface Message<Body = string> {
  readonly SignatureVersion: string
  readonly Timestamp: string
  readonly Signature: string
  readonly SigningCertUrl: string
  readonly MessageId: string
  readonly Message: Body
  readonly MessageAttributes: { readonly [name: string]: MessageAttribute }
  /** `Notification`. */
  readonly Type: string
  readonly UnsubscribeUrl: string
  readonly TopicArn: string
  /** Absent (or `null` on the wire) when the publisher gave none. */
  readonly Subject?: string
  readonly Token?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface MessageEncoded extends Omit<Message<string>, "Subject" | "Token"> {
  readonly Subject?: string | null
  readonly Token?: string | null
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Record<Body = string> {
  readonly EventVersion: string
  readonly EventSubscriptionArn: string
  /** `aws:sns`. */
  readonly EventSource: string
  readonly Sns: Message<Body>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RecordEncoded extends Omit<Record<string>, "Sns"> {
  readonly Sns: MessageEncoded
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

const nullable = Schema.optionalWith(Schema.String, { exact: true, nullable: true })

/**
 * A record whose `Sns.Message` is decoded with `message` (a schema from the message string).
 *
 * @since 0.1.0
 * @category combinators
 */
export const record = <B, R>(message: Schema.Schema<B, string, R>): Schema.Schema<Record<B>, RecordEncoded, R> =>
  Schema.Struct({
    EventVersion: Schema.String,
    EventSubscriptionArn: Schema.String,
    EventSource: Schema.String,
    Sns: Schema.Struct({
      SignatureVersion: Schema.String,
      Timestamp: Schema.String,
      Signature: Schema.String,
      SigningCertUrl: Schema.String,
      MessageId: Schema.String,
      Message: message,
      MessageAttributes: Schema.Record({ key: Schema.String, value: MessageAttribute }),
      Type: Schema.String,
      UnsubscribeUrl: Schema.String,
      TopicArn: Schema.String,
      Subject: nullable,
      Token: nullable
    })
  }).annotations({ ...preserve, identifier: "SnsRecord" })

/**
 * An SNS event whose messages are decoded with `message`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const event = <B, R>(message: Schema.Schema<B, string, R>): Schema.Schema<Event<B>, EventEncoded, R> =>
  Schema.Struct({ Records: array(record(message)) }).annotations(preserve)

/**
 * One notification, message as a string.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Record: Schema.Schema<Record, RecordEncoded> = record(Schema.String)

/**
 * An SNS event, messages as strings.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event: Schema.Schema<Event, EventEncoded> = event(Schema.String)
