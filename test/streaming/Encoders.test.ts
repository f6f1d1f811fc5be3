import { assert, describe, it } from "@effect/vitest"
import {
  Chunk,
  Clock,
  Data,
  Effect,
  Either,
  FastCheck as fc,
  Fiber,
  Queue,
  Ref,
  Schedule,
  Schema,
  Stream,
  TestClock
} from "effect"
import * as Encoders from "../../src/streaming/Encoders.js"

class Boom extends Data.TaggedError("Boom")<{ readonly n: number }> {}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const fromUtf8 = (bytes: Uint8Array): string => new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes)

const concat = (chunks: Iterable<Uint8Array>): Uint8Array => {
  const all = Array.from(chunks)
  const out = new Uint8Array(all.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of all) {
    out.set(c, at)
    at += c.length
  }
  return out
}

const bytesOf = <E>(stream: Stream.Stream<Uint8Array, E>): Effect.Effect<Uint8Array, E> =>
  Effect.map(Stream.runCollect(stream), concat)

const textOf = <E>(stream: Stream.Stream<Uint8Array, E>): Effect.Effect<string, E> =>
  Effect.map(bytesOf(stream), fromUtf8)

/** Split `bytes` at the given offsets (taken modulo its length + 1): any byte boundary, mid-character too. */
const rechunk = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Stream.Stream<Uint8Array> => {
  const offsets = Array.from(new Set(cuts.map((c) => c % (bytes.length + 1)))).sort((a, b) => a - b)
  const pieces: Array<Uint8Array> = []
  let start = 0
  for (const end of [...offsets, bytes.length]) {
    pieces.push(bytes.subarray(start, end))
    start = end
  }
  return Stream.fromIterable(pieces)
}

const fromStrings = (...parts: Array<string>): Stream.Stream<Uint8Array> => Stream.fromIterable(parts.map(utf8))

const cuts = fc.array(fc.nat(), { maxLength: 24 })

const char = fc.oneof(
  fc.constantFrom("\n", "\r\n", "\r", " ", ":", "\0", "\uFEFF", "é", "€", "😀", "a", "data: x"),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 })
)
const anyString = fc.string({ unit: char, maxLength: 40 })
const noLineBreak = fc.string({ unit: char, maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, ""))

const normalizeBreaks = (s: string): string => s.replace(/\r\n|\r/g, "\n")

