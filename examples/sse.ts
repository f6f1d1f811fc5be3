/**
 * `{ "ticks": T }` → T server-sent events, one every 10 ms, then the stream ends.
 */
import { Schedule, Schema, Stream } from "effect"
import { Encoders, Handler, LambdaRuntime } from "../src/index.js"

const Event = Schema.Struct({ ticks: Schema.Number.pipe(Schema.int(), Schema.nonNegative()) })

export const handler = Handler.stream(
  Event,
  ({ ticks }) =>
    (ticks === 0 ? Stream.empty : Stream.range(1, ticks, 1)).pipe(
      Stream.schedule(Schedule.spaced("10 millis")),
      Stream.map((n): Encoders.SseEvent => ({ id: String(n), event: "tick", data: JSON.stringify({ n }) })),
      Encoders.sse()
    ),
  { contentType: Encoders.SseContentType }
)

if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
