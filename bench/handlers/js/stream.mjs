/** stream: `{ bytes, chunk }` → `bytes` bytes in `chunk`-byte chunks, written with backpressure. */
import { once } from "node:events"
import { patternChunk, stampedChunk } from "./payload.mjs"

export const handler = globalThis.awslambda.streamifyResponse(async (event, responseStream) => {
  const { bytes, chunk } = event
  const pattern = patternChunk(chunk)
  for (let sent = 0; sent < bytes; sent += chunk) {
    // The first chunk carries the time it was emitted (see payload.mjs).
    const whole = sent === 0 ? stampedChunk(pattern) : pattern
    const part = bytes - sent >= chunk ? whole : whole.subarray(0, bytes - sent)
    if (!responseStream.write(part)) await once(responseStream, "drain")
  }
  responseStream.end()
})
