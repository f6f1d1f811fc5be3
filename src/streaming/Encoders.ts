/**
 * Encoders that turn values into the byte stream of a streamed Lambda response, each with the content
 * type that belongs on it: plain UTF-8 text, NDJSON (one JSON value per line) and Server-Sent Events.
 *
 * The two decoders, {@link ndjsonDecode} and {@link sseDecode}, read those formats back from bytes chunked
 * in any way (a line, or a UTF-8 character, may be split across chunks). Tests use them, and so can a
 * function that reads an NDJSON or event stream from elsewhere.
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

const encoder = new TextEncoder()

const heartbeatBytes = encoder.encode(":\n\n")

// -----------------------------------------------------------------------------
// text
// -----------------------------------------------------------------------------

/**
 * The content type of {@link text}.
 *
 * @since 0.1.0
 * @category constants
 */
export const TextContentType = "text/plain; charset=utf-8"

/**
 * Encode each string as UTF-8, one chunk per string. Empty strings are skipped. A lone surrogate
 * (half of a UTF-16 pair) becomes U+FFFD, as in any UTF-8 encoding.
 *
 * @since 0.1.0
 * @category encoding
 */
export const text = <E, R>(self: Stream.Stream<string, E, R>): Stream.Stream<Uint8Array, E, R> =>
  Stream.mapChunks(self, (chunk) => {
    const out: Array<Uint8Array> = []
    for (const s of chunk) {
      if (s.length > 0) out.push(encoder.encode(s))
    }
    return Chunk.unsafeFromArray(out)
  })

// -----------------------------------------------------------------------------
// NDJSON
// -----------------------------------------------------------------------------

/**
 * The content type of {@link ndjson}.
 *
 * @since 0.1.0
 * @category constants
 */
export const NdjsonContentType = "application/x-ndjson"

/**
 * Encode each element with `schema`, then write it as one line: `JSON.stringify` of the encoded value and
 * `"\n"`, one chunk per element. The schema is compiled once per call of `ndjson(schema)`.
 *
 * Fails with a `ParseError` when the schema cannot encode an element, or when the encoded value has no
 * JSON form (`undefined`, a function, a `bigint`, a cycle); the lines before it have been emitted. Note that
 * `JSON.stringify` writes `NaN` and `±Infinity` as `null`: use a schema that rejects or encodes them
 * (`Schema.Finite`, `Schema.NonNaN`) when readers must get them back.
 *
 * @example
 * ```ts
 * import * as Schema from "effect/Schema"
 * import * as Stream from "effect/Stream"
 * import * as Encoders from "effect-lambda-runtime/streaming/Encoders"
 *
 * const Row = Schema.Struct({ id: Schema.Number, at: Schema.DateFromString })
 * const body = Stream.make({ id: 1, at: new Date(0) }).pipe(Encoders.ndjson(Row))
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const ndjson = <A, I, RS>(
  schema: Schema.Schema<A, I, RS>
): (<E, R>(self: Stream.Stream<A, E, R>) => Stream.Stream<Uint8Array, E | ParseResult.ParseError, R | RS>) => {
  const encode = Schema.encode(Schema.parseJson(schema))
  return (self) => Stream.mapEffect(self, (a) => Effect.map(encode(a), (line) => encoder.encode(line + "\n")))
}

/**
 * Read NDJSON: split UTF-8 bytes into lines (ended by LF, CRLF or CR), skip blank lines, and decode each
 * line with `JSON.parse` and `schema`. A last line without a line break is read too. Fails with a
 * `ParseError` on the first line that is not JSON or that the schema rejects.
 *
 * @since 0.1.0
 * @category decoding
 */
export const ndjsonDecode = <A, I, RS>(
  schema: Schema.Schema<A, I, RS>
): (<E, R>(self: Stream.Stream<Uint8Array, E, R>) => Stream.Stream<A, E | ParseResult.ParseError, R | RS>) => {
  const decode = Schema.decode(Schema.parseJson(schema))
  return (self) =>
    Stream.mapEffect(
      decodeUtf8(self, () => {
        const lines = new LineSplitter()
        const push = (text: string, out: Array<string>) =>
          lines.push(text, (line) => {
            if (line.trim().length > 0) out.push(line)
          })
        return {
          push,
          end: (out) => {
            const last = lines.end()
            if (last.trim().length > 0) out.push(last)
          }
        }
      }),
      (line) => decode(line)
    )
}

// -----------------------------------------------------------------------------
// Server-Sent Events
// -----------------------------------------------------------------------------

/**
 * The content type of {@link sse}. Behind a proxy or CDN, also send `cache-control: no-cache` on the HTTP
 * response, so that events are not buffered or cached on the way.
 *
 * @since 0.1.0
 * @category constants
 */
export const SseContentType = "text/event-stream"

