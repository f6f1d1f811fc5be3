/**
 * The shapes most fault tests share, on top of {@link faultApi}: wait for the loop to ask `/next` again or to
 * stop (bounded), run two invocations against a script and judge "exactly one reply each", and feed a socket
 * an endless body piece by piece.
 */
import { assert } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import type * as Net from "node:net"
import type * as Handler from "../../../src/handler/Handler.js"
import { type FaultApi, faultApi, replyCounts, type Script, startLoop, within } from "./FaultApi.js"

/** Wait until the loop asks `/next` for the `n`-th time: everything before was answered and settled. */
export const served = (api: FaultApi, n: number, ms = 4_000) => within(ms, `waiting for /next #${n}`, api.awaitNexts(n))

/** Wait for the loop to stop, and return its exit. */
export const stopped = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, ms = 4_000) =>
  within(ms, "waiting for the loop to stop", Fiber.await(fiber))

/**
 * Two invocations (`id-0`, `id-1`) against `script`: the loop must reply to each exactly once and then ask
 * `/next` a third time. Returns the API for further checks.
 */
export const oneReplyEach = <E>(script: Omit<Script, "invocations">, handler?: Handler.Handler<E, never>) =>
  Effect.gen(function* () {
    const api = yield* faultApi({ invocations: 2, ...script })
    yield* startLoop(api, handler)
    yield* served(api, 3)
    assert.deepStrictEqual(replyCounts(api), { "id-0": 1, "id-1": 1 })
    return api
  })

/** Write `piece` to `socket` again and again (each after the previous left) until `limit` bytes or a close. */
export const pump = (socket: Net.Socket, piece: Uint8Array, limit: number) => {
  let sent = 0
  const step = () => {
    if (socket.destroyed || sent >= limit) return
    sent += piece.length
    socket.write(piece, () => setImmediate(step))
  }
  step()
}
