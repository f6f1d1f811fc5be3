/**
 * From an `HttpServerResponse` to the parts every front needs: a status, clean headers, `Set-Cookie` values,
 * and the body as bytes or as a stream.
 *
 * @internal
 */
import * as Cookies from "@effect/platform/Cookies"
import type * as HttpBody from "@effect/platform/HttpBody"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

// Built-ins are loaded, not imported: an ES module import of one makes Node read every export, and node:http's
// lazy `WebSocket` loads undici with tls, http2, crypto and zlib (an HTTP function on Node 22 reached its first
// `/next` 74 ms later with it).
const { isUtf8 } = process.getBuiltinModule("node:buffer")

/**
 * The status line and headers of a reply, ready for any front.
 *
 * - `headers`: lower-case names; only valid names and values; no `set-cookie` (see `cookies`) and no framing
 *   headers (`content-length`, `transfer-encoding`, hop-by-hop headers): the front frames the body itself.
 * - `cookies`: every `Set-Cookie` value, one per cookie, in order (the response's cookies, then a `set-cookie`
 *   header set by hand).
 * - `dropped`: what was left out because it is not valid HTTP, for the log.
 *
 * @internal
 */
export interface Head {
  readonly statusCode: number
  readonly statusText: string | undefined
  readonly headers: Record<string, string>
  readonly cookies: ReadonlyArray<string>
  readonly dropped: ReadonlyArray<string>
}

const tokenName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Header values as Node's `http` accepts them: HTAB, visible ASCII, space, and obs-text (0x80–0xFF). */
const invalidValue = /[^\t\x20-\x7e\x80-\xff]/

/** @internal */
export const isValidHeaderName = (name: string): boolean => tokenName.test(name)

/** @internal */
export const isValidHeaderValue = (value: string): boolean => !invalidValue.test(value)

const framing: ReadonlySet<string> = new Set([
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "upgrade"
])

const describe = (text: string): string => {
  const json = JSON.stringify(text)
  return json.length > 60 ? json.slice(0, 57) + '…"' : json
}

/**
 * The head of `response`. An invalid status (not an integer in 100–599) becomes 500 and is reported in
 * `dropped`. `contentType` replaces the response's content type (a `FormData` body brings its own).
 *
 * @internal
 */
export const head = (response: HttpServerResponse.HttpServerResponse, contentType?: string): Head => {
  const dropped: Array<string> = []
  let statusCode = response.status
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    dropped.push(`status ${describe(String(statusCode))} (sent 500 instead)`)
    statusCode = 500
  }
  const headers: Record<string, string> = {}
  let setCookieHeader: string | undefined
  const source = response.headers
  for (const rawName in source) {
    const value = source[rawName]
    if (typeof value !== "string") continue
    const name = rawName.toLowerCase()
    if (!isValidHeaderName(name)) {
      dropped.push(`header name ${describe(rawName)}`)
      continue
    }
    if (framing.has(name)) continue
    if (!isValidHeaderValue(value)) {
      dropped.push(`value of header ${name}`)
      continue
    }
    if (name === "set-cookie") setCookieHeader = value
    else headers[name] = value
  }
  if (contentType !== undefined) headers["content-type"] = contentType
  const cookies: Array<string> = []
  if (!Cookies.isEmpty(response.cookies)) {
    for (const cookie of Cookies.toSetCookieHeaders(response.cookies)) {
      if (isValidHeaderValue(cookie)) cookies.push(cookie)
      else dropped.push(`cookie ${describe(cookie.slice(0, cookie.indexOf("=") + 1))}`)
    }
  }
  if (setCookieHeader !== undefined) cookies.push(setCookieHeader)
  const statusText =
    response.statusText !== undefined && isValidHeaderValue(response.statusText) ? response.statusText : undefined
  return { statusCode, statusText, headers, cookies, dropped }
}

/**
 * node:http's reason phrases, loaded the first time one is needed (ALB): a function that never needs one does not
 * load node:http.
 */
let statusCodes: Readonly<Record<number, string | undefined>> | undefined
const reasonPhrases = (): Readonly<Record<number, string | undefined>> =>
  (statusCodes ??= process.getBuiltinModule("node:http").STATUS_CODES)

/**
 * `"200 OK"`: the status code and its reason phrase (the response's `statusText`, else the standard one).
 *
 * @internal
 */
export const statusLine = (head: Head): string => {
  const text = head.statusText ?? reasonPhrases()[head.statusCode]
  return text === undefined || text === "" ? String(head.statusCode) : `${head.statusCode} ${text}`
}

const textTypes: ReadonlySet<string> = new Set([
  "application/json",
  "application/javascript",
  "application/ecmascript",
  "application/xml",
  "application/yaml",
  "application/x-yaml",
  "application/x-www-form-urlencoded",
  "application/x-ndjson",
  "application/ndjson",
  "application/graphql",
  "application/sql"
])

/**
 * Whether a media type is text: `text/*`, the JSON/JavaScript/XML/YAML/form/NDJSON/GraphQL/SQL
 * `application/` types, and any `+json`, `+xml` or `+yaml` suffix. Parameters (`; charset=…`) are ignored.
 *
 * @internal
 */
export const isTextMediaType = (contentType: string): boolean => {
  const semicolon = contentType.indexOf(";")
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
  if (type.startsWith("text/")) return true
  if (textTypes.has(type)) return true
  return type.endsWith("+json") || type.endsWith("+xml") || type.endsWith("+yaml")
}

/**
 * The default binary rule: a body is binary when it has a `content-encoding` (other than `identity`), when it
 * has no content type, or when its content type is not text (see {@link isTextMediaType}).
 *
 * @internal
 */
