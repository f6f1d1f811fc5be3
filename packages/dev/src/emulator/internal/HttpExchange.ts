/**
 * The HTTP plumbing the emulator's fronts share: reading a request body with a cap, writing a response with
 * backpressure, multi-value headers, and the one-line request log.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as Http from "node:http"

/** @internal */
export type Body = { readonly _tag: "Body"; readonly bytes: Uint8Array } | { readonly _tag: "TooLarge" }

/** The whole request body, or `TooLarge` (then the rest is discarded); fails when the client goes away. @internal */
export const readRequest = (req: Http.IncomingMessage, limit: number): Effect.Effect<Body, Error> =>
  Effect.async<Body, Error>((resume) => {
    const chunks: Array<Buffer> = []
    let length = 0
    const onData = (chunk: Buffer) => {
      length += chunk.length
      if (length <= limit) chunks.push(chunk)
    }
    const onEnd = () => {
      off()
      resume(Effect.succeed(length > limit ? { _tag: "TooLarge" } : { _tag: "Body", bytes: Buffer.concat(chunks) }))
    }
    const onError = (error: Error) => {
      off()
      resume(Effect.fail(error))
    }
    const onClose = () => {
      if (!req.complete) onError(new Error("the client closed the connection"))
    }
    const off = () => {
      req.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose)
    }
    req.on("data", onData).once("end", onEnd).once("error", onError).once("close", onClose)
    return Effect.sync(off)
  })

/** @internal */
export interface Writer {
  readonly write: (bytes: Uint8Array) => Effect.Effect<void>
  readonly end: (bytes?: Uint8Array) => Effect.Effect<void>
  /** Close the connection after what was written, without the final chunk: the client sees a cut body. */
  readonly cut: Effect.Effect<void>
  readonly sent: () => number
  readonly gone: () => boolean
}

/** Writes to a response with backpressure; once the client is gone, writes are dropped (the caller drains on). @internal */
export const writer = (res: Http.ServerResponse): Writer => {
  let sent = 0
  const gone = () => res.destroyed || res.writableEnded || (res.socket?.destroyed ?? true)
  const write = (bytes: Uint8Array): Effect.Effect<void> =>
    Effect.async<void>((resume) => {
      if (bytes.length === 0 || gone()) return resume(Effect.void)
      sent += bytes.length
      if (res.write(bytes)) return resume(Effect.void)
      const done = () => {
        res.off("drain", done).off("close", done)
        resume(Effect.void)
      }
      res.on("drain", done).on("close", done)
      return Effect.sync(() => {
        res.off("drain", done).off("close", done)
      })
    })
  const end = (bytes?: Uint8Array): Effect.Effect<void> =>
    Effect.async<void>((resume) => {
      if (gone()) return resume(Effect.void)
      if (bytes !== undefined) sent += bytes.length
      let done = false
      const finish = () => {
        if (done) return
        done = true
        res.off("close", finish)
        resume(Effect.void)
      }
      res.once("close", finish)
      res.end(bytes, finish)
    })
  const cut: Effect.Effect<void> = Effect.sync(() => {
    const socket = res.socket
    if (socket === null || socket.destroyed) return
    socket.end()
    setTimeout(() => socket.destroy(), 2_000).unref()
  })
  return { write, end, cut, sent: () => sent, gone }
}

/** Headers for `writeHead`: a name given more than once (`set-cookie`) is sent on as many lines. @internal */
export const headerObject = (
  headers: ReadonlyArray<readonly [string, string]>
): Record<string, string | Array<string>> => {
  const out: Record<string, Array<string>> = {}
  for (const [name, value] of headers) {
    const values = out[name]
    if (values === undefined) out[name] = [value]
    else values.push(value)
  }
  return Object.fromEntries(
    Object.entries(out).map(([name, values]) => [name, values.length === 1 ? values[0]! : values])
  )
}

const formatBytes = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1024 * 1024)).toFixed(1)} MiB`

const clock = (): string => {
  const now = new Date()
  return `${now.toTimeString().slice(0, 8)}.${String(now.getMilliseconds()).padStart(3, "0")}`
}

/** The one line logged per request: what, how it ended, how long, how many bytes. @internal */
export const requestLine = (label: string, outcome: string, startedAt: number, bytes: number): string =>
  `${clock()} ${label} → ${outcome} (${Date.now() - startedAt} ms, ${formatBytes(bytes)})`

/** Collect a reply's body up to `limit` bytes (`undefined` when over it); the rest is drained. @internal */
export const collect = (body: Stream.Stream<Uint8Array>, limit: number): Effect.Effect<Uint8Array | undefined> =>
  Effect.map(
    Stream.runFold(body, { chunks: [] as Array<Uint8Array>, length: 0, over: false }, (acc, chunk) => {
      if (acc.over || acc.length + chunk.length > limit) {
        acc.over = true
        acc.length += chunk.length
        return acc
      }
      acc.chunks.push(chunk)
      acc.length += chunk.length
      return acc
    }),
    (acc) => (acc.over ? undefined : new Uint8Array(Buffer.concat(acc.chunks)))
  )
