/**
 * Fails with the tagged error `OrderNotFound`, whose message names the event's `id`.
 */
import { Effect, Schema } from "effect"
import { Handler, LambdaRuntime } from "../src/index.js"

export class OrderNotFound extends Schema.TaggedError<OrderNotFound>()("OrderNotFound", {
  id: Schema.String
}) {
  override get message(): string {
    return `order ${this.id} was not found`
  }
}

const Event = Schema.Struct({ id: Schema.String })

export const handler = Handler.effect(Event, (event) => Effect.fail(new OrderNotFound({ id: event.id })))

if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
