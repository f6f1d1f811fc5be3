/**
 * A Kinesis batch: each record's data is a base64 JSON order. Records run in order; the first order for a
 * sold-out SKU stops the batch and its sequence number is reported, so Lambda retries the shard from there.
 */
import { Effect, Schema } from "effect"
import { Batch, KinesisEvent } from "../src/index.js"
import { LambdaRuntime } from "../src/index.js"

const Order = Schema.Struct({
  orderId: Schema.String,
  sku: Schema.String,
  quantity: Schema.Number
})

class OutOfStock extends Schema.TaggedError<OutOfStock>()("OutOfStock", {
  orderId: Schema.String,
  sku: Schema.String
}) {
  override get message() {
    return `order ${this.orderId}: ${this.sku} is sold out`
  }
}

export const handler = Batch.kinesis(KinesisEvent.json(Order), (record) => {
  const order = record.kinesis.data
  return order.sku === "sold-out"
    ? Effect.fail(new OutOfStock({ orderId: order.orderId, sku: order.sku }))
    : Effect.log(`processed order ${order.orderId}: ${order.quantity} x ${order.sku}`)
})

if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
