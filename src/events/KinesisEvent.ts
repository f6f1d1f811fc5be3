/**
 * Amazon Kinesis Data Streams events. Each record's `kinesis.data` arrives base64-encoded: `Event` keeps it as
 * the base64 string; {@link event} decodes it with a schema from that string — {@link Bytes} for the raw
 * bytes, {@link Text} for UTF-8 text, {@link json} for JSON of a schema of yours.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Handler, KinesisEvent } from "effect-lambda-runtime"
 *
 * const Click = Schema.Struct({ page: Schema.String })
 * export const handler = Handler.effect(KinesisEvent.event(KinesisEvent.json(Click)), (event) =>
 *   Effect.forEach(event.Records, (record) => Effect.log(record.kinesis.data.page))
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { array, optional, preserve, windowFields } from "./internal/fields.js"

/**
 * The Kinesis part of a record. `Data` is the decoded data (the base64 `string` as Lambda sends it).
 *
 * @since 0.1.0
 * @category models
 */
export interface Payload<Data = string> {
  readonly kinesisSchemaVersion: string
  readonly partitionKey: string
  /** The record's position in its shard; the item identifier of a partial batch response. */
  readonly sequenceNumber: string
  readonly data: Data
  /** Seconds since the epoch, with a fraction. */
  readonly approximateArrivalTimestamp: number
  /** `NONE` or `KMS`, when Lambda includes it. */
  readonly encryptionType?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Record<Data = string> {
  readonly kinesis: Payload<Data>
  /** `aws:kinesis`. */
  readonly eventSource: string
  readonly eventVersion: string
  /** `shardId-…:sequenceNumber`. */
  readonly eventID: string
  /** `aws:kinesis:record`. */
  readonly eventName: string
  readonly invokeIdentityArn: string
  readonly awsRegion: string
  readonly eventSourceARN: string
}

/**
 * The event. The window fields are present only for a mapping with a tumbling window.
 *
 * @since 0.1.0
 * @category models
 */
export interface Event<Data = string> {
  readonly Records: Array<Record<Data>>
  readonly window?: { readonly start: string; readonly end: string }
  readonly state?: { readonly [key: string]: unknown }
  readonly shardId?: string
  readonly eventSourceARN?: string
  readonly isFinalInvokeForWindow?: boolean
  readonly isWindowTerminatedEarly?: boolean
}

/**
 * A record whose `kinesis.data` is decoded with `data` (a schema from the base64 string).
 *
 * @since 0.1.0
 * @category combinators
 */
export const record = <D, R>(data: Schema.Schema<D, string, R>): Schema.Schema<Record<D>, Record, R> =>
  Schema.Struct({
    kinesis: Schema.Struct({
      kinesisSchemaVersion: Schema.String,
      partitionKey: Schema.String,
      sequenceNumber: Schema.String,
      data,
      approximateArrivalTimestamp: Schema.Number,
      encryptionType: optional(Schema.String)
    }),
    eventSource: Schema.String,
    eventVersion: Schema.String,
    eventID: Schema.String,
    eventName: Schema.String,
    invokeIdentityArn: Schema.String,
    awsRegion: Schema.String,
    eventSourceARN: Schema.String
  }).annotations({ ...preserve, identifier: "KinesisRecord" })

/**
 * A Kinesis event whose record data is decoded with `data`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const event = <D, R>(data: Schema.Schema<D, string, R>): Schema.Schema<Event<D>, Event, R> =>
  Schema.Struct({ Records: array(record(data)), ...windowFields }).annotations(preserve)

/**
 * Record data as bytes (from base64).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Bytes: Schema.Schema<Uint8Array, string> = Schema.Uint8ArrayFromBase64

/**
 * Record data as UTF-8 text (from base64).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Text: Schema.Schema<string, string> = Schema.StringFromBase64

/**
 * Record data as JSON (from base64, UTF-8) decoded with `schema`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const json = <A, I, R>(schema: Schema.Schema<A, I, R>): Schema.Schema<A, string, R> =>
  Schema.compose(Schema.StringFromBase64, Schema.parseJson(schema))

/**
 * One record, data as the base64 string.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Record: Schema.Schema<Record> = record(Schema.String)

/**
 * A Kinesis event, data as base64 strings.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event: Schema.Schema<Event> = event(Schema.String)
