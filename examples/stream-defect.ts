/**
 * Streams 1000 bytes, then a defect: a thrown `RangeError`.
 */
import { Stream } from "effect"
import { Handler, LambdaRuntime } from "../src/index.js"

export const handler = Handler.stream(() =>
  Stream.concat(
    Stream.make(new Uint8Array(1000).fill(7)),
    Stream.sync((): Uint8Array => {
      throw new RangeError("index out of range while streaming")
    })
  )
)

if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
