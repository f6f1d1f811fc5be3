/**
 * Streams `failAfter` bytes, then fails with the tagged error `UpstreamClosed`:
 * `{ "bytes": N, "failAfter": K }`. With K = 0 it fails before the first byte (an `/error` post).
 */
import { Schema, Stream } from "effect"
import { Handler, LambdaRuntime } from "../src/index.js"

export class UpstreamClosed extends Schema.TaggedError<UpstreamClosed>()("UpstreamClosed", {
  after: Schema.Number
}) {
  override get message(): string {
    return `the upstream closed after ${this.after} bytes`
  }
}

const Event = Schema.Struct({
  bytes: Schema.Number.pipe(Schema.int(), Schema.nonNegative()),
  failAfter: Schema.Number.pipe(Schema.int(), Schema.nonNegative())
})

export const handler = Handler.stream(Event, ({ failAfter }) => {
  const bytes = new Uint8Array(failAfter).map((_, i) => i % 251)
  return Stream.concat(
    failAfter === 0 ? Stream.empty : Stream.make(bytes),
    Stream.fail(new UpstreamClosed({ after: failAfter }))
  )
})

if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
