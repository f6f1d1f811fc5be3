/**
 * The bytes of the Runtime API exchange, in one place: the request heads the client writes, the chunk framing
 * and trailers of a streamed reply, and the parsing of the API's response heads and chunk-size lines.
 *
 * Everything here is a pure function of its arguments; the socket exchange (keep-alive, incremental reading,
 * bounds, close semantics) is `Http1Connection`, and what each call means is `NodeRuntimeApi`.
 *
 * @internal
 */
import type { ErrorTrailers } from "../services/RuntimeApi.js"

/** @internal */
export const CRLF = "\r\n"

/** The end of a head (status line and header fields). @internal */
export const HeadEnd = Buffer.from("\r\n\r\n", "latin1")

/** @internal */
export const UserAgent = "effect-lambda-runtime/0.1.0"

/** Header of the request id in a `/next` answer (names are lower-case once parsed). @internal */
export const RequestIdHeader = "lambda-runtime-aws-request-id"

/** Header of the invocation id in a `/next` answer, echoed on the reply. @internal */
export const InvocationIdHeader = "lambda-runtime-invocation-id"

/** Trailer names of a streamed reply that failed midway. @internal */
export const ErrorTypeTrailer = "Lambda-Runtime-Function-Error-Type"
/** @internal */
export const ErrorBodyTrailer = "Lambda-Runtime-Function-Error-Body"

/** A response that breaks HTTP/1.1 framing or the client's limits. @internal */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError"
}

// ---------------------------------------------------------------------------------------------------------------
// Request heads
// ---------------------------------------------------------------------------------------------------------------

/** A header value with its control bytes (CR, LF, NUL…) removed: a value can never end the line early. @internal */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control bytes is the point
export const headerValue = (value: string): string => value.replace(/[\x00-\x1f\x7f]/g, "")

/**
 * The header lines every request carries (`Host`, `User-Agent`), each ending with CRLF; an IPv6 host is
 * bracketed.
 *
 * @internal
 */
export const commonFields = (host: string, port: number): string =>
  `Host: ${host.includes(":") ? `[${host}]` : host}:${port}\r\nUser-Agent: ${UserAgent}\r\n`

/** The `Lambda-Runtime-Invocation-Id` line echoing the invocation's id, or nothing when it has none. @internal */
export const invocationIdField = (headers: Readonly<Record<string, string>>): string => {
  const id = headers[InvocationIdHeader]
  return id === undefined || id === "" ? "" : `Lambda-Runtime-Invocation-Id: ${headerValue(id)}\r\n`
}

/** `GET <path>` with no body. @internal */
export const getHead = (path: string, common: string): string => `GET ${path} HTTP/1.1\r\n${common}\r\n`

/** A POST with a body of `length` bytes. `extra` is more header lines, each ending with CRLF. @internal */
export const postHead = (path: string, common: string, contentType: string, length: number, extra = ""): string =>
  `POST ${path} HTTP/1.1\r\n${common}Content-Type: ${headerValue(contentType)}\r\nContent-Length: ${length}\r\n${extra}\r\n`

/**
 * The head of an error report (`/runtime/invocation/<id>/error`, `/runtime/init/error`): a JSON body of `length`
 * bytes with the error type and the X-Ray cause as headers. The caller passes both values as they go on the wire.
 *
 * @internal
 */
export const errorHead = (
  path: string,
  common: string,
  length: number,
  errorType: string,
  xrayCause: string,
  extra = ""
): string =>
  postHead(
    path,
    common,
    "application/json",
    length,
    `Lambda-Runtime-Function-Error-Type: ${errorType}\r\nLambda-Runtime-Function-XRay-Error-Cause: ${xrayCause}\r\n${extra}`
  )

/** The head of a streamed reply: chunked, announcing the two error trailers. @internal */
export const streamHead = (path: string, common: string, contentType: string, extra = ""): string =>
  `POST ${path} HTTP/1.1\r\n${common}Content-Type: ${headerValue(contentType)}\r\n` +
  "Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n" +
  `Trailer: ${ErrorTypeTrailer}, ${ErrorBodyTrailer}\r\n${extra}\r\n`

/** The line that opens a chunk of `length` (> 0) bytes; the chunk's data is followed by {@link CRLF}. @internal */
export const chunkSizeLine = (length: number): string => `${length.toString(16)}\r\n`

/** The end of a chunked body: the last (empty) chunk, the trailers if any, and the blank line. @internal */
export const lastChunk = (trailers?: ErrorTrailers): string =>
  trailers === undefined
    ? "0\r\n\r\n"
    : `0\r\n${ErrorTypeTrailer}: ${headerValue(trailers[ErrorTypeTrailer])}\r\n` +
      `${ErrorBodyTrailer}: ${headerValue(trailers[ErrorBodyTrailer])}\r\n\r\n`

// ---------------------------------------------------------------------------------------------------------------
// Response heads
// ---------------------------------------------------------------------------------------------------------------

/** How the body of a response is delimited. @internal */
export type Framing =
  | { readonly _tag: "Length"; readonly length: number }
  | { readonly _tag: "Chunked" }
  | { readonly _tag: "UntilClose" }

/** A parsed final response head. @internal */
export interface ResponseHead {
  readonly status: number
  /**
   * The `Lambda-*` headers only (`Lambda-Runtime-*` of a `/next` answer, `Lambda-Extension-*` of the Extensions
   * API): names lower-case, repeated headers joined with ", ". Other headers are checked for form and dropped.
   */
  readonly headers: Record<string, string>
  readonly framing: Framing
  /** The connection cannot be reused after this response. */
  readonly closeAfter: boolean
}

