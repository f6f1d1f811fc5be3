/**
 * Properties of the translation, on every front:
 * - a random request (method, path with encoded characters, repeated query keys, repeated headers, cookies,
 *   binary body) survives event → `HttpServerRequest`, up to what each front itself keeps;
 * - random response headers, cookies and bodies survive `HttpServerResponse` → the front's reply (buffered,
 *   and the streamed prelude + body where the front streams), invalid headers never get through.
 */
import * as Cookies from "@effect/platform/Cookies"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Option, Stream } from "effect"
import { HttpHandler, TestRuntimeApi } from "../../src/index.js"
import { handler as bufferedExample } from "../../examples/http.js"
import { handler as streamedExample } from "../../examples/http-stream.js"
import { decodeReply, eventFor, type Front, fronts, type RequestSpec } from "./support/events.js"
import * as Logs from "./support/logs.js"

// -----------------------------------------------------------------------------
// requests
// -----------------------------------------------------------------------------

const encodable = (s: string) => {
  try {
    encodeURIComponent(s)
    return true
  } catch {
    return false
  }
}

const text = (maxLength: number) => fc.string({ unit: "binary", maxLength }).filter(encodable)

const segment = fc.oneof(
  fc.stringMatching(/^[a-z0-9_-]{1,8}$/),
  text(8).filter((s) => s.length > 0 && s !== "." && s !== "..")
)

const token = (prefix: string, names: ReadonlyArray<string>) => fc.constantFrom(...names.map((n) => prefix + n))

const headerValue = fc.stringMatching(/^[!-~]([ -~]{0,12}[!-~])?$/)

const request = fc.record({
  method: fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
  segments: fc.array(segment, { minLength: 1, maxLength: 4 }),
  query: fc.array(fc.tuple(fc.constantFrom("a", "b", "ü k", "x&y=z"), text(8)), { maxLength: 6 }),
  headers: fc.array(fc.tuple(token("x-h-", ["a", "b", "c"]), headerValue), { maxLength: 6 }),
  cookies: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z0-9_]{1,6}$/), fc.stringMatching(/^[A-Za-z0-9._-]{0,8}$/)), {
    maxLength: 4
  }),
  body: fc.option(fc.oneof(fc.uint8Array({ maxLength: 200 }), text(40)), { nil: undefined }),
  sourceIp: fc.ipV4()
})

type Generated = typeof request extends fc.Arbitrary<infer A> ? A : never

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  readonly cookies: Record<string, string>
  readonly remoteAddress: string | undefined
  readonly body: Uint8Array
}

const groupBy = (pairs: ReadonlyArray<readonly [string, string]>) => {
  const out = new Map<string, Array<string>>()
  for (const [key, value] of pairs) out.set(key, [...(out.get(key) ?? []), value])
  return out
}

/** The query a front delivers, as key → values (values in order per key). */
const expectedQuery = (front: Front, pairs: ReadonlyArray<readonly [string, string]>) => {
  const groups = groupBy(pairs)
  if (front === "AlbSingle") for (const [key, values] of groups) groups.set(key, [values[values.length - 1]!])
  return groups
}

const queryOf = (url: string) => {
  const index = url.indexOf("?")
  return index === -1 ? "" : url.slice(index + 1)
}

const parsedQuery = (url: string) => groupBy([...new URLSearchParams(queryOf(url))])

const sorted = (groups: Map<string, Array<string>>) =>
  [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

/** The header values a front delivers for the generated headers. */
const expectedHeaders = (front: Front, pairs: ReadonlyArray<readonly [string, string]>) => {
  const out: Record<string, string> = {}
  for (const [name, values] of groupBy(pairs)) {
    out[name] =
      front === "AlbSingle"
        ? values[values.length - 1]!
        : values.join(front === "ApiGatewayV2" || front === "FunctionUrl" ? "," : ", ")
  }
  return out
}

const recorder = () => {
  let seen: Seen | undefined
  const handler = HttpHandler.make(
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      seen = {
        method: request.method,
        url: request.url,
        headers: { ...request.headers },
        cookies: { ...request.cookies },
        remoteAddress: Option.getOrUndefined(request.remoteAddress),
        body: new Uint8Array(yield* request.arrayBuffer)
      }
      return HttpServerResponse.empty()
    })
  )
  return {
    handler,
    take: () => {
      const value = seen
      seen = undefined
      if (value === undefined) throw new Error("the app saw no request")
      return value
    }
  }
}