describe("Encoders", () => {
  describe("text", () => {
    it.effect("writes one UTF-8 chunk per non-empty string", () =>
      Effect.gen(function* () {
        const chunks = yield* Stream.make("héllo", "", " wörld 😀", "").pipe(Encoders.text, Stream.runCollect)
        assert.deepStrictEqual(Chunk.toReadonlyArray(chunks).map(fromUtf8), ["héllo", " wörld 😀"])
        assert.deepStrictEqual(Chunk.toReadonlyArray(chunks)[0], utf8("héllo"))
        assert.strictEqual(Encoders.TextContentType, "text/plain; charset=utf-8")
      })
    )

    it.effect.prop(
      "the bytes are the UTF-8 of the concatenated strings",
      [fc.array(fc.string({ unit: "binary", maxLength: 20 }), { maxLength: 10 })],
      ([strings]) =>
        Effect.gen(function* () {
          const chunks = yield* Stream.fromIterable(strings).pipe(Encoders.text, Stream.runCollect)
          assert.strictEqual(chunks.length, strings.filter((s) => s.length > 0).length)
          assert.strictEqual(fromUtf8(concat(chunks)), strings.join(""))
        })
    )

    it.effect("a typed failure of the source propagates unchanged", () =>
      Effect.gen(function* () {
        const error = new Boom({ n: 1 })
        const failed = yield* Stream.concat(Stream.make("a"), Stream.fail(error)).pipe(
          Encoders.text,
          Stream.runCollect,
          Effect.flip
        )
        assert.strictEqual(failed, error)
      })
    )
  })

  describe("ndjson", () => {
    const Row = Schema.Struct({ n: Schema.Number, s: Schema.String, tags: Schema.Array(Schema.String) })

    const row = fc.record({
      n: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => n + 0),
      s: fc.oneof(anyString, fc.constantFrom("\uD800", "a\uDFFFb", "\u2028\u2029")),
      tags: fc.array(anyString, { maxLength: 4 })
    })

    it.effect("writes one JSON line per element, encoded by the schema", () =>
      Effect.gen(function* () {
        const Event = Schema.Struct({ id: Schema.Number, at: Schema.DateFromString, note: Schema.String })
        const chunks = yield* Stream.make(
          { id: 1, at: new Date("2020-01-01T00:00:00.000Z"), note: "a\nb" },
          { id: 2, at: new Date(0), note: "é" }
        ).pipe(Encoders.ndjson(Event), Stream.runCollect)
        assert.deepStrictEqual(Chunk.toReadonlyArray(chunks).map(fromUtf8), [
          `{"id":1,"at":"2020-01-01T00:00:00.000Z","note":"a\\nb"}\n`,
          `{"id":2,"at":"1970-01-01T00:00:00.000Z","note":"é"}\n`
        ])
        assert.strictEqual(Encoders.NdjsonContentType, "application/x-ndjson")
      })
    )

    it.effect.prop(
      "ndjsonDecode(ndjson(xs)) == xs, for any re-chunking of the bytes",
      [fc.array(row, { maxLength: 8 }), cuts],
      ([rows, offsets]) =>
        Effect.gen(function* () {
          const bytes = yield* bytesOf(Stream.fromIterable(rows).pipe(Encoders.ndjson(Row)))
          const decoded = yield* rechunk(bytes, offsets).pipe(Encoders.ndjsonDecode(Row), Stream.runCollect)
          assert.deepStrictEqual(Chunk.toReadonlyArray(decoded), rows)
        })
    )

    it.effect("fails with a ParseError when the schema cannot encode an element, after the lines before it", () =>
      Effect.gen(function* () {
        const out = yield* Stream.make({ n: 1 }, { n: 1.5 }, { n: 2 }).pipe(
          Encoders.ndjson(Schema.Struct({ n: Schema.Int })),
          Stream.either,
          Stream.runCollect
        )
        const [first, second] = Chunk.toReadonlyArray(out)
        assert.strictEqual(out.length, 2)
        assert.isTrue(first !== undefined && Either.isRight(first) && fromUtf8(first.right) === `{"n":1}\n`)
        assert.isTrue(second !== undefined && Either.isLeft(second) && second.left._tag === "ParseError")
      })
    )

    it.effect("fails with a ParseError when the encoded value has no JSON form", () =>
      Effect.gen(function* () {
        const noJson = yield* Stream.make(undefined).pipe(
          Encoders.ndjson(Schema.Unknown),
          Stream.runCollect,
          Effect.flip
        )
        assert.strictEqual(noJson._tag, "ParseError")
        const bigint = yield* Stream.make(1n).pipe(Encoders.ndjson(Schema.Unknown), Stream.runCollect, Effect.flip)
        assert.strictEqual(bigint._tag, "ParseError")
      })
    )

    it.effect("a typed failure of the source propagates unchanged", () =>
      Effect.gen(function* () {
        const error = new Boom({ n: 2 })
        const failed = yield* Stream.concat(Stream.make({ n: 1, s: "", tags: [] }), Stream.fail(error)).pipe(
          Encoders.ndjson(Row),
          Stream.runCollect,
          Effect.flip
        )
        assert.strictEqual(failed, error)
      })
    )

    it.effect("ndjsonDecode reads CRLF and CR line ends, skips blank lines, reads a last line without a break", () =>
      Effect.gen(function* () {
        const out = yield* fromStrings(`{"a":1}\r`, `\n\n  \r\n{"a":2}\r{"a`, `":3}`).pipe(
          Encoders.ndjsonDecode(Schema.Struct({ a: Schema.Number })),
          Stream.runCollect
        )
        assert.deepStrictEqual(Chunk.toReadonlyArray(out), [{ a: 1 }, { a: 2 }, { a: 3 }])
      })
    )

    it.effect("ndjsonDecode fails with a ParseError on a line that is not JSON or not of the schema", () =>
      Effect.gen(function* () {
        const Num = Schema.Struct({ a: Schema.Number })
        const notJson = yield* fromStrings(`{"a":1}\n{nope}\n`).pipe(
          Encoders.ndjsonDecode(Num),
          Stream.runCollect,
          Effect.flip
        )
        assert.strictEqual(notJson._tag, "ParseError")
        const wrong = yield* fromStrings(`{"a":"x"}\n`).pipe(Encoders.ndjsonDecode(Num), Stream.runCollect, Effect.flip)
        assert.strictEqual(wrong._tag, "ParseError")
      })
    )
  })

  describe("sse", () => {
    const sseText = (...events: Array<Encoders.SseEvent | string>) => textOf(Encoders.sse(Stream.fromIterable(events)))

    it.effect("writes exact frames", () =>
      Effect.gen(function* () {
        assert.strictEqual(yield* sseText("hello"), "data: hello\n\n")
        assert.strictEqual(
          yield* sseText({ event: "update", id: "42", retry: 3000, data: "l1\r\nl2\rl3\nl4" }),
          "event: update\nid: 42\nretry: 3000\ndata: l1\ndata: l2\ndata: l3\ndata: l4\n\n"
        )
        assert.strictEqual(yield* sseText({ data: "" }), "data:\n\n")
        assert.strictEqual(yield* sseText({ data: "a\n" }), "data: a\ndata:\n\n")
        assert.strictEqual(yield* sseText({ data: " lead" }), "data:  lead\n\n")
        assert.strictEqual(yield* sseText({ comment: "keep\nalive", data: "x" }), ": keep\n: alive\ndata: x\n\n")
        assert.strictEqual(yield* sseText({ id: "", event: "", data: "x" }), "event:\nid:\ndata: x\n\n")
        assert.strictEqual(yield* sseText("a", { data: "b" }), "data: a\n\ndata: b\n\n")
        assert.strictEqual(Encoders.SseContentType, "text/event-stream")
      })
    )

    it.effect("removes CR and LF from event and id, NUL from id, and drops an invalid retry", () =>
      Effect.gen(function* () {
        assert.strictEqual(
          yield* sseText({ event: "a\r\nb\rc\nd", id: "1\n2\u00003\r", data: "x" }),
          "event: abcd\nid: 123\ndata: x\n\n"
        )
        assert.strictEqual(yield* sseText({ retry: 1.9, data: "x" }), "retry: 1\ndata: x\n\n")
        for (const retry of [-1, Number.NaN, Number.POSITIVE_INFINITY, 1e21]) {
          assert.strictEqual(yield* sseText({ retry, data: "x" }), "data: x\n\n")
        }
      })
    )

    it.effect("writes the events of one input chunk as one byte chunk", () =>
      Effect.gen(function* () {
        const chunks = yield* Stream.make("a", { data: "b", id: "1" }).pipe(Encoders.sse(), Stream.runCollect)
        assert.strictEqual(chunks.length, 1)
      })
    )

    const sseEvent = fc.oneof(
      anyString,
      fc.record(
        {
          data: anyString,
          event: noLineBreak.filter((s) => s.length > 0),
          id: noLineBreak.map((s) => s.replace(/\0/g, "")),
          retry: fc.maxSafeNat(),
          comment: anyString
        },
        { requiredKeys: ["data"] }
      )
    )

    const expected = (input: Encoders.SseEvent | string): Encoders.SseEvent => {
      if (typeof input === "string") return { data: normalizeBreaks(input) }
      return {
        data: normalizeBreaks(input.data),
        ...(input.event === undefined ? {} : { event: input.event }),
        ...(input.id === undefined ? {} : { id: input.id }),
        ...(input.retry === undefined ? {} : { retry: input.retry })
      }
    }

    it.effect.prop(
      "sseDecode(sse(events)) == events (line breaks in data read back as LF), for any re-chunking",
      [fc.array(sseEvent, { maxLength: 8 }), cuts],
      ([events, offsets]) =>
        Effect.gen(function* () {
          const bytes = yield* bytesOf(Encoders.sse(Stream.fromIterable(events)))
          const decoded = yield* rechunk(bytes, offsets).pipe(Encoders.sseDecode, Stream.runCollect)
          assert.deepStrictEqual(Chunk.toReadonlyArray(decoded), events.map(expected))
        })
    )

    it.effect.prop(
      "any field values give exactly one event per input, with event and id cleaned and retry kept only if valid",
      [
        fc.array(
          fc.record(
            {
              data: anyString,
              event: anyString,
              id: anyString,
              retry: fc.oneof(fc.double(), fc.integer()),
              comment: anyString
            },
            { requiredKeys: ["data"] }
          ),
          { maxLength: 6 }
        ),
        cuts
      ],
      ([events, offsets]) =>
        Effect.gen(function* () {
          const bytes = yield* bytesOf(Encoders.sse(Stream.fromIterable(events)))
          const decoded = yield* rechunk(bytes, offsets).pipe(Encoders.sseDecode, Stream.runCollect)
          const want = events.map((e): Encoders.SseEvent => {
            const event = e.event?.replace(/[\r\n]/g, "")
            const retry = e.retry === undefined ? undefined : Math.trunc(e.retry)
            return {
              data: normalizeBreaks(e.data),
              ...(event === undefined || event === "" ? {} : { event }),
              ...(e.id === undefined ? {} : { id: e.id.replace(/[\r\n\0]/g, "") }),
              ...(retry !== undefined && Number.isSafeInteger(retry) && retry >= 0 ? { retry: retry + 0 } : {})
            }
          })
          assert.deepStrictEqual(Chunk.toReadonlyArray(decoded), want)
        })
    )

    describe("heartbeat", () => {
      it.effect("writes a comment only after the interval without output, and ends with the source", () =>
        Effect.gen(function* () {
          const queue = yield* Queue.unbounded<string>()
          const seen = yield* Ref.make<ReadonlyArray<readonly [number, string]>>([])
          const fiber = yield* Stream.fromQueue(queue).pipe(
            Stream.takeWhile((s) => s !== "end"),
            Encoders.sse({ heartbeat: "10 seconds" }),
            Stream.runForEach((bytes) =>
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                Ref.update(seen, (all) => [...all, [now, fromUtf8(bytes)] as const])
              )
            ),
            Effect.fork
          )
          yield* TestClock.adjust("25 seconds")
          yield* Queue.offer(queue, "a")
          yield* TestClock.adjust("9 seconds")
          yield* Queue.offer(queue, "b")
          yield* TestClock.adjust("15 seconds")
          yield* Queue.offer(queue, "end")
          yield* Fiber.join(fiber)
          yield* TestClock.adjust("60 seconds")
          assert.deepStrictEqual(yield* Ref.get(seen), [
            [10_000, ":\n\n"],
            [20_000, ":\n\n"],
            [25_000, "data: a\n\n"],
            [34_000, "data: b\n\n"],
            [44_000, ":\n\n"]
          ])
        })
      )

      it.effect("writes no heartbeat while events come more often than the interval", () =>
        Effect.gen(function* () {
          const fiber = yield* Stream.make("a", "b", "c", "d").pipe(
            Stream.schedule(Schedule.spaced("7 seconds")),
            Encoders.sse({ heartbeat: "10 seconds" }),
            Stream.runCollect,
            Effect.fork
          )
          yield* TestClock.adjust("60 seconds")
          const out = yield* Fiber.join(fiber)
          assert.deepStrictEqual(Chunk.toReadonlyArray(out).map(fromUtf8), [
            "data: a\n\n",
            "data: b\n\n",
            "data: c\n\n",
            "data: d\n\n"
          ])
        })
      )

      it.effect("a source that ends at once ends the stream without a heartbeat", () =>
        Effect.gen(function* () {
          const out = yield* Stream.make("a").pipe(Encoders.sse({ heartbeat: "1 second" }), Stream.runCollect)
          assert.deepStrictEqual(Chunk.toReadonlyArray(out).map(fromUtf8), ["data: a\n\n"])
        })
      )

      it.effect("a typed failure of the source propagates unchanged", () =>
        Effect.gen(function* () {
          const error = new Boom({ n: 3 })
          const fiber = yield* Stream.concat(
            Stream.make("a"),
            Stream.fromEffect(Effect.zipRight(Effect.sleep("15 seconds"), Effect.fail(error)))
          ).pipe(Encoders.sse({ heartbeat: "10 seconds" }), Stream.either, Stream.runCollect, Effect.fork)
          yield* TestClock.adjust("30 seconds")
          const out = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
          assert.deepStrictEqual(
            out.map((e) => (Either.isRight(e) ? fromUtf8(e.right) : e.left)),
            ["data: a\n\n", ":\n\n", error]
          )
          const last = out[2]
          assert.isTrue(last !== undefined && Either.isLeft(last) && last.left === error)
        })
      )
    })

    it.effect("a typed failure of the source propagates unchanged", () =>
      Effect.gen(function* () {
        const error = new Boom({ n: 4 })
        const failed = yield* Stream.concat(Stream.make("a"), Stream.fail(error)).pipe(
          Encoders.sse(),
          Stream.runCollect,
          Effect.flip
        )
        assert.strictEqual(failed, error)
      })
    )
  })

  describe("sseDecode", () => {
    const decode = (...parts: Array<string>) =>
      Effect.map(Stream.runCollect(Encoders.sseDecode(fromStrings(...parts))), Chunk.toReadonlyArray)

    it.effect("follows the WHATWG examples", () =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* decode("data: YHOO\ndata: +2\ndata: 10\n\n"), [{ data: "YHOO\n+2\n10" }])
        assert.deepStrictEqual(
          yield* decode(": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"),
          [{ data: "first event", id: "1" }, { data: "second event", id: "" }, { data: " third event" }]
        )
        assert.deepStrictEqual(yield* decode("data\n\ndata\ndata\n\ndata:"), [{ data: "" }, { data: "\n" }])
        assert.deepStrictEqual(yield* decode("data:test\n\ndata: test\n\n"), [{ data: "test" }, { data: "test" }])
      })
    )

    it.effect("strips one leading BOM only", () =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* decode("\uFEFFdata: x\n\n"), [{ data: "x" }])
        assert.deepStrictEqual(yield* decode("\uFEFF\uFEFFdata: x\n\ndata: y\n\n"), [{ data: "y" }])
      })
    )

    it.effect("treats CR LF split across chunks as one line end", () =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* decode("data: a\r", "\ndata: b\r\n\r\n"), [{ data: "a\nb" }])
        assert.deepStrictEqual(yield* decode("data: a\r\rdata: b\r\r"), [{ data: "a" }, { data: "b" }])
      })
    )

    it.effect("accepts retry only when all ASCII digits, and ignores an id holding NUL", () =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* decode("retry: 1000\ndata: x\n\n"), [{ data: "x", retry: 1000 }])
        for (const retry of ["1e3", "-1", "10 ", "", " 5", "1.5"]) {
          assert.deepStrictEqual(yield* decode(`retry: ${retry}\ndata: x\n\n`), [{ data: "x" }])
        }
        assert.deepStrictEqual(yield* decode("id: 1\ndata: x\n\nid: a\u0000b\ndata: y\n\n"), [
          { data: "x", id: "1" },
          { data: "y" }
        ])
      })
    )

    it.effect("reports id and retry on the next dispatched event, and resets the event type on a blank line", () =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* decode("id: 7\nretry: 5\n\ndata: x\n\n"), [{ data: "x", id: "7", retry: 5 }])
        assert.deepStrictEqual(yield* decode("event: foo\n\ndata: x\n\n"), [{ data: "x" }])
        assert.deepStrictEqual(yield* decode("event\ndata: x\n\n"), [{ data: "x" }])
        assert.deepStrictEqual(yield* decode("event: a:b\ndata: x\n\n"), [{ data: "x", event: "a:b" }])
      })
    )

    it.effect("ignores comments and unknown fields, and drops an event not ended by a blank line", () =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* decode(":c\nfoo: bar\nDATA: no\ndata: x\n\n"), [{ data: "x" }])
        assert.deepStrictEqual(yield* decode("data: x\n\ndata: y\n"), [{ data: "x" }])
      })
    )

    it.effect("decodes invalid UTF-8 as U+FFFD, and UTF-8 split across chunks", () =>
      Effect.gen(function* () {
        const euro = utf8("data: €\n\n")
        const split = yield* Stream.runCollect(Encoders.sseDecode(rechunk(euro, [7, 8])))
        assert.deepStrictEqual(Chunk.toReadonlyArray(split), [{ data: "€" }])
        const invalid = yield* Stream.runCollect(
          Encoders.sseDecode(Stream.make(utf8("data: a"), new Uint8Array([0xff]), utf8("b\n\n")))
        )
        assert.deepStrictEqual(Chunk.toReadonlyArray(invalid), [{ data: "a\uFFFDb" }])
      })
    )

    it.effect("a typed failure of the source propagates unchanged", () =>
      Effect.gen(function* () {
        const error = new Boom({ n: 5 })
        const failed = yield* Stream.concat(fromStrings("data: x\n\n"), Stream.fail(error)).pipe(
          Encoders.sseDecode,
          Stream.runCollect,
          Effect.flip
        )
        assert.strictEqual(failed, error)
      })
    )
  })
})
