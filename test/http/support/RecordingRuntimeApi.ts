/**
 * A minimal Runtime API on 127.0.0.1 that records *when* each piece of a `/response` body arrives (the
 * emulator's server records bodies whole). Enough of the protocol for one runtime process: `/next` (long poll),
 * `/response`, `/error`.
 */
import { Deferred, Effect } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

export interface Piece {
  /** `performance.now()` when the bytes arrived. */
  readonly at: number
  readonly bytes: Uint8Array
}

export interface Recorded {
  readonly path: string
  readonly headers: Http.IncomingHttpHeaders
  readonly pieces: ReadonlyArray<Piece>
  readonly trailers: Readonly<Record<string, string | undefined>>
  /** `performance.now()` when the runtime received the event. */
  readonly deliveredAt: number
}

export interface Service {
  readonly address: string
  /** Hand `event` to the next `/next` poll and wait for the reply. */
  readonly invoke: (event: unknown) => Effect.Effect<Recorded>
}

export const make: Effect.Effect<Service, never, import("effect/Scope").Scope> = Effect.gen(function* () {
  const queue: Array<{ id: string; body: string; reply: Deferred.Deferred<Recorded> }> = []
  const polls: Array<Http.ServerResponse> = []
  const pending = new Map<string, { reply: Deferred.Deferred<Recorded>; deliveredAt: number }>()
  let counter = 0

  const deliver = () => {
    while (queue.length > 0 && polls.length > 0) {
      const next = queue.shift()!
      const res = polls.shift()!
      pending.set(next.id, { reply: next.reply, deliveredAt: performance.now() })
      res.writeHead(200, {
        "content-type": "application/json",
        "lambda-runtime-aws-request-id": next.id,
        "lambda-runtime-deadline-ms": String(Date.now() + 30_000),
        "lambda-runtime-invoked-function-arn": "arn:aws:lambda:us-east-1:123456789012:function:test-function"
      })
      res.end(next.body)
    }
  }

  const server = Http.createServer((req, res) => {
    const url = req.url ?? ""
    if (req.method === "GET" && url.endsWith("/runtime/invocation/next")) {
      polls.push(res)
      deliver()
      return
    }
    const match = /\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url)
    const entry = match === null ? undefined : pending.get(decodeURIComponent(match[1]!))
    if (req.method !== "POST" || match === null || entry === undefined) {
      res.writeHead(404).end()
      return
    }
    pending.delete(decodeURIComponent(match[1]!))
    const pieces: Array<Piece> = []
    req.on("data", (bytes: Buffer) => pieces.push({ at: performance.now(), bytes: new Uint8Array(bytes) }))
    req.on("end", () => {
      res.writeHead(202, { "content-type": "application/json" }).end('{"status":"OK"}')
      Deferred.unsafeDone(
        entry.reply,
        Effect.succeed({
          path: url,
          headers: req.headers,
          pieces,
          trailers: { ...req.trailers },
          deliveredAt: entry.deliveredAt
        })
      )
    })
  })

  yield* Effect.acquireRelease(
    Effect.async<void>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.void))
    }),
    () =>
      Effect.async<void>((resume) => {
        for (const res of polls) res.destroy()
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )
  const { port } = server.address() as AddressInfo
  return {
    address: `127.0.0.1:${port}`,
    invoke: (event) =>
      Effect.flatMap(Deferred.make<Recorded>(), (reply) => {
        queue.push({ id: `wire-${++counter}`, body: JSON.stringify(event), reply })
        deliver()
        return Deferred.await(reply)
      })
  }
})
