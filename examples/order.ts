/**
 * The README's first example: an order lookup with a typed failure.
 */
import { Effect, Schema } from "effect"
import { Handler, LambdaRuntime } from "../src/index.js"

class OrderNotFound extends Schema.TaggedError<OrderNotFound>()("OrderNotFound", { id: Schema.String }) {
  override get message() {
    return `order ${this.id} was not found`
  }
}

const Event = Schema.Struct({ id: Schema.String })

export const handler = Handler.effect(Event, (event) =>
  event.id === "42" ? Effect.succeed({ id: event.id, total: 12.5 }) : Effect.fail(new OrderNotFound({ id: event.id }))
)

// Runs only when this file is the process entry point, so tests can import `handler`.
if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
