/**
 * Unit tests of the Runtime API's wire format (pure functions): the request heads, chunk framing and trailers the
 * client writes, and the response heads and chunk-size lines it reads. The same bytes are driven over real sockets
 * in test/layers/NodeRuntimeApi*.test.ts and test/faults/.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Wire from "../../src/internal/RuntimeApiWire.js"

const parsed = (head: string): Wire.ResponseHead => {
  const result = Wire.parseResponseHead(head)
  if (result === "interim" || result instanceof Error) throw new Error(`expected a final head, got ${String(result)}`)
  return result
}

const failure = (head: string): string => {
  const result = Wire.parseResponseHead(head)
  if (!(result instanceof Wire.ProtocolError))
    throw new Error(`expected a ProtocolError, got ${JSON.stringify(result)}`)
  return result.message
}

describe("RuntimeApiWire: request heads", () => {
  it("common fields: Host with the port, IPv6 bracketed, and the User-Agent", () => {
    assert.strictEqual(
      Wire.commonFields("127.0.0.1", 9001),
      `Host: 127.0.0.1:9001\r\nUser-Agent: ${Wire.UserAgent}\r\n`
    )
    assert.match(Wire.commonFields("::1", 9001), /^Host: \[::1\]:9001\r\n/)
  })

  it("GET head: request line, fields, blank line", () => {
    assert.strictEqual(
      Wire.getHead("/2018-06-01/runtime/invocation/next", "Host: h:1\r\n"),
      "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: h:1\r\n\r\n"
    )
  })

  it("POST head: Content-Type (control bytes removed), Content-Length, extra fields, blank line", () => {
    assert.strictEqual(
      Wire.postHead("/p", "Host: h:1\r\n", "text/plain\r\nX-Injected: 1", 12, "X-A: b\r\n"),
      "POST /p HTTP/1.1\r\nHost: h:1\r\nContent-Type: text/plainX-Injected: 1\r\nContent-Length: 12\r\nX-A: b\r\n\r\n"
    )
  })

  it("error head: JSON body with the error type and X-Ray cause fields", () => {
    const head = Wire.errorHead("/e", "", 7, "Runtime.Oops", '{"working_directory":"/"}', "X-A: b\r\n")
    assert.strictEqual(
      head,
      "POST /e HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 7\r\n" +
        'Lambda-Runtime-Function-Error-Type: Runtime.Oops\r\nLambda-Runtime-Function-XRay-Error-Cause: {"working_directory":"/"}\r\n' +
        "X-A: b\r\n\r\n"
    )
  })

  it("stream head: chunked, streaming mode, both error trailers announced; no Content-Length", () => {
    const head = Wire.streamHead("/r", "", "application/octet-stream", "")
    assert.strictEqual(
      head,
      "POST /r HTTP/1.1\r\nContent-Type: application/octet-stream\r\n" +
        "Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n" +
        "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n"
    )
    assert.notInclude(head.toLowerCase(), "content-length")
  })

  it("invocation id field: echoed with control bytes removed; nothing when absent or empty", () => {
    assert.strictEqual(
      Wire.invocationIdField({ [Wire.InvocationIdHeader]: "inv-1\r\nX: y" }),
      "Lambda-Runtime-Invocation-Id: inv-1X: y\r\n"
    )
    assert.strictEqual(Wire.invocationIdField({}), "")
    assert.strictEqual(Wire.invocationIdField({ [Wire.InvocationIdHeader]: "" }), "")
  })

  it("header values lose every control byte (NUL, CR, LF, TAB, DEL) and keep the rest", () => {
    assert.strictEqual(Wire.headerValue("a\u0000b\rc\nd\te\u007ff ünï"), "abcdef ünï")
  })
})

describe("RuntimeApiWire: chunk framing and trailers", () => {
  it("chunk-size line is lower-case hex and CRLF", () => {
    assert.strictEqual(Wire.chunkSizeLine(1), "1\r\n")
    assert.strictEqual(Wire.chunkSizeLine(65536), "10000\r\n")
    assert.strictEqual(Wire.chunkSizeLine(255), "ff\r\n")
  })

  it("last chunk without trailers, and with both trailers (values stripped of control bytes)", () => {
    assert.strictEqual(Wire.lastChunk(), "0\r\n\r\n")
    assert.strictEqual(
      Wire.lastChunk({
        "Lambda-Runtime-Function-Error-Type": "Runtime.X\r\nEvil: 1",
        "Lambda-Runtime-Function-Error-Body": "eyJ9"
      }),
      "0\r\nLambda-Runtime-Function-Error-Type: Runtime.XEvil: 1\r\nLambda-Runtime-Function-Error-Body: eyJ9\r\n\r\n"
    )
  })

  it("chunk-size lines: hex of either case, extensions ignored; anything else is a ProtocolError", () => {
    assert.strictEqual(Wire.parseChunkSize("1a"), 26)
    assert.strictEqual(Wire.parseChunkSize("FF;name=value"), 255)
    assert.strictEqual(Wire.parseChunkSize(" 0 "), 0)
    for (const bad of ["", "zz", "-1", "0x10", "1 2", "1".repeat(20)]) {
      const result = Wire.parseChunkSize(bad)
      assert.instanceOf(result, Wire.ProtocolError, bad)
      assert.match((result as Error).message, /^bad chunk size/)
    }
  })
})

describe("RuntimeApiWire: response heads", () => {
  const next =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: Id-AbC\r\n" +
    "Date: Thu, 03 Dec 2026 14:00:00 GMT\r\nlambda-runtime-trace-id:Root=1-abc;Sampled=1\r\n" +
    "Lambda-Runtime-Client-Context: e30=\r\nLAMBDA-RUNTIME-CLIENT-CONTEXT: second\r\nContent-Length: 42"

  it("keeps only the Lambda-* headers: names lower-case, values as sent (trimmed), repeats joined", () => {
    const head = parsed(next)
    assert.strictEqual(head.status, 200)
    assert.deepStrictEqual(head.headers, {
      "lambda-runtime-aws-request-id": "Id-AbC",
      "lambda-runtime-trace-id": "Root=1-abc;Sampled=1",
      "lambda-runtime-client-context": "e30=, second"
    })
    assert.deepStrictEqual(head.framing, { _tag: "Length", length: 42 })
    assert.isFalse(head.closeAfter)
  })

  it("keeps the Extensions API's Lambda-Extension-* headers too", () => {
    const head = parsed("HTTP/1.1 200 OK\r\nLambda-Extension-Identifier: ext-1\r\nContent-Length: 0")
    assert.deepStrictEqual(head.headers, { "lambda-extension-identifier": "ext-1" })
  })

  it("framing: chunked wins over Content-Length, any case; 204/304 have no body; otherwise until close", () => {
    assert.deepStrictEqual(parsed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: CHUNKED").framing, {
      _tag: "Chunked"
    })
    assert.deepStrictEqual(parsed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked").framing, { _tag: "Chunked" })
    assert.deepStrictEqual(parsed("HTTP/1.1 204 No Content\r\nContent-Length: 9").framing, {
      _tag: "Length",
      length: 0
    })
    assert.deepStrictEqual(parsed("HTTP/1.1 304 Not Modified").framing, { _tag: "Length", length: 0 })
    const untilClose = parsed("HTTP/1.1 200 OK\r\nContent-Type: text/plain")
    assert.deepStrictEqual(untilClose.framing, { _tag: "UntilClose" })
    assert.isTrue(untilClose.closeAfter)
    assert.deepStrictEqual(parsed("HTTP/1.1 202 Accepted").framing, { _tag: "UntilClose" })
  })

  it("keep-alive: HTTP/1.1 unless Connection: close; HTTP/1.0 only with Connection: keep-alive", () => {
    assert.isFalse(parsed("HTTP/1.1 202 Accepted\r\nContent-Length: 0").closeAfter)
    assert.isTrue(parsed("HTTP/1.1 202 Accepted\r\nConnection: Close\r\nContent-Length: 0").closeAfter)
    assert.isTrue(parsed("HTTP/1.0 202 Accepted\r\nContent-Length: 0").closeAfter)
    assert.isFalse(parsed("HTTP/1.0 202 Accepted\r\nConnection: Keep-Alive\r\nContent-Length: 0").closeAfter)
  })

  it("an interim (1xx) head is reported as such", () => {
    assert.strictEqual(Wire.parseResponseHead("HTTP/1.1 100 Continue"), "interim")
  })

  it("bad heads are ProtocolErrors with a message naming what is wrong", () => {
    assert.match(failure("HTTP/2 200 OK"), /^bad status line "HTTP\/2 200 OK"/)
    assert.match(failure("HTTP/1.1 abc OK"), /^bad status line/)
    assert.match(failure("HTTP/1.1 099 Low"), /^bad status line/)
    assert.match(failure("HTTP/1.1 200 OK\r\nno colon here"), /malformed response header line/)
    // An unused header is still checked for form.
    assert.match(failure("HTTP/1.1 200 OK\r\nX-Unused\r\nContent-Length: 0"), /malformed response header line/)
    assert.match(failure("HTTP/1.1 200 OK\r\nContent-Length: -1"), /^bad content-length -1/)
    assert.match(failure("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2"), /^bad content-length 1, 2/)
    assert.match(failure("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999"), /^bad content-length/)
  })
})