const specOf = (generated: Generated): RequestSpec => {
  const withBody = generated.method !== "GET" && generated.method !== "HEAD"
  return {
    method: generated.method,
    path: "/" + generated.segments.map(encodeURIComponent).join("/"),
    query: generated.query,
    headers: generated.headers,
    cookies: generated.cookies,
    ...(withBody && generated.body !== undefined ? { body: generated.body } : {}),
    sourceIp: generated.sourceIp
  }
}

const bytesOf = (body: RequestSpec["body"]) =>
  body === undefined ? new Uint8Array(0) : typeof body === "string" ? new Uint8Array(Buffer.from(body, "utf8")) : body

// -----------------------------------------------------------------------------
// responses
// -----------------------------------------------------------------------------

const response = fc.record({
  status: fc.integer({ min: 200, max: 599 }),
  headers: fc.uniqueArray(fc.tuple(fc.stringMatching(/^x-r-[a-z0-9-]{1,8}$/), headerValue), {
    selector: ([name]) => name,
    maxLength: 6
  }),
  invalid: fc.array(
    fc.tuple(
      fc.stringMatching(/^x-bad-[a-z]{1,4}$/),
      fc.tuple(headerValue, fc.constantFrom("\r\n", "\n", "\r", "\u0000", "\u007f", "\u2028"), headerValue)
    ),
    { maxLength: 2 }
  ),
  cookies: fc.uniqueArray(
    fc.tuple(
      fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/),
      fc.stringMatching(/^[A-Za-z0-9]{0,8}$/),
      fc.constantFrom(undefined, "/", "/app")
    ),
    { selector: ([name]) => name, maxLength: 4 }
  ),
  body: fc.oneof(
    fc.record({ kind: fc.constant("binary" as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
    fc.record({ kind: fc.constant("text" as const), text: fc.string({ unit: "grapheme", maxLength: 60 }) })
  ),
  chunks: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined })
})

type GeneratedResponse = typeof response extends fc.Arbitrary<infer A> ? A : never

const bodyBytes = (generated: GeneratedResponse) =>
  generated.body.kind === "binary" ? generated.body.bytes : new Uint8Array(Buffer.from(generated.body.text, "utf8"))

const contentType = (generated: GeneratedResponse) =>
  generated.body.kind === "binary" ? "application/octet-stream" : "text/plain; charset=utf-8"

/** Split `bytes` into `n` chunks (some possibly empty). */
const split = (bytes: Uint8Array, n: number): Array<Uint8Array> => {
  const size = Math.ceil(bytes.length / n)
  return Array.from({ length: n }, (_, i) => bytes.subarray(i * size, Math.min(bytes.length, (i + 1) * size)))
}

const build = (generated: GeneratedResponse): HttpServerResponse.HttpServerResponse => {
  const bytes = bodyBytes(generated)
  const headers: Record<string, string> = {}
  for (const [name, value] of generated.headers) headers[name] = value
  for (const [name, [a, bad, b]] of generated.invalid) headers[name] = a + bad + b
  const base =
    generated.chunks === undefined
      ? HttpServerResponse.uint8Array(bytes, { status: generated.status, contentType: contentType(generated), headers })
      : HttpServerResponse.stream(Stream.fromIterable(split(bytes, generated.chunks)).pipe(Stream.rechunk(1)), {
          status: generated.status,
          contentType: contentType(generated),
          headers
        })
  return HttpServerResponse.unsafeSetCookies(
    base,
    generated.cookies.map(([name, value, path]) => [name, value, path === undefined ? {} : { path }] as const)
  )
}

const expectedSetCookies = (generated: GeneratedResponse) =>
  Cookies.toSetCookieHeaders(
    Cookies.fromIterable(
      generated.cookies.map(([name, value, path]) =>
        Cookies.unsafeMakeCookie(name, value, path === undefined ? {} : { path })
      )
    )
  )

const isValidHeader = (name: string, value: string) =>
  /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) && !/[^\t\x20-\x7e\x80-\xff]/.test(value)

