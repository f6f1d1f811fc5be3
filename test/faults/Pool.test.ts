/**
 * The client's connection pool holds only live connections: one that failed is dropped, not kept.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Net from "node:net"
import type { Response } from "../../src/internal/Http1Connection.js"
import { Pool } from "../../src/internal/Pool.js"
import { accepted } from "./support/FaultApi.js"

const server = (answer: boolean) =>
  Effect.acquireRelease(
    Effect.async<Net.Server>((resume) => {
      const s = Net.createServer((socket) => {
        socket.on("error", () => {})
        socket.on("data", () => (answer ? socket.write(accepted) : socket.destroy()))
      })
      s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
    }),
    (s) => Effect.async<void>((resume) => void s.close(() => resume(Effect.void)))
  )

const post = (pool: Pool) =>
  Effect.async<Response | Error>((resume) => {
    const connection = pool.acquire()
    connection.exchange(
      "POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
      undefined,
      (error, response) => {
        if (error !== undefined) {
          pool.discard(connection)
          resume(Effect.succeed(error))
        } else {
          pool.release(connection)
          resume(Effect.succeed(response!))
        }
      },
      true
    )
  })

describe("Pool", () => {
  it.scopedLive("100 failed exchanges leave no connection behind; a good one is kept and reused", () =>
    Effect.gen(function* () {
      const failing = yield* server(false)
      const pool = new Pool("127.0.0.1", (failing.address() as Net.AddressInfo).port, 1_000)
      for (let i = 0; i < 100; i++) {
        const result = yield* post(pool)
        assert.instanceOf(result, Error)
      }
      assert.strictEqual(pool.size, 0)
      const good = yield* server(true)
      const goodPool = new Pool("127.0.0.1", (good.address() as Net.AddressInfo).port, 1_000)
      for (let i = 0; i < 10; i++) assert.strictEqual(((yield* post(goodPool)) as Response).status, 202)
      assert.strictEqual(goodPool.size, 1)
      goodPool.close()
      pool.close()
    })
  )
})
