/**
 * Amazon DynamoDB Streams events. Item images and keys arrive as DynamoDB attribute values
 * (`{ "Id": { "N": "101" } }`): `Event` keeps them so; {@link event} unmarshalls `NewImage`/`OldImage` into
 * plain values and decodes them with a schema of yours (see {@link image}), and `Keys` into plain values.
 *
 * Unmarshalling: `S` → string, `N` → number (an integer no double holds exactly → bigint; a decimal with more
 * than 15–17 significant digits is rounded to the nearest double), `B` → Uint8Array, `BOOL` → boolean, `NULL` → null,
 * `SS`/`NS`/`BS` → ReadonlySet, `L` → array, `M` → object.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { DynamoDbEvent, Handler } from "effect-lambda-runtime"
 *
 * const Item = Schema.Struct({ Id: Schema.Number, Tags: Schema.ReadonlySetFromSelf(Schema.String) })
 * export const handler = Handler.effect(DynamoDbEvent.event(DynamoDbEvent.image(Item)), (event) =>
 *   Effect.forEach(event.Records, (record) => Effect.log(record.dynamodb.NewImage?.Id))
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import type * as SchemaAST from "effect/SchemaAST"
import * as Schema from "effect/Schema"
import * as internal from "./internal/attributeValue.js"
import { array, optional, preserve, windowFields } from "./internal/fields.js"

/**
 * One DynamoDB attribute value: exactly one of `S`, `N`, `B`, `BOOL`, `NULL`, `SS`, `NS`, `BS`, `L`, `M`.
 *
 * @since 0.1.0
 * @category models
 */
export type AttributeValue = internal.AttributeValue

/**
 * An item (or its key) as attribute values.
 *
 * @since 0.1.0
 * @category models
 */
export interface AttributeMap {
  readonly [name: string]: AttributeValue
}

/**
 * A plain value an attribute value unmarshalls to.
 *
 * @since 0.1.0
 * @category models
 */
export type Value = internal.Value

/**
 * An unmarshalled item.
 *
 * @since 0.1.0
 * @category models
 */
export interface Item {
  readonly [name: string]: Value
}

const issue = (ast: SchemaAST.AST, actual: unknown, invalid: internal.Invalid): ParseResult.ParseIssue => {
  const type = new ParseResult.Type(ast, actual, invalid.message)
  return invalid.path.length === 0
    ? type
    : new ParseResult.Pointer(invalid.path as [PropertyKey, ...Array<PropertyKey>], actual, type)
}

/**
 * A well-formed attribute value (checked deeply: numbers, base64, sets, nested lists and maps).
 *
 * @since 0.1.0
 * @category schemas
 */
export const AttributeValue: Schema.Schema<AttributeValue> = Schema.declare(
  [],
  {
    decode: () => (input, _options, ast) =>
      Either.match(internal.unmarshall(input), {
        onLeft: (invalid) => ParseResult.fail(issue(ast, input, invalid)),
        onRight: () => ParseResult.succeed(input as AttributeValue)
      }),
    encode: () => (input, _options, ast) =>
      Either.match(internal.unmarshall(input), {
        onLeft: (invalid) => ParseResult.fail(issue(ast, input, invalid)),
        onRight: () => ParseResult.succeed(input as AttributeValue)
      })
  },
  { identifier: "AttributeValue" }
)

/**
 * @since 0.1.0
 * @category schemas
 */
export const AttributeMap: Schema.Schema<AttributeMap> = Schema.Record({ key: Schema.String, value: AttributeValue })

/**
 * Attribute values ⇄ a plain item. Encoding fails for values DynamoDB cannot hold (an empty or mixed set,
 * `undefined`, a non-finite number, a function). An attribute named `__proto__` is an own property in nested maps;
 * at the top level of an image Effect's `Schema.Record` leaves it out. It never sets an object's prototype.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Image: Schema.Schema<Item, AttributeMap> = Schema.transformOrFail(
  AttributeMap,
  Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  {
    strict: true,
    decode: (map, _options, ast) =>
      Either.match(internal.unmarshallMap(map), {
        onLeft: (invalid) => ParseResult.fail(issue(ast, map, invalid)),
        onRight: ParseResult.succeed
      }),
    encode: (item, _options, ast) =>
      Either.match(internal.marshallMap(item), {
        onLeft: (invalid) => ParseResult.fail(issue(ast, item, invalid)),
        onRight: ParseResult.succeed
      })
  }
).annotations({ identifier: "Image" }) as unknown as Schema.Schema<Item, AttributeMap>

/**
 * An item image unmarshalled and decoded with `schema` (a schema of the plain item).
 *
 * @since 0.1.0
 * @category combinators
 */