/**
 * One Server-Sent Event.
 *
 * - `data`: any string. Each of its lines (split on CRLF, CR or LF) is written as its own `data:` line, so a
 *   client reads it back with every line break turned into LF.
 * - `event`, `id`: CR and LF are removed from them, and NUL is removed from `id` (a client would drop an `id`
 *   holding a NUL). An empty `event` means the default type, `message`.
 * - `retry`: the reconnection time in milliseconds, truncated to an integer; a negative, non-finite or
 *   unsafe integer value is not written.
 * - `comment`: written before the fields as `:` lines (one per line of the comment); clients ignore it.
 *
 * A lone surrogate in any string becomes U+FFFD on the wire.
 *
 * @since 0.1.0
 * @category models
 */
export interface SseEvent {
  readonly data: string
  readonly event?: string | undefined
  readonly id?: string | undefined
  readonly retry?: number | undefined
  readonly comment?: string | undefined
}

/**
 * Options of {@link sse}.
 *
 * - `heartbeat`: when nothing has been written for this long, write a comment frame (`:\n\n`), so that
 *   proxies and clients keep an idle connection open. Off when absent, zero or infinite.
 *
 * @since 0.1.0
 * @category models
 */
export interface SseOptions {
  readonly heartbeat?: Duration.DurationInput | undefined
}

const lineBreak = /\r\n|\r|\n/
const hasLineBreak = /[\r\n]/
const crLf = /[\r\n]/g
const crLfNul = /[\r\n\0]/g

const field = (name: string, value: string): string => (value === "" ? name + ":\n" : name + ": " + value + "\n")

const fieldLines = (name: string, value: string): string => {
  if (!hasLineBreak.test(value)) return field(name, value)
  let out = ""
  for (const line of value.split(lineBreak)) out += field(name, line)
  return out
}

const frame = (input: SseEvent | string): string => {
  if (typeof input === "string") return fieldLines("data", input) + "\n"
  let out = ""
  if (input.comment !== undefined) out += fieldLines("", input.comment)
  if (input.event !== undefined) out += field("event", input.event.replace(crLf, ""))
  if (input.id !== undefined) out += field("id", input.id.replace(crLfNul, ""))
  if (input.retry !== undefined) {
    const ms = Math.trunc(input.retry)
    if (Number.isSafeInteger(ms) && ms >= 0) out += "retry: " + ms + "\n"
  }
  return out + fieldLines("data", input.data) + "\n"
}

const frames = <E, R>(self: Stream.Stream<SseEvent | string, E, R>): Stream.Stream<Uint8Array, E, R> =>
  Stream.mapChunks(self, (chunk) => {
    if (Chunk.isEmpty(chunk)) return Chunk.empty()
    let out = ""
    for (const input of chunk) out += frame(input)
    return Chunk.of(encoder.encode(out))
  })

const idleHeartbeat = (lastSent: Ref.Ref<number>, interval: number): Effect.Effect<Uint8Array> =>
  Effect.flatMap(Effect.zip(Ref.get(lastSent), Clock.currentTimeMillis), ([last, now]) =>
    now - last >= interval
      ? Effect.as(Ref.set(lastSent, now), heartbeatBytes)
      : Effect.zipRight(Effect.sleep(last + interval - now), idleHeartbeat(lastSent, interval))
  )

