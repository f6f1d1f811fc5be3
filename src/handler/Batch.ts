/**
 * Batch handlers for the event sources that deliver records in batches — SQS, Kinesis Data Streams and
 * DynamoDB Streams. Each record is decoded with your schema and handled by its own Effect; the reply is Lambda's
 * partial batch response, `{ "batchItemFailures": [{ "itemIdentifier": … }] }`, naming exactly the records whose
 * Effect failed or died (or that did not match the schema), so Lambda retries only those. The invocation itself
 * succeeds. Turn on `ReportBatchItemFailures` in the event source mapping.
 *
 * - SQS standard queues: records run concurrently, up to `concurrency` at once; each failed one is reported by
 *   its message id.
 * - SQS FIFO queues (the queue ARN ends in `.fifo`): records run one after another; at the first failure the
 *   batch stops and that record is reported with every record after it, which Lambda must not delete.
 * - Kinesis and DynamoDB Streams: records run one after another; at the first failure the batch stops and that
 *   record's sequence number is reported (Lambda retries from it).
 *
 * A failed record is logged with its id. Before the invocation's deadline (the runtime's deadline margin plus
 * `deadlineReserve`, 250 ms by default) the records still running are interrupted — their finalizers run — and
 * every record not yet done is reported as failed.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Batch, LambdaRuntime } from "effect-lambda-runtime"
 *
 * const Order = Schema.Struct({ id: Schema.String, total: Schema.Number })
 *
 * export const handler = Batch.sqs(Schema.parseJson(Order), (record) =>
 *   Effect.log(`order ${record.body.id}: ${record.body.total}`)
 * )
 *
 * if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
 * ```
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import * as DynamoDbEvent from "../events/DynamoDbEvent.js"
import * as KinesisEvent from "../events/KinesisEvent.js"
import * as SqsEvent from "../events/SqsEvent.js"
import type { InvocationContext } from "../services/InvocationContext.js"
import * as Handler from "./Handler.js"
import * as internal from "./internal/batch.js"

/**
 * Lambda's partial batch response.
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchResponse {
  readonly batchItemFailures: Array<{ readonly itemIdentifier: string }>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * How much earlier than the runtime's own deadline margin the batch stops and replies (default 250 ms):
   * time for the interrupted records' finalizers and the reply.
   */
  readonly deadlineReserve?: Duration.DurationInput
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SqsOptions extends Options {
  /** Records of a standard queue handled at once (default 10). FIFO queues always run one at a time. */
  readonly concurrency?: number | "unbounded"
}

const isObject = (u: unknown): u is { readonly [key: string]: unknown } => typeof u === "object" && u !== null

const stringAt = (u: unknown, ...path: ReadonlyArray<string>): string | undefined => {
  let at = u
  for (const key of path) {
    if (!isObject(at)) return undefined
    at = at[key]
  }
  return typeof at === "string" ? at : undefined
}

const options = (given: SqsOptions | undefined): internal.Options => ({
  concurrency: given?.concurrency ?? 10,
  deadlineReserve: Duration.decode(given?.deadlineReserve ?? 250)
})

const sqsSource: internal.Source = {
  noun: "SQS message",
  idName: "messageId",
  identify: (record) => stringAt(record, "messageId"),
  mode: (records) => (records.some((r) => stringAt(r, "eventSourceARN")?.endsWith(".fifo")) ? "fifo" : "unordered")
}

const kinesisSource: internal.Source = {
  noun: "Kinesis record",
  idName: "sequenceNumber",
  identify: (record) => stringAt(record, "kinesis", "sequenceNumber"),
  mode: () => "stream"
}

const dynamoDbSource: internal.Source = {
  noun: "DynamoDB record",
  idName: "SequenceNumber",
  identify: (record) => stringAt(record, "dynamodb", "SequenceNumber"),
  mode: () => "stream"
}

const handler = <Rec, E, R>(
  source: internal.Source,
  recordSchema: Schema.Schema<Rec, unknown>,
  f: (record: Rec) => Effect.Effect<unknown, E, R>,
  given: SqsOptions | undefined
): Handler.Handler<never, Exclude<R, InvocationContext>> =>
  Handler.effect(internal.run(source, recordSchema, f, options(given))) as Handler.Handler<
    never,
    Exclude<R, InvocationContext>
  >

/**
 * An SQS batch handler. `body` decodes each message body from its string (`Schema.parseJson(MySchema)` for
 * JSON, `Schema.String` to keep it); `f` handles one message. Replies with the partial batch response.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sqs = <B, E, R>(
  body: Schema.Schema<B, string>,
  f: (record: SqsEvent.Record<B>) => Effect.Effect<unknown, E, R>,
  options?: SqsOptions
): Handler.Handler<never, Exclude<R, InvocationContext>> =>
  handler(sqsSource, SqsEvent.record(body) as Schema.Schema<SqsEvent.Record<B>, unknown>, f, options)

/**
 * A Kinesis Data Streams batch handler. `data` decodes each record's base64 data (`KinesisEvent.json(MySchema)`,
 * `KinesisEvent.Bytes`, `KinesisEvent.Text`); `f` handles one record. Records run in order; the first failure
 * stops the batch and is reported by its sequence number.
 *
 * @since 0.1.0
 * @category constructors
 */
export const kinesis = <D, E, R>(
  data: Schema.Schema<D, string>,
  f: (record: KinesisEvent.Record<D>) => Effect.Effect<unknown, E, R>,
  options?: Options
): Handler.Handler<never, Exclude<R, InvocationContext>> =>
  handler(kinesisSource, KinesisEvent.record(data) as Schema.Schema<KinesisEvent.Record<D>, unknown>, f, options)

/**
 * A DynamoDB Streams batch handler. `image` decodes `NewImage`/`OldImage` (`DynamoDbEvent.image(MyItem)`, or
 * `DynamoDbEvent.Image` for plain values); keys are unmarshalled to plain values; `f` handles one record. Records
 * run in order; the first failure stops the batch and is reported by its sequence number.
 *
 * @since 0.1.0
 * @category constructors
 */
export const dynamodb = <A, E, R>(
  image: Schema.Schema<A, DynamoDbEvent.AttributeMap>,
  f: (record: DynamoDbEvent.Record<A, DynamoDbEvent.Item>) => Effect.Effect<unknown, E, R>,
  options?: Options
): Handler.Handler<never, Exclude<R, InvocationContext>> =>
  handler(
    dynamoDbSource,
    DynamoDbEvent.record(image) as Schema.Schema<DynamoDbEvent.Record<A, DynamoDbEvent.Item>, unknown>,
    f,
    options
  )