export const image = <A, I, R>(schema: Schema.Schema<A, I, R>): Schema.Schema<A, AttributeMap, R> =>
  Schema.compose(Image, schema, { strict: false })

/**
 * @since 0.1.0
 * @category models
 */
export type StreamViewType = "KEYS_ONLY" | "NEW_IMAGE" | "OLD_IMAGE" | "NEW_AND_OLD_IMAGES"

/**
 * The change. `NewImage` is present for `INSERT` and `MODIFY` with a `NEW_IMAGE`/`NEW_AND_OLD_IMAGES` stream;
 * `OldImage` for `MODIFY` and `REMOVE` with an `OLD_IMAGE`/`NEW_AND_OLD_IMAGES` stream.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamRecord<Image = AttributeMap, Keys = AttributeMap> {
  /** Seconds since the epoch. */
  readonly ApproximateCreationDateTime?: number
  readonly Keys: Keys
  readonly NewImage?: Image
  readonly OldImage?: Image
  /** The record's position in its shard; the item identifier of a partial batch response. */
  readonly SequenceNumber: string
  readonly SizeBytes: number
  readonly StreamViewType: StreamViewType
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Record<Image = AttributeMap, Keys = AttributeMap> {
  readonly eventID: string
  readonly eventName: "INSERT" | "MODIFY" | "REMOVE"
  readonly eventVersion: string
  /** `aws:dynamodb`. */
  readonly eventSource: string
  readonly awsRegion: string
  readonly dynamodb: StreamRecord<Image, Keys>
  readonly eventSourceARN: string
  /** Present for deletions by Time to Live: `{ type: "Service", principalId: "dynamodb.amazonaws.com" }`. */
  readonly userIdentity?: { readonly type: string; readonly principalId: string }
}

/**
 * The event. The window fields are present only for a mapping with a tumbling window.
 *
 * @since 0.1.0
 * @category models
 */
export interface Event<Image = AttributeMap, Keys = AttributeMap> {
  readonly Records: Array<Record<Image, Keys>>
  readonly window?: { readonly start: string; readonly end: string }
  readonly state?: { readonly [key: string]: unknown }
  readonly shardId?: string
  readonly eventSourceARN?: string
  readonly isFinalInvokeForWindow?: boolean
  readonly isWindowTerminatedEarly?: boolean
}

const recordOf = <A, K, R>(
  image: Schema.Schema<A, AttributeMap, R>,
  keys: Schema.Schema<K, AttributeMap>
): Schema.Schema<Record<A, K>, Record, R> =>
  Schema.Struct({
    eventID: Schema.String,
    eventName: Schema.Literal("INSERT", "MODIFY", "REMOVE"),
    eventVersion: Schema.String,
    eventSource: Schema.String,
    awsRegion: Schema.String,
    dynamodb: Schema.Struct({
      ApproximateCreationDateTime: optional(Schema.Number),
      Keys: keys,
      NewImage: optional(image),
      OldImage: optional(image),
      SequenceNumber: Schema.String,
      SizeBytes: Schema.Number,
      StreamViewType: Schema.Literal("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
    }),
    eventSourceARN: Schema.String,
    userIdentity: optional(Schema.Struct({ type: Schema.String, principalId: Schema.String }))
  }).annotations({ ...preserve, identifier: "DynamoDbRecord" })

/**
 * A record whose images are decoded with `image` (usually `DynamoDbEvent.image(MyItem)`) and whose keys are
 * unmarshalled into plain values.
 *
 * @since 0.1.0
 * @category combinators
 */
export const record = <A, R>(image: Schema.Schema<A, AttributeMap, R>): Schema.Schema<Record<A, Item>, Record, R> =>
  recordOf(image, Image)

/**
 * A DynamoDB Streams event whose images are decoded with `image` and keys unmarshalled.
 *
 * @since 0.1.0
 * @category combinators
 */
export const event = <A, R>(image: Schema.Schema<A, AttributeMap, R>): Schema.Schema<Event<A, Item>, Event, R> =>
  Schema.Struct({ Records: array(record(image)), ...windowFields }).annotations(preserve)

/**
 * One record, images and keys as attribute values.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Record: Schema.Schema<Record> = recordOf(AttributeMap, AttributeMap)

/**
 * A DynamoDB Streams event, images and keys as attribute values.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event: Schema.Schema<Event> = Schema.Struct({ Records: array(Record), ...windowFields }).annotations(
  preserve
)