/**
 * Encode events as a `text/event-stream` body, per the WHATWG EventSource format (see {@link SseEvent} for
 * how each field is written). A string is an event with only `data`. Each event ends with a blank line, and
 * every event is written whole inside one chunk (the events of one input chunk share one chunk), so a
 * heartbeat never lands inside an event.
 *
 * With `heartbeat`, a comment frame is written whenever the source has been idle for that long; the
 * heartbeat stops when the source ends, and a failure of the source ends the stream with that failure.
 *
 * Call it with the stream (`Encoders.sse(events, options)`) or, in a pipe, with the options only:
 * `events.pipe(Encoders.sse())`.
 *
 * @example
 * ```ts
 * import * as Stream from "effect/Stream"
 * import * as Encoders from "effect-lambda-runtime/streaming/Encoders"
 *
 * const body = Stream.make({ event: "tick", id: "1", data: "hello\nworld" }, "done").pipe(
 *   Encoders.sse({ heartbeat: "15 seconds" })
 * )
 * // event: tick\nid: 1\ndata: hello\ndata: world\n\ndata: done\n\n
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const sse: {
  (options?: SseOptions): <E, R>(self: Stream.Stream<SseEvent | string, E, R>) => Stream.Stream<Uint8Array, E, R>
  <E, R>(self: Stream.Stream<SseEvent | string, E, R>, options?: SseOptions): Stream.Stream<Uint8Array, E, R>
} = dual(
  (args) => Predicate.hasProperty(args[0], Stream.StreamTypeId),
  <E, R>(self: Stream.Stream<SseEvent | string, E, R>, options?: SseOptions): Stream.Stream<Uint8Array, E, R> => {
    const encoded = frames(self)
    if (options?.heartbeat === undefined) return encoded
    const interval = Duration.toMillis(Duration.decode(options.heartbeat))
    if (!(interval > 0 && Number.isFinite(interval))) return encoded
    return Stream.unwrap(
      Effect.map(Effect.flatMap(Clock.currentTimeMillis, Ref.make), (lastSent) =>
        Stream.merge(
          Stream.tap(encoded, () => Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.set(lastSent, now))),
          Stream.repeatEffect(idleHeartbeat(lastSent, interval)),
          { haltStrategy: "left" }
        )
      )
    )
  }
)

interface SseParser {
  data: string
  event: string
  id: string | undefined
  retry: number | undefined
}

const digits = /^[0-9]+$/

const sseLine = (state: SseParser, line: string, out: Array<SseEvent>): void => {
  if (line === "") {
    if (state.data !== "") {
      const event: { -readonly [K in keyof SseEvent]: SseEvent[K] } = { data: state.data.slice(0, -1) }
      if (state.event !== "") event.event = state.event
      if (state.id !== undefined) event.id = state.id
      if (state.retry !== undefined) event.retry = state.retry
      out.push(event)
      state.id = undefined
      state.retry = undefined
    }
    state.data = ""
    state.event = ""
    return
  }
  const colon = line.indexOf(":")
  if (colon === 0) return
  const name = colon === -1 ? line : line.slice(0, colon)
  let value = colon === -1 ? "" : line.slice(colon + 1)
  if (value.charCodeAt(0) === 32) value = value.slice(1)
  switch (name) {
    case "data":
      state.data += value + "\n"
      break
    case "event":
      state.event = value
      break
    case "id":
      if (!value.includes("\0")) state.id = value
      break
    case "retry":
      if (digits.test(value)) state.retry = Number(value)
      break
  }
}

/**
 * Parse a `text/event-stream` body into the events an EventSource client would dispatch, following the
 * WHATWG parsing rules: UTF-8 with one leading BOM stripped, lines ended by CRLF, CR or LF, comment lines
 * (`:`) ignored, a line without a colon is a field with an empty value, one space after the colon is
 * removed, `data` lines are joined with LF, `retry` is accepted only when it is all ASCII digits, an `id`
 * holding NUL is ignored, unknown fields are ignored, a block with no `data` dispatches nothing, and an
 * event not ended by a blank line at the end of the stream is dropped.
 *
 * `event` is present when the event type is not empty (a client would report `message`). `id` and `retry`
 * are present on the first event dispatched after the field was read, so a client's last event ID at any
 * event is the latest `id` reported so far. Comments are not reported.
 *
 * @since 0.1.0
 * @category decoding
 */
export const sseDecode = <E, R>(self: Stream.Stream<Uint8Array, E, R>): Stream.Stream<SseEvent, E, R> =>
  decodeUtf8(self, () => {
    const state: SseParser = { data: "", event: "", id: undefined, retry: undefined }
    const lines = new LineSplitter()
    return {
      push: (text, out) => lines.push(text, (line) => sseLine(state, line, out)),
      end: () => {}
    }
  })

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

interface TextParser<A> {
  readonly push: (text: string, out: Array<A>) => void
  readonly end: (out: Array<A>) => void
}

const decodeUtf8 = <A, E, R>(
  self: Stream.Stream<Uint8Array, E, R>,
  makeParser: () => TextParser<A>
): Stream.Stream<A, E, R> =>
  Stream.suspend(() => {
    const decoder = new TextDecoder()
    const parser = makeParser()
    const body = Stream.mapChunks(self, (chunk) => {
      const out: Array<A> = []
      for (const bytes of chunk) parser.push(decoder.decode(bytes, { stream: true }), out)
      return Chunk.unsafeFromArray(out)
    })
    const rest = Stream.suspend(() => {
      const out: Array<A> = []
      parser.push(decoder.decode(), out)
      parser.end(out)
      return Stream.fromChunk(Chunk.unsafeFromArray(out))
    })
    return Stream.concat(body, rest)
  })

class LineSplitter {
  private partial = ""
  private afterCr = false

  push(text: string, onLine: (line: string) => void): void {
    let start = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 10) {
        if (this.afterCr) {
          this.afterCr = false
          start = i + 1
          continue
        }
        onLine(this.take(text, start, i))
        start = i + 1
      } else if (c === 13) {
        onLine(this.take(text, start, i))
        this.afterCr = true
        start = i + 1
      } else {
        this.afterCr = false
      }
    }
    if (start < text.length) this.partial += text.slice(start)
  }

  end(): string {
    const last = this.partial
    this.partial = ""
    return last
  }

  private take(text: string, start: number, end: number): string {
    if (this.partial === "") return text.slice(start, end)
    const line = this.partial + text.slice(start, end)
    this.partial = ""
    return line
  }
}
