/**
 * Replies with the event, unchanged.
 */
import { Effect } from "effect"
import { Handler, LambdaRuntime } from "../src/index.js"

export const handler = Handler.effect((event) => Effect.succeed(event))

if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
