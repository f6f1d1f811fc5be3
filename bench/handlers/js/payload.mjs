/**
 * Data shared by every client's handlers, so each client sends exactly the same bytes.
 */

/** Size of the json-1mb reply, in bytes (the JSON text is ASCII). */
export const MEGABYTE = 1024 * 1024

/**
 * A 1 MiB reply, built once at init: an order listing with realistic records, padded so that
 * `JSON.stringify(reply)` is exactly {@link MEGABYTE} bytes.
 */
export const megabyteReply = () => {
  const items = []
  const reply = { page: 1, items, next: "cursor-2", pad: "" }
  // The text's length is kept as items are added (each item's own text, and a comma after the first), so the
  // build is linear: stringifying the whole reply after each item took seconds at every client's init.
  let length = JSON.stringify(reply).length
  for (let i = 0; ; i++) {
    const item = {
      id: `ord-${100000 + i}`,
      customer: { id: `c-${1000 + (i % 97)}`, name: `Customer ${i % 97}`, tier: i % 3 === 0 ? "gold" : "silver" },
      items: [
        { sku: `SKU-${i % 501}`, qty: 1 + (i % 4), price: 9.99 + (i % 50) },
        { sku: `SKU-${(i * 7) % 501}`, qty: 1, price: 4.5 }
      ],
      total: Math.round((9.99 + (i % 50)) * (1 + (i % 4)) * 100 + 450) / 100,
      paid: i % 5 !== 0,
      createdAt: "2026-03-12T10:15:42.000Z"
    }
    const added = JSON.stringify(item).length + (items.length > 0 ? 1 : 0)
    if (length + added > MEGABYTE - 400) break
    items.push(item)
    length += added
  }
  reply.pad = "x".repeat(MEGABYTE - length)
  if (JSON.stringify(reply).length !== MEGABYTE) throw new Error("json-1mb: the reply is not exactly 1 MiB")
  return reply
}

/** A chunk of `size` bytes where byte i = i % 251 (the pattern of examples/stream.ts). */
export const patternChunk = (size) => {
  const chunk = new Uint8Array(size)
  for (let i = 0; i < size; i++) chunk[i] = i % 251
  return chunk
}

/**
 * A copy of `chunk` whose first 8 bytes are the current CLOCK_MONOTONIC time in ns (little-endian): the benchmark's
 * server reads it from the first body bytes it receives, to time "emitted by the handler → received".
 */
export const stampedChunk = (chunk) => {
  const copy = Buffer.from(chunk)
  if (copy.length >= 8) copy.writeBigUInt64LE(process.hrtime.bigint(), 0)
  return copy
}
