/**
 * `LambdaRuntime.warmUp`: the runtime's live path (start, socket transport, loop, replies) run against an API of its
 * own on 127.0.0.1, as a snapshot build runs it before the snapshot is taken. It must run the handler the number of
 * times asked, over real sockets, and leave nothing behind: no socket or server, no process listener.
 */
import { assert, describe, it } from "@effect/vitest"
import { Data, Effect } from "effect"
import * as Handler from "../../src/handler/Handler.js"
import * as LambdaRuntime from "../../src/LambdaRuntime.js"
import * as InvocationContext from "../../src/services/InvocationContext.js"

class Refused extends Data.TaggedError("Refused")<{ readonly id: string }> {}

/** The TCP handles of this process, polled until none is left or a second has passed (closes finish a tick later). */
const tcpHandlesLeft = async (): Promise<ReadonlyArray<string>> => {
  const open = () => process.getActiveResourcesInfo().filter((name) => name.startsWith("TCP"))
  for (let i = 0; i < 50 && open().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  return open()
}

describe("LambdaRuntime.warmUp", () => {
  it.live("runs the handler once per invocation, with real events and contexts, and leaves nothing open", () =>
    Effect.gen(function* () {
      const seen: Array<{ readonly requestId: string; readonly event: unknown }> = []
      const handler = Handler.effect((event) =>
        Effect.map(InvocationContext.InvocationContext, (context) => {
          seen.push({ requestId: context.requestId, event })
          return { echoed: event }
        })
      )
      const listeners = process.listenerCount("uncaughtException")
      const before = yield* Effect.promise(tcpHandlesLeft)
      yield* Effect.promise(() => LambdaRuntime.warmUp(handler, 7))
      assert.deepStrictEqual(
        seen.map((s) => s.requestId),
        Array.from({ length: 7 }, (_, i) => `warm-up-${i}`)
      )
      assert.deepStrictEqual(seen[3]?.event, { id: "3", warmUp: true })
      assert.deepStrictEqual(yield* Effect.promise(tcpHandlesLeft), before)
      assert.strictEqual(process.listenerCount("uncaughtException"), listeners)
    })
  )

  it.live("a handler that fails still gets every invocation (error reports are replies too)", () =>
    Effect.gen(function* () {
      let runs = 0
      const handler = Handler.effect((event) =>
        Effect.suspend(() => {
          runs++
          return Effect.fail(new Refused({ id: String((event as { id: unknown }).id) }))
        })
      )
      yield* Effect.promise(() => LambdaRuntime.warmUp(handler, 5))
      assert.strictEqual(runs, 5)
      assert.deepStrictEqual(yield* Effect.promise(tcpHandlesLeft), [])
    })
  )
})
