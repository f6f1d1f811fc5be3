/** stream: `{ bytes, chunk }` → `bytes` bytes in `chunk`-byte chunks; the runtime pulls with backpressure. */
import * as Stream from "effect/Stream"
import * as Handler from "../../src/handler/Handler.js"
import * as LambdaRuntime from "../../src/LambdaRuntime.js"
import { patternChunk, stampedChunk } from "./js/payload.mjs"

interface Event {
  readonly bytes: number
  readonly chunk: number
}

LambdaRuntime.runMain(
  Handler.stream((event) => {
    const { bytes, chunk } = event as Event
    const pattern = patternChunk(chunk)
    const count = Math.ceil(bytes / chunk)
    return Stream.map(Stream.range(0, count - 1), (index) => {
      // The first chunk carries the time it was emitted (see payload.mjs).
      const whole = index === 0 ? stampedChunk(pattern) : pattern
      return index < count - 1 ? whole : whole.subarray(0, bytes - index * chunk)
    })
  })
)
