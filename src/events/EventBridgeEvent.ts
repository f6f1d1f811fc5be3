/**
 * Amazon EventBridge events delivered to a rule's Lambda target. `Event` keeps `detail` as JSON (`unknown`);
 * {@link event} decodes it with a schema of yours, and can pin the `detail-type`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { EventBridgeEvent, Handler } from "effect-lambda-runtime"
 *
 * const OrderPlaced = Schema.Struct({ orderId: Schema.String })
 * export const handler = Handler.effect(EventBridgeEvent.event(OrderPlaced, "OrderPlaced"), (event) =>
 *   Effect.log(`order ${event.detail.orderId} from ${event.source}`)
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { array, optional, preserve } from "./internal/fields.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Event<Detail = unknown, DetailType extends string = string> {
  /** `0`. */
  readonly version: string
  readonly id: string
  readonly "detail-type": DetailType
  readonly source: string
  readonly account: string
  /** ISO 8601. */
  readonly time: string
  readonly region: string
  readonly resources: Array<string>
  readonly detail: Detail
  /** Present when the event is replayed from an archive. */
  readonly "replay-name"?: string
}

/**
 * An event whose `detail` is decoded with `detail`. With `detailType`, any other `detail-type` fails to decode.
 *
 * @since 0.1.0
 * @category combinators
 */
export const event: {
  <D, I, R>(detail: Schema.Schema<D, I, R>): Schema.Schema<Event<D>, Event<I>, R>
  <D, I, R, const T extends string>(
    detail: Schema.Schema<D, I, R>,
    detailType: T
  ): Schema.Schema<Event<D, T>, Event<I, T>, R>
} = <D, I, R>(detail: Schema.Schema<D, I, R>, detailType?: string): Schema.Schema<Event<D>, Event<I>, R> =>
  Schema.Struct({
    version: Schema.String,
    id: Schema.String,
    "detail-type": detailType === undefined ? Schema.String : Schema.Literal(detailType),
    source: Schema.String,
    account: Schema.String,
    time: Schema.String,
    region: Schema.String,
    resources: array(Schema.String),
    detail,
    "replay-name": optional(Schema.String)
  }).annotations({ ...preserve, identifier: "EventBridgeEvent" })

/**
 * An EventBridge event, `detail` as JSON.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event: Schema.Schema<Event> = event(Schema.Unknown)
