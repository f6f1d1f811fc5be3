/**
 * Streams one chunk every 100 ms, forever. Only the deadline stops it; its finalizer logs `stream closed`.
 */
import { Effect, Schedule, Stream } from "effect"
import { Handler, LambdaRuntime } from "../src/index.js"

export const handler = Handler.stream(
  () =>
    Stream.repeatEffect(Effect.sync(() => new TextEncoder().encode(`tick ${new Date().toISOString()}\n`))).pipe(
      Stream.schedule(Schedule.spaced("100 millis")),
      Stream.ensuring(Effect.log("stream closed"))
    ),
  { contentType: "text/plain; charset=utf-8" }
)

if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
