/**
 * Fault suite, a Runtime API that reads a large buffered reply slowly but steadily (as a loaded machine's API
 * does). Contract: the answer guard allows for the upload (at 1 MiB/s, on top of the answer timeout), so such a
 * reply is delivered exactly once and the loop goes on; one the API stops reading is still dropped by the guard.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Handler from "../../src/handler/Handler.js"
import { faultApi, replyCounts, startLoop, within } from "./support/FaultApi.js"

const MiB = 1024 * 1024

/** Replies with `size` bytes of JSON string. */
const large = (size: number) => Handler.effect(() => Effect.succeed("x".repeat(size - 2)))

describe("faults: a slowly read reply", () => {
  it.scopedLive("a 2 MiB reply read at 64 KiB per 40 ms (longer than the 300 ms guard) is delivered once", () =>
    Effect.gen(function* () {
      let paused = false
      const api = yield* faultApi({
        invocations: 2,
        onBytes: (socket, bytes) => {
          if (bytes < 64 * 1024 || paused) return
          // Read a little, then stop reading for a while: about 1.3 s for the whole reply.
          paused = true
          socket.pause()
          setTimeout(() => {
            paused = false
            socket.resume()
          }, 40)
        }
      })
      yield* startLoop(api, large(2 * MiB))
      yield* within(10_000, "the loop to ask /next after two slow replies", api.awaitNexts(3))
      assert.deepStrictEqual(replyCounts(api), { "id-0": 1, "id-1": 1 })
      for (const reply of api.replies) assert.strictEqual(reply.request.body.length, 2 * MiB)
    })
  )

  it.scopedLive("a large reply the API stops reading is dropped by the guard; the loop goes on", () =>
    Effect.gen(function* () {
      const api = yield* faultApi({
        invocations: 2,
        onBytes: (socket, bytes) => {
          // The first reply's connection stops reading for good after 1 MiB.
          if (bytes >= MiB && api.replies.length === 0 && !socket.isPaused()) socket.pause()
        }
      })
      yield* startLoop(api, large(2 * MiB))
      yield* within(10_000, "the loop to ask /next after the stalled reply", api.awaitNexts(2))
    })
  )
})
