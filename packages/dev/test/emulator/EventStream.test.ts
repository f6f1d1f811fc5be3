import { EventStreamCodec } from "@smithy/eventstream-codec"
import { fromUtf8, toUtf8 } from "@smithy/util-utf8"
import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as EventStream from "../../src/emulator/EventStream.js"

const codec = new EventStreamCodec(toUtf8, fromUtf8)
const headerValue = (message: ReturnType<typeof codec.decode>, name: string) => message.headers[name]?.value

describe("EventStream", () => {
  it("a PayloadChunk is an event message carrying the bytes as its payload", () => {
    const message = codec.decode(EventStream.payloadChunk(new Uint8Array([0, 1, 2, 255])))
    assert.strictEqual(headerValue(message, ":event-type"), "PayloadChunk")
    assert.strictEqual(headerValue(message, ":message-type"), "event")
    assert.strictEqual(headerValue(message, ":content-type"), "application/octet-stream")
    assert.deepStrictEqual([...message.body], [0, 1, 2, 255])
  })

  it("InvokeComplete carries its fields as a JSON object", () => {
    const message = codec.decode(EventStream.invokeComplete({ ErrorCode: "UpstreamClosed", ErrorDetails: "gone" }))
    assert.strictEqual(headerValue(message, ":event-type"), "InvokeComplete")
    assert.strictEqual(headerValue(message, ":content-type"), "application/json")
    assert.deepStrictEqual(JSON.parse(new TextDecoder().decode(message.body)), {
      ErrorCode: "UpstreamClosed",
      ErrorDetails: "gone"
    })
    assert.deepStrictEqual(JSON.parse(new TextDecoder().decode(codec.decode(EventStream.invokeComplete({})).body)), {})
  })

  it.prop(
    "any sequence of chunks, then InvokeComplete, decodes back to the same events",
    [
      FastCheck.array(FastCheck.uint8Array({ maxLength: 2048 }), { maxLength: 8 }),
      FastCheck.option(FastCheck.string())
    ],
    ([chunks, errorCode]) => {
      const complete = errorCode === null ? {} : { ErrorCode: errorCode, ErrorDetails: `details of ${errorCode}` }
      const wire = Buffer.concat([...chunks.map(EventStream.payloadChunk), EventStream.invokeComplete(complete)])
      const events = EventStream.decodeAll(new Uint8Array(wire))
      assert.strictEqual(events.length, chunks.length + 1)
      chunks.forEach((chunk, i) => {
        assert.strictEqual(events[i]!.eventType, "PayloadChunk")
        assert.deepStrictEqual([...events[i]!.body], [...chunk])
      })
      const last = events[chunks.length]!
      assert.strictEqual(last.eventType, "InvokeComplete")
      assert.deepStrictEqual(JSON.parse(new TextDecoder().decode(last.body)), complete)
    }
  )

  it("decodeAll refuses a truncated or corrupted stream", () => {
    const wire = EventStream.payloadChunk(new Uint8Array([1, 2, 3]))
    assert.throws(() => EventStream.decodeAll(wire.subarray(0, wire.length - 1)))
    const corrupted = new Uint8Array(wire)
    corrupted[wire.length - 5] ^= 0xff
    assert.throws(() => EventStream.decodeAll(corrupted))
  })
})