export const isBinary = (headers: Readonly<Record<string, string>>): boolean => {
  const encoding = headers["content-encoding"]
  if (encoding !== undefined) {
    const normalized = encoding.trim().toLowerCase()
    if (normalized !== "" && normalized !== "identity") return true
  }
  const contentType = headers["content-type"]
  return contentType === undefined || !isTextMediaType(contentType)
}

/**
 * A buffered body as a JSON string field: UTF-8 text when the body is not binary and is valid UTF-8, else
 * base64 with `isBase64Encoded: true`. An empty body is `""`.
 *
 * @internal
 */
export const encodeBody = (
  bytes: Uint8Array,
  binary: boolean
): { readonly body: string; readonly isBase64Encoded: boolean } => {
  if (bytes.length === 0) return { body: "", isBase64Encoded: false }
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (!binary && isUtf8(buffer)) return { body: buffer.toString("utf8"), isBase64Encoded: false }
  return { body: buffer.toString("base64"), isBase64Encoded: true }
}

/**
 * A response body, as bytes already in memory or as a stream to pull.
 *
 * @internal
 */
export type Source =
  | { readonly _tag: "Bytes"; readonly bytes: Uint8Array }
  | { readonly _tag: "Stream"; readonly stream: Stream.Stream<Uint8Array, unknown> }

const empty = new Uint8Array(0)

/** @internal */
export const emptySource: Source = { _tag: "Bytes", bytes: empty }

const bytes = (value: Uint8Array): Source => ({ _tag: "Bytes", bytes: value })

const toBytes = (chunk: unknown): Uint8Array => {
  if (chunk instanceof Uint8Array) return chunk
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8")
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk)
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  throw new TypeError(`a streamed body produced a ${typeof chunk}, not bytes`)
}

const fromReadable = (stream: ReadableStream<Uint8Array>): Stream.Stream<Uint8Array, unknown> =>
  Stream.fromReadableStream({ evaluate: () => stream, onError: (cause) => cause })

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === "object" && value !== null && Symbol.asyncIterator in value

/**
 * Where the bytes of a body come from, and the content type it brings (only `FormData` brings one: the
 * multipart type with its boundary). A `Raw` body may be a string, bytes, an `ArrayBuffer`, a web
 * `ReadableStream`, `Response` or `Blob`, or any async iterable of strings or bytes (a Node `Readable`);
 * anything else is a defect.
 *
 * @internal
 */
export const source = (
  body: HttpBody.HttpBody
): Effect.Effect<{ readonly source: Source; readonly contentType: string | undefined }> => {
  switch (body._tag) {
    case "Empty":
      return Effect.succeed({ source: emptySource, contentType: undefined })
    case "Uint8Array":
      return Effect.succeed({ source: bytes(body.body), contentType: undefined })
    case "Stream":
      return Effect.succeed({ source: { _tag: "Stream", stream: body.stream }, contentType: undefined })
    case "FormData":
      return Effect.sync(() => {
        const response = new Response(body.formData)
        const stream = response.body
        return {
          source: stream === null ? emptySource : { _tag: "Stream", stream: fromReadable(stream) },
          contentType: response.headers.get("content-type") ?? undefined
        }
      })
    case "Raw": {
      const raw = body.body
      if (raw === null || raw === undefined) return Effect.succeed({ source: emptySource, contentType: undefined })
      if (
        typeof raw === "string" ||
        raw instanceof Uint8Array ||
        raw instanceof ArrayBuffer ||
        ArrayBuffer.isView(raw)
      ) {
        return Effect.succeed({ source: bytes(toBytes(raw)), contentType: undefined })
      }
      if (raw instanceof ReadableStream) {
        return Effect.succeed({
          source: { _tag: "Stream", stream: fromReadable(raw as ReadableStream<Uint8Array>) },
          contentType: undefined
        })
      }
      if (raw instanceof Response || raw instanceof Blob) {
        const stream = raw instanceof Response ? raw.body : raw.stream()
        return Effect.succeed({
          source: stream === null ? emptySource : { _tag: "Stream", stream: fromReadable(stream) },
          contentType: undefined
        })
      }
      if (isAsyncIterable(raw)) {
        return Effect.succeed({
          source: {
            _tag: "Stream",
            stream: Stream.map(
              Stream.fromAsyncIterable(raw, (cause) => cause),
              toBytes
            )
          },
          contentType: undefined
        })
      }
      return Effect.dieMessage(`unsupported HttpServerResponse.raw body: ${Object.prototype.toString.call(raw)}`)
    }
  }
}

/**
 * Pull a streamed body into memory. Fails with `onTooLarge(limit)` as soon as more than `limit` bytes arrived
 * (the rest is not pulled); a failure of the stream is passed on.
 *
 * @internal
 */
export const collect = <E>(
  stream: Stream.Stream<Uint8Array, unknown>,
  limit: number,
  onTooLarge: (limit: number) => E
): Effect.Effect<Uint8Array, unknown> =>
  Effect.suspend(() => {
    const parts: Array<Uint8Array> = []
    let size = 0
    return Stream.runForEachChunk(stream, (chunk) =>
      Effect.suspend(() => {
        for (const part of Chunk.toReadonlyArray(chunk)) {
          if (part.length === 0) continue
          size += part.length
          if (size > limit) return Effect.fail(onTooLarge(limit))
          parts.push(part)
        }
        return Effect.void
      })
    ).pipe(
      Effect.map(() => {
        if (parts.length === 0) return empty
        if (parts.length === 1) return parts[0]!
        return Buffer.concat(parts, size)
      })
    )
  })
