/**
 * An SQS batch: each message body is a JSON order; an order for a sold-out SKU fails with a typed error, and
 * only those messages are reported back to SQS for retry (partial batch response). On a FIFO queue
 * (`….fifo`) the batch stops at the first failure and reports it with every message after it.
 *
 * Turn on `ReportBatchItemFailures` in the event source mapping.
 */
import { Effect, Schema } from "effect"
import { Batch } from "../src/index.js"
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

const reserve = (order: typeof Order.Type) =>
  order.sku === "sold-out"
    ? Effect.fail(new OutOfStock({ orderId: order.orderId, sku: order.sku }))
    : Effect.log(`processed order ${order.orderId}: ${order.quantity} x ${order.sku}`)

export const handler = Batch.sqs(Schema.parseJson(Order), (record) => reserve(record.body), { concurrency: 5 })

if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
