/**
 * The AWS event-stream encoding of `InvokeWithResponseStream` replies: one `PayloadChunk` event per piece of
 * the function's body, then one `InvokeComplete` event (with `ErrorCode` and `ErrorDetails` when the
 * invocation failed). Framing (prelude, headers, CRCs) is done by `@smithy/eventstream-codec`, the codec the
 * AWS SDKs use to read these streams.
 *
 * @since 0.1.0
 */
import { EventStreamCodec } from "@smithy/eventstream-codec"
import { fromUtf8, toUtf8 } from "@smithy/util-utf8"

/**
 * The `InvokeComplete` event's fields, as the Lambda API names them.
 *
 * @since 0.1.0
 * @category models
 */
export interface InvokeComplete {
  readonly ErrorCode?: string
  readonly ErrorDetails?: string
  /** The last 4 KB of the invocation's log, base64-encoded. */
  readonly LogResult?: string
}

/**
 * One decoded event-stream message.
 *
 * @since 0.1.0
 * @category models
 */
export interface Event {
  readonly eventType: string
  readonly messageType: string
  readonly contentType: string | undefined
  readonly body: Uint8Array
}

const codec = new EventStreamCodec(toUtf8, fromUtf8)

const message = (eventType: string, contentType: string, body: Uint8Array): Uint8Array =>
  codec.encode({
    headers: {
      ":event-type": { type: "string", value: eventType },
      ":message-type": { type: "string", value: "event" },
      ":content-type": { type: "string", value: contentType }
    },
    body
  })

/**
 * A `PayloadChunk` event carrying `bytes` as its payload.
 *
 * @since 0.1.0
 * @category encoding
 */
export const payloadChunk = (bytes: Uint8Array): Uint8Array =>
  message("PayloadChunk", "application/octet-stream", bytes)

/**
 * The `InvokeComplete` event that ends every reply; its fields are sent as a JSON object.
 *
 * @since 0.1.0
 * @category encoding
 */
export const invokeComplete = (fields: InvokeComplete): Uint8Array =>
  message("InvokeComplete", "application/json", fromUtf8(JSON.stringify(fields)))

/**
 * The content type of an event-stream body.
 *
 * @since 0.1.0
 * @category constants
 */
export const ContentType = "application/vnd.amazon.eventstream"

const headerString = (headers: Record<string, { readonly type: string; readonly value: unknown }>, name: string) => {
  const header = headers[name]
  return header !== undefined && header.type === "string" ? String(header.value) : undefined
}

/**
 * Split a complete event-stream body into its events. Throws when the framing or a checksum is wrong.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeAll = (bytes: Uint8Array): ReadonlyArray<Event> => {
  const events: Array<Event> = []
  let offset = 0
  while (offset < bytes.length) {
    if (bytes.length - offset < 4) throw new Error("event stream: truncated message prelude")
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 4)
    const length = view.getUint32(0)
    if (length < 16 || offset + length > bytes.length) throw new Error("event stream: truncated message")
    const decoded = codec.decode(bytes.subarray(offset, offset + length))
    events.push({
      eventType: headerString(decoded.headers, ":event-type") ?? "",
      messageType: headerString(decoded.headers, ":message-type") ?? "",
      contentType: headerString(decoded.headers, ":content-type"),
      body: decoded.body
    })
    offset += length
  }
  return events
}
