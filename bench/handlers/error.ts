/** error: every invocation fails with a tagged `OrderNotFound` naming the event's id. */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Handler from "../../src/handler/Handler.js"
import * as LambdaRuntime from "../../src/LambdaRuntime.js"

class OrderNotFound extends Data.TaggedError("OrderNotFound")<{ readonly id: string }> {
  override get message(): string {
    return `order ${this.id} was not found`
  }
}

LambdaRuntime.runMain(
  Handler.effect((event) => Effect.fail(new OrderNotFound({ id: String((event as { readonly id: unknown }).id) })))
)