const noBody: Framing = { _tag: "Length", length: 0 }
const chunked: Framing = { _tag: "Chunked" }
const untilClose: Framing = { _tag: "UntilClose" }

/** Whether `head` has `name` (lower-case ASCII) at `start`, in any case. */
const startsWithName = (head: string, start: number, name: string): boolean => {
  if (start + name.length > head.length) return false
  for (let i = 0; i < name.length; i++) {
    const code = head.charCodeAt(start + i)
    // ASCII letters compare case-insensitively (| 0x20 lower-cases A-Z); other bytes exactly.
    const folded = code >= 65 && code <= 90 ? code | 0x20 : code
    if (folded !== name.charCodeAt(i)) return false
  }
  return true
}

/** Whether `head` has `name` (lower-case) between `start` and `end`, in any case, ignoring spaces around it. */
const nameIs = (head: string, start: number, end: number, name: string): boolean => {
  while (start < end && (head.charCodeAt(start) === 32 || head.charCodeAt(start) === 9)) start++
  while (end > start && (head.charCodeAt(end - 1) === 32 || head.charCodeAt(end - 1) === 9)) end--
  return end - start === name.length && startsWithName(head, start, name)
}

/**
 * Parse a response head (the bytes before the blank line, as latin1). An interim (1xx) response gives
 * `"interim"`: the final head follows. The body's framing follows the status (204/304: none),
 * `Transfer-Encoding: chunked`, `Content-Length`, or else the close of the connection.
 *
 * @internal
 */
export const parseResponseHead = (head: string): ResponseHead | "interim" | ProtocolError => {
  const firstLineEnd = head.indexOf("\r\n")
  const statusLine = firstLineEnd === -1 ? head : head.slice(0, firstLineEnd)
  if (!statusLine.startsWith("HTTP/1.")) return new ProtocolError(`bad status line ${JSON.stringify(statusLine)}`)
  const status = Number(statusLine.slice(9, 12))
  if (!Number.isInteger(status) || status < 100) {
    return new ProtocolError(`bad status line ${JSON.stringify(statusLine)}`)
  }
  if (status < 200) return "interim"
  // Names are matched case-insensitively in place; values are sliced from the head as they are.
  const headers: Record<string, string> = {}
  let connection: string | undefined
  let encoding: string | undefined
  let contentLength: string | undefined
  let start = firstLineEnd === -1 ? head.length : firstLineEnd + 2
  while (start < head.length) {
    let lineEnd = head.indexOf("\r\n", start)
    if (lineEnd === -1) lineEnd = head.length
    const colon = head.indexOf(":", start)
    if (colon === -1 || colon > lineEnd) return new ProtocolError("malformed response header line")
    let nameStart = start
    while (head.charCodeAt(nameStart) === 32 || head.charCodeAt(nameStart) === 9) nameStart++
    if (startsWithName(head, nameStart, "lambda-")) {
      const name = head.slice(nameStart, colon).trim().toLowerCase()
      const value = head.slice(colon + 1, lineEnd).trim()
      const previous = headers[name]
      headers[name] = previous === undefined ? value : `${previous}, ${value}`
    } else if (nameIs(head, start, colon, "content-length")) {
      const value = head.slice(colon + 1, lineEnd).trim()
      contentLength = contentLength === undefined ? value : `${contentLength}, ${value}`
    } else if (nameIs(head, start, colon, "transfer-encoding")) {
      const value = head
        .slice(colon + 1, lineEnd)
        .trim()
        .toLowerCase()
      encoding = encoding === undefined ? value : `${encoding}, ${value}`
    } else if (nameIs(head, start, colon, "connection")) {
      const value = head
        .slice(colon + 1, lineEnd)
        .trim()
        .toLowerCase()
      connection = connection === undefined ? value : `${connection}, ${value}`
    }
    start = lineEnd + 2
  }
  // HTTP/1.0 closes after the response unless it asks for keep-alive; HTTP/1.1 when it says close.
  const closeAfter = statusLine.startsWith("HTTP/1.0")
    ? connection === undefined || !connection.includes("keep-alive")
    : connection?.includes("close") === true
  if (status === 204 || status === 304) return { status, headers, framing: noBody, closeAfter }
  if (encoding?.endsWith("chunked")) return { status, headers, framing: chunked, closeAfter }
  if (contentLength !== undefined) {
    const n = Number(contentLength)
    if (!/^\d+$/.test(contentLength) || !Number.isSafeInteger(n)) {
      return new ProtocolError(`bad content-length ${contentLength}`)
    }
    return { status, headers, framing: { _tag: "Length", length: n }, closeAfter }
  }
  return { status, headers, framing: untilClose, closeAfter: true }
}

/**
 * The size in a chunk-size line (without its CRLF; chunk extensions after `;` are ignored), or a
 * {@link ProtocolError} when it is not a hexadecimal number.
 *
 * @internal
 */
export const parseChunkSize = (line: string): number | ProtocolError => {
  const semicolon = line.indexOf(";")
  const hex = (semicolon === -1 ? line : line.slice(0, semicolon)).trim()
  const size = Number.parseInt(hex, 16)
  if (!/^[0-9a-fA-F]+$/.test(hex) || !Number.isSafeInteger(size)) {
    return new ProtocolError(`bad chunk size ${JSON.stringify(line)}`)
  }
  return size
}
