/**
 * Streams `bytes` bytes, byte i = i % 251, in `chunk`-byte chunks: `{ "bytes": N, "chunk": M }`.
 */
import { Chunk, Schema, Stream } from "effect"
import { Handler, LambdaRuntime } from "../src/index.js"

const Event = Schema.Struct({
  bytes: Schema.Number.pipe(Schema.int(), Schema.nonNegative()),
  chunk: Schema.Number.pipe(Schema.int(), Schema.positive())
})

/** `pattern[i] = i % 251`, long enough that any chunk is a view into it (no copy per chunk). */
const patternFor = (chunk: number): Uint8Array => {
  const pattern = new Uint8Array(chunk + 251)
  for (let i = 0; i < pattern.length; i++) pattern[i] = i % 251
  return pattern
}

export const handler = Handler.stream(Event, ({ bytes, chunk }) => {
  const pattern = patternFor(chunk)
  const count = Math.ceil(bytes / chunk)
  if (count === 0) return Stream.empty
  return Stream.range(0, count - 1, 1).pipe(
    Stream.mapChunks(
      Chunk.map((index) => {
        const start = index * chunk
        const offset = start % 251
        return pattern.subarray(offset, offset + Math.min(chunk, bytes - start))
      })
    )
  )
})

if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
