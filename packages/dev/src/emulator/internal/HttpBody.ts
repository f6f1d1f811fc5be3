/**
 * Request bodies as the Runtime API server reads them: a whole body with a size cap and its trailers, or a
 * live body handed chunk by chunk to one reader with backpressure.
 *
 * @internal
 */
import * as Chunk from "effect/Chunk"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as Http from "node:http"
import * as RuntimeApiServer from "../RuntimeApiServer.js"

/** @internal */
export interface ReceivedBody {
  readonly bytes: Uint8Array
  readonly length: number
  readonly trailers: Readonly<Record<string, string>>
}

/** @internal */
export class BodyAborted extends Data.TaggedError("BodyAborted")<{ readonly cause: unknown }> {
  override get message(): string {
    return `request body cut short: ${String(this.cause)}`
  }
}

/** Node headers as a record, names lower-case (repeated headers joined with `", "`). @internal */
export const headerRecord = (headers: Http.IncomingHttpHeaders | NodeJS.Dict<string>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    out[name] = Array.isArray(value) ? value.join(", ") : value
  }
  return out
}

const concat = (chunks: ReadonlyArray<Uint8Array>, length: number): Uint8Array => {
  const out = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

/**
 * The body of a live `/response`, handed from the Node request to one reader. The request is paused while
 * more than `Limits.liveBufferBytes` wait, and resumed when the reader takes them.
 *
 * @internal
 */
export class LiveBody {
  private chunks: Array<Uint8Array> = []
  private waiting = 0
  private paused = false
  private end: { readonly error: RuntimeApiServer.ReplyAborted | undefined } | undefined = undefined
  private wake: (() => void) | undefined = undefined

  constructor(
    private readonly incoming: Http.IncomingMessage,
    private readonly requestId: string
  ) {}

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk)
    this.waiting += chunk.length
    if (!this.paused && this.waiting > RuntimeApiServer.Limits.liveBufferBytes) {
      this.paused = true
      this.incoming.pause()
    }
    this.wake?.()
  }

  close(cause?: unknown): void {
    if (this.end !== undefined) return
    this.end = {
      error: cause === undefined ? undefined : new RuntimeApiServer.ReplyAborted({ requestId: this.requestId, cause })
    }
    this.wake?.()
  }

  private readonly pull: Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<RuntimeApiServer.ReplyAborted>> =
    Effect.suspend(() => {
      if (this.chunks.length > 0) {
        const out = this.chunks
        this.chunks = []
        this.waiting = 0
        if (this.paused) {
          this.paused = false
          this.incoming.resume()
        }
        return Effect.succeed(Chunk.unsafeFromArray(out))
      }
      if (this.end !== undefined) {
        return Effect.fail(this.end.error === undefined ? Option.none() : Option.some(this.end.error))
      }
      return Effect.async<Chunk.Chunk<Uint8Array>, Option.Option<RuntimeApiServer.ReplyAborted>>((resume) => {
        this.wake = () => {
          this.wake = undefined
          resume(this.pull)
        }
        return Effect.sync(() => {
          this.wake = undefined
        })
      })
    })

  readonly stream: Stream.Stream<Uint8Array, RuntimeApiServer.ReplyAborted> = Stream.repeatEffectChunkOption(this.pull)
}

/**
 * Read a whole request body from the Node request, keeping at most `keep` bytes (or handing them to `live`
 * instead), then its trailers. Fails when the connection closes before the body is complete.
 *
 * @internal
 */
export const readBody = (
  incoming: Http.IncomingMessage,
  keep: number,
  live?: LiveBody
): Effect.Effect<ReceivedBody, BodyAborted> =>
  Effect.async<ReceivedBody, BodyAborted>((resume) => {
    const chunks: Array<Uint8Array> = []
    let length = 0
    let kept = 0
    const onData = (chunk: Buffer) => {
      length += chunk.length
      if (kept < keep) {
        const part = chunk.length <= keep - kept ? chunk : chunk.subarray(0, keep - kept)
        if (live === undefined) {
          chunks.push(part)
          kept += part.length
        } else {
          kept += part.length
          live.push(new Uint8Array(part.buffer, part.byteOffset, part.length))
        }
      }
    }
    const onEnd = () => {
      off()
      live?.close()
      const bytes = live === undefined ? concat(chunks, kept) : new Uint8Array(0)
      resume(Effect.succeed({ bytes, length, trailers: headerRecord(incoming.trailers) }))
    }
    const onError = (cause: unknown) => {
      off()
      live?.close(cause)
      resume(Effect.fail(new BodyAborted({ cause })))
    }
    const onClose = () => {
      if (!incoming.complete) onError(new Error("connection closed"))
    }
    const off = () => {
      incoming.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose)
    }
    if (incoming.readableEnded) {
      live?.close()
      resume(Effect.succeed({ bytes: new Uint8Array(0), length: 0, trailers: headerRecord(incoming.trailers) }))
      return
    }
    incoming.on("data", onData).once("end", onEnd).once("error", onError).once("close", onClose)
    return Effect.sync(off)
  })
