/**
 * When `event.crash` is true, throws a `TypeError` inside the Effect (a defect); otherwise echoes the event.
 */
import { Effect } from "effect"
import { Handler, LambdaRuntime } from "../src/index.js"

export const handler = Handler.effect((event) =>
  Effect.sync(() => {
    if (typeof event === "object" && event !== null && (event as { crash?: unknown }).crash === true) {
      throw new TypeError("crash requested by the event")
    }
    return event
  })
)

if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