describe("translation properties", () => {
  const { handler, take } = recorder()

  it.effect.prop("a random request survives event → HttpServerRequest on every front", [request], ([generated]) =>
    Effect.gen(function* () {
      const spec = specOf(generated)
      for (const front of fronts) {
        const result = yield* TestRuntimeApi.invoke(handler, eventFor(front, spec))
        assert.strictEqual(result._tag, "Response", front)
        const seen = take()
        assert.strictEqual(seen.method, spec.method, front)
        // the path, byte for byte as the client sent it
        assert.strictEqual(seen.url.split("?")[0], spec.path, front)
        // the query: exactly as received on payload 2.0; the same keys and values (per key, in order) elsewhere
        if (front === "ApiGatewayV2" || front === "FunctionUrl") {
          assert.strictEqual(queryOf(seen.url), (eventFor(front, spec) as { rawQueryString: string }).rawQueryString)
        }
        assert.deepStrictEqual(sorted(parsedQuery(seen.url)), sorted(expectedQuery(front, spec.query ?? [])), front)
        // headers: every value, joined as the front joins them
        const expected = expectedHeaders(front, spec.headers ?? [])
        for (const name of Object.keys(expected))
          assert.strictEqual(seen.headers[name], expected[name], `${front} ${name}`)
        // cookies, as the app would parse the client's Cookie header
        const cookieHeader = (spec.cookies ?? []).map(([n, v]) => `${n}=${v}`).join("; ")
        assert.deepStrictEqual(seen.cookies, { ...Cookies.parseHeader(cookieHeader) }, front)
        assert.deepStrictEqual(seen.body, bytesOf(spec.body), front)
        assert.strictEqual(seen.remoteAddress, spec.sourceIp, front)
      }
    })
  )

  it.effect.prop(
    "random headers, cookies and bodies survive HttpServerResponse → each front's reply",
    [response],
    ([generated]) =>
      Effect.gen(function* () {
        const buffered = HttpHandler.make(Effect.sync(() => build(generated)))
        const streamed = HttpHandler.make(
          Effect.sync(() => build(generated)),
          { mode: "streaming" }
        )
        const bytes = bodyBytes(generated)
        const setCookies = expectedSetCookies(generated)
        const headers: Record<string, string> = { "content-type": contentType(generated) }
        for (const [name, value] of generated.headers) headers[name] = value
        const spec: RequestSpec = { method: "GET", path: "/p" }
        const cases: ReadonlyArray<readonly [Front, "buffered" | "streamed"]> = [
          ...fronts.map((front) => [front, "buffered"] as const),
          ["FunctionUrl", "streamed"],
          ["ApiGatewayV1", "streamed"]
        ]
        for (const [front, mode] of cases) {
          const label = `${front} ${mode}`
          const [result, logs] = yield* Logs.capture(
            TestRuntimeApi.invoke(mode === "buffered" ? buffered : streamed, eventFor(front, spec))
          )
          const reply = yield* decodeReply(result)
          assert.strictEqual(reply.status, generated.status, label)
          assert.deepStrictEqual(reply.headers, headers, label)
          assert.deepStrictEqual(reply.cookies, front === "AlbSingle" ? setCookies.slice(-1) : setCookies, label)
          assert.deepStrictEqual(reply.body, bytes, label)
          if (mode === "buffered") {
            assert.strictEqual(reply.isBase64Encoded, generated.body.kind === "binary" && bytes.length > 0, label)
          } else {
            const expectedChunks =
              generated.chunks === undefined
                ? [bytes].filter((c) => c.length > 0)
                : split(bytes, generated.chunks).filter((c) => c.length > 0)
            assert.deepStrictEqual(reply.chunks, expectedChunks, label)
          }
          if (front.startsWith("Alb"))
            assert.match(reply.statusDescription ?? "", new RegExp(`^${generated.status}( |$)`))
          // invalid headers: never in the reply, and named in a warning
          for (const [name] of generated.invalid) assert.notProperty(reply.headers, name)
          for (const [name, value] of Object.entries(reply.headers)) {
            assert.isTrue(isValidHeader(name, value), `${label}: ${JSON.stringify([name, value])}`)
          }
          for (const cookie of reply.cookies) assert.isTrue(isValidHeader("set-cookie", cookie), label)
          if (generated.invalid.length > 0) {
            assert.isTrue(
              logs.some((l) => l.level === "WARN" && l.message.includes(generated.invalid[0]![0])),
              label
            )
          }
        }
      })
  )

  it.effect.prop(
    "binary round trip: random bytes in, the same bytes out, through every front, buffered and streamed",
    [fc.uint8Array({ maxLength: 4096 }), fc.constantFrom("application/octet-stream", "image/webp", "text/plain")],
    ([bytes, type]) =>
      Effect.gen(function* () {
        const spec: RequestSpec = { method: "POST", path: "/echo", headers: [["content-type", type]], body: bytes }
        for (const [handler, mode] of [
          [bufferedExample, "buffered"],
          [streamedExample, "streamed"]
        ] as const) {
          for (const front of fronts) {
            const reply = yield* Effect.flatMap(TestRuntimeApi.invoke(handler, eventFor(front, spec)), decodeReply)
            assert.strictEqual(reply.status, 200, `${front} ${mode}`)
            assert.strictEqual(reply.headers["content-type"], type)
            assert.deepStrictEqual(reply.body, bytes, `${front} ${mode}`)
          }
        }
      }),
    { fastCheck: { numRuns: 40 } }
  )
})
