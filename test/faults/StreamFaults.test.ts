/**
 * Fault suite, streamed replies: a Runtime API that resets or closes the connection in the middle of a large
 * streamed reply. Contract: the stream is stopped within about one chunk (its finalizer runs at once, a fast
 * producer is not pulled to the end), exactly one reply, the loop goes on; nothing hangs.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import type * as Net from "node:net"
import * as Handler from "../../src/handler/Handler.js"
import { accepted, faultApi, replyCounts, startLoop, within } from "./support/FaultApi.js"

const MiB = 1024 * 1024
const chunk = new Uint8Array(64 * 1024)

/**
 * A producer of 64 MiB in 64 KiB chunks that counts what was pulled and whether its finalizer ran. A fast one is
 * usually parked waiting for the connection to drain when a fault arrives; a slow one (a pause per chunk) is
 * pulled while the connection is idle, so only the writer's own check of the connection can stop it.
 */
const producer = (speed: "fast" | "slow" = "fast") => {
  const state = { pulled: 0, finalized: false }
  const pull = Effect.sync(() => {
    state.pulled += chunk.length
    return chunk
  })
  const handler = Handler.stream(() =>
    Stream.repeatEffect(speed === "fast" ? pull : Effect.delay(pull, "2 millis")).pipe(
      Stream.take(1024),
      Stream.ensuring(
        Effect.sync(() => {
          state.finalized = true
        })
      )
    )
  )
  return { state, handler }
}

/**
 * Break the runtime's connection: a reset, a close, or a pause (the client's buffers fill) then a reset 100 ms
 * later, when `beforeLateReset` runs first.
 */
const breakConnection = (
  socket: Net.Socket,
  fault: "reset" | "close" | "pause then reset",
  beforeLateReset: () => void
): void => {
  if (fault === "reset") socket.resetAndDestroy()
  else if (fault === "close") socket.destroy()
  else {
    socket.pause()
    setTimeout(() => {
      beforeLateReset()
      socket.resetAndDestroy()
    }, 100)
  }
}

describe("faults: streamed replies", () => {
  for (const fault of ["reset", "close", "pause then reset"] as const) {
    it.scopedLive(`a ${fault} 1 MiB into a 64 MiB streamed reply stops the stream at once; the loop goes on`, () =>
      Effect.gen(function* () {
        const { handler, state } = producer()
        let pulledAtFault = -1
        const api = yield* faultApi({
          invocations: 1,
          onBytes: (socket, bytes) => {
            if (bytes < MiB || socket.destroyed) return
            // Only the streamed POST grows past 1 MiB.
            pulledAtFault = state.pulled
            breakConnection(socket, fault, () => {
              pulledAtFault = state.pulled
            })
          }
        })
        yield* startLoop(api, handler)
        yield* within(5_000, "the loop to ask /next after the broken stream", api.awaitNexts(2))
        assert.isTrue(state.finalized, "the stream's finalizer ran")
        assert.isAbove(pulledAtFault, 0)
        // Within the write budget (256 KiB) and a chunk or two of the fault: never the whole 64 MiB.
        assert.isBelow(state.pulled - pulledAtFault, 2 * MiB, `pulled ${state.pulled} bytes after the fault`)
        assert.isBelow(state.pulled, 8 * MiB)
        // The broken reply was not sent again (the server saw no complete request for id-0, and no second one).
        assert.deepStrictEqual(replyCounts(api)["id-0"] ?? 0, 0)
        assert.isAtMost(
          api.requests.filter((r) => r.method === "POST").length,
          1,
          "no retry of the broken streamed reply"
        )
      })
    )
  }

  // A slow producer: the fault reaches the runtime between two chunks, while nothing waits on the connection.
  for (const fault of ["reset", "close", "pause then reset"] as const) {
    it.scopedLive(`a ${fault} 1 MiB into a slowly produced 64 MiB reply stops the producer within a chunk`, () =>
      Effect.gen(function* () {
        const { handler, state } = producer("slow")
        let pulledAtFault = -1
        const api = yield* faultApi({
          invocations: 1,
          onBytes: (socket, bytes) => {
            if (bytes < MiB || socket.destroyed || pulledAtFault >= 0) return
            pulledAtFault = state.pulled
            breakConnection(socket, fault, () => {
              pulledAtFault = state.pulled
            })
          }
        })
        yield* startLoop(api, handler)
        yield* within(5_000, "the loop to ask /next after the broken stream", api.awaitNexts(2))
        assert.isTrue(state.finalized, "the stream's finalizer ran before the next invocation")
        assert.isAbove(pulledAtFault, 0)
        // The chunk being produced when the fault arrived, and at most one more the connection took before the
        // reset reached the runtime: never the rest of the 64 MiB.
        assert.isAtMost(state.pulled - pulledAtFault, 2 * chunk.length, `pulled ${state.pulled} bytes after the fault`)
        assert.deepStrictEqual(replyCounts(api)["id-0"] ?? 0, 0)
        assert.isAtMost(api.requests.filter((r) => r.method === "POST").length, 1)
      })
    )
  }

  it.scopedLive("the end of a streamed reply is never answered: the answer guard drops it, the loop goes on", () =>
    Effect.gen(function* () {
      const api = yield* faultApi({
        invocations: 2,
        post: (socket, _request, reply) => {
          if (reply?.requestId !== "id-0") socket.write(accepted)
        }
      })
      yield* startLoop(
        api,
        Handler.stream(() => Stream.make(new Uint8Array([1, 2, 3])))
      )
      yield* within(4_000, "the loop to ask /next after the unanswered stream", api.awaitNexts(3))
      assert.deepStrictEqual(replyCounts(api), { "id-0": 1, "id-1": 1 })
      assert.deepStrictEqual([...api.replies[0]!.request.body], [1, 2, 3])
    })
  )
})
