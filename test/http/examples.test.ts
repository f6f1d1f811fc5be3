/**
 * Every route of examples/http.ts through every front, buffered (examples/http.ts) and streamed
 * (examples/http-stream.ts), in memory through `TestRuntimeApi.invoke`: status, headers, cookies and body bytes.
 */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import * as Crypto from "node:crypto"
import { handler as streamed } from "../../examples/http-stream.js"
import { app, handler as buffered } from "../../examples/http.js"
import { Encoders, TestRuntimeApi } from "../../src/index.js"
import { decodeReply, eventFor, type Front, fronts, type Reply, type RequestSpec, utf8 } from "./support/events.js"
import * as Logs from "./support/logs.js"

type Mode = "buffered" | "streamed"

/** Whether a reply through `front` in `mode` is the streamed prelude form. */
const isStreamed = (front: Front, mode: Mode) =>
  mode === "streamed" && (front === "FunctionUrl" || front === "ApiGatewayV1")

const call = (front: Front, mode: Mode, spec: RequestSpec) =>
  Logs.capture(
    Effect.flatMap(TestRuntimeApi.invoke(mode === "buffered" ? buffered : streamed, eventFor(front, spec)), decodeReply)
  )

const get = (path: string): RequestSpec => ({ method: "GET", path })

const bodyIsAbsent = (reply: Reply, front: Front, mode: Mode) => {
  assert.strictEqual(reply.body.length, 0)
  if (isStreamed(front, mode)) assert.deepStrictEqual(reply.chunks, [])
  else assert.strictEqual(reply.isBase64Encoded, false)
}

const expectedSse = [1, 2, 3, 4, 5].map((n) => ["tick", String(n), JSON.stringify({ n })])

const sseOf = (body: Uint8Array) =>
  Stream.make(body).pipe(
    Encoders.sseDecode,
    Stream.runCollect,
    Effect.map((events) => Chunk.toReadonlyArray(events).map((e) => [e.event, e.id, e.data]))
  )

for (const mode of ["buffered", "streamed"] as const) {
  describe(`examples/http (${mode})`, () => {
    for (const front of fronts) {
      describe(front, () => {
        it.effect("GET / → 200, the HTML home page listing every route", () =>
          Effect.gen(function* () {
            const [reply] = yield* call(front, mode, get("/"))
            assert.strictEqual(reply.status, 200)
            assert.deepStrictEqual(reply.headers, { "content-type": "text/html" })
            assert.match(reply.text, /^<!doctype html>/)
            for (const route of app.routes)
              assert.include(reply.text, `data-route="${route.method} ${route.path}"`, `${route.method} ${route.path}`)
          })
        )

        it.effect("GET /hello → 200 text/plain hello", () =>
          Effect.gen(function* () {
            const [reply] = yield* call(front, mode, get("/hello"))
            assert.strictEqual(reply.status, 200)
            assert.deepStrictEqual(reply.headers, { "content-type": "text/plain" })
            assert.deepStrictEqual(reply.cookies, [])
            assert.strictEqual(reply.text, "hello")
            assert.strictEqual(reply.isBase64Encoded, isStreamed(front, mode) ? undefined : false)
            if (isStreamed(front, mode)) assert.deepStrictEqual(reply.chunks, [utf8("hello")])
            if (front.startsWith("Alb")) assert.strictEqual(reply.statusDescription, "200 OK")
          })
        )

        it.effect("GET /items/:id → JSON with the id as a string (decoded from the path)", () =>
          Effect.gen(function* () {
            const [plain] = yield* call(front, mode, get("/items/42"))
            assert.strictEqual(plain.status, 200)
            assert.strictEqual(plain.headers["content-type"], "application/json")
            assert.deepStrictEqual(JSON.parse(plain.text), { id: "42" })
            const [encoded] = yield* call(front, mode, get("/items/caf%C3%A9%20%2F%201"))
            assert.deepStrictEqual(JSON.parse(encoded.text), { id: "café / 1" })
          })
        )

        it.effect("POST /echo → the same bytes and content type (binary: base64; text: as text)", () =>
          Effect.gen(function* () {
            const bytes = new Uint8Array(Crypto.randomBytes(3000))
            const [binary] = yield* call(front, mode, {
              method: "POST",
              path: "/echo",
              headers: [["Content-Type", "application/x-custom-binary"]],
              body: bytes
            })
            assert.strictEqual(binary.status, 200)
            assert.strictEqual(binary.headers["content-type"], "application/x-custom-binary")
            assert.deepStrictEqual(binary.body, bytes)
            if (!isStreamed(front, mode)) assert.strictEqual(binary.isBase64Encoded, true)
            const [text] = yield* call(front, mode, {
              method: "POST",
              path: "/echo",
              headers: [["Content-Type", "text/plain; charset=utf-8"]],
              body: "héllo wörld ☃"
            })
            assert.strictEqual(text.headers["content-type"], "text/plain; charset=utf-8")
            assert.strictEqual(text.text, "héllo wörld ☃")
            if (!isStreamed(front, mode)) {
              assert.strictEqual(text.isBase64Encoded, false)
              assert.strictEqual(text.raw.body, "héllo wörld ☃")
            }
          })
        )

        it.live("GET /stream → five server-sent events, in order", () =>
          Effect.gen(function* () {
            const [reply] = yield* call(front, mode, get("/stream"))
            assert.strictEqual(reply.status, 200)
            assert.deepStrictEqual(reply.headers, {
              "cache-control": "no-cache",
              "content-type": Encoders.SseContentType
            })
            assert.deepStrictEqual(yield* sseOf(reply.body), expectedSse)
            // streamed: one chunk per event, as each was produced (nothing collected first)
            if (isStreamed(front, mode)) assert.strictEqual(reply.chunks?.length, 5)
            else assert.strictEqual(reply.isBase64Encoded, false)
          })
        )

        it.effect("GET /cookies → 200 and both cookies (ALB single-value: the last one only)", () =>
          Effect.gen(function* () {
            const [reply, logs] = yield* call(front, mode, get("/cookies"))
            assert.strictEqual(reply.status, 200)
            assert.deepStrictEqual(reply.headers, {})
            bodyIsAbsent(reply, front, mode)
            if (front === "AlbSingle") {
              assert.deepStrictEqual(reply.cookies, ["b=2; Path=/"])
              assert.isTrue(logs.some((l) => l.level === "WARN" && l.message.includes("multi-value headers")))
            } else {
              assert.deepStrictEqual(reply.cookies, ["a=1; Path=/", "b=2; Path=/"])
            }
            if (front === "ApiGatewayV1" && !isStreamed(front, mode)) {
              assert.deepStrictEqual(reply.raw.multiValueHeaders, { "set-cookie": ["a=1; Path=/", "b=2; Path=/"] })
              assert.isUndefined(reply.raw.headers)
            }
            if (front === "ApiGatewayV2" || front === "FunctionUrl") {
              assert.deepStrictEqual(reply.raw.cookies, ["a=1; Path=/", "b=2; Path=/"])
            }
          })
        )

        it.effect("GET /redirect → 302 to /hello, no body (the prelude is still sent when streamed)", () =>
          Effect.gen(function* () {
            const [reply] = yield* call(front, mode, get("/redirect"))
            assert.strictEqual(reply.status, 302)
            assert.deepStrictEqual(reply.headers, { location: "/hello" })
            bodyIsAbsent(reply, front, mode)
            if (front.startsWith("Alb")) assert.strictEqual(reply.statusDescription, "302 Found")
          })
        )

        it.effect("GET /boom → 500 with a generic body, the defect logged with the request id", () =>
          Effect.gen(function* () {
            const [reply, logs] = yield* call(front, mode, get("/boom"))
            assert.strictEqual(reply.status, 500)
            assert.strictEqual(reply.text, "Internal Server Error")
            assert.strictEqual(reply.headers["content-type"], "text/plain; charset=utf-8")
            assert.notInclude(reply.text, "boom")
            const errors = logs.filter((l) => l.level === "ERROR")
            assert.strictEqual(errors.length, 1, Logs.pretty(logs))
            assert.include(errors[0]!.message, "GET /boom")
            assert.include(Logs.pretty(errors), "Error: boom")
            assert.match(errors[0]!.requestId ?? "", /^test-request-/)
          })
        )

        it.effect("an unknown route → 404, nothing logged at error level", () =>
          Effect.gen(function* () {
            const [reply, logs] = yield* call(front, mode, get("/nowhere"))
            assert.strictEqual(reply.status, 404)
            bodyIsAbsent(reply, front, mode)
            assert.deepStrictEqual(
              logs.filter((l) => l.level === "ERROR"),
              []
            )
          })
        )
      })
    }
  })
}

describe("examples/http-api (HttpApi)", () => {
  it.effect("one constructor serves an HttpApi on every front", () =>
    Effect.gen(function* () {
      const { ApiLive, handler } = yield* Effect.promise(() => import("../../examples/http-api.js"))
      for (const front of fronts) {
        const call = (spec: RequestSpec) =>
          TestRuntimeApi.invoke(handler, eventFor(front, spec)).pipe(
            Effect.flatMap(decodeReply),
            Effect.provide(ApiLive)
          )
        const found = yield* call(get("/items/42"))
        assert.strictEqual(found.status, 200, front)
        assert.deepStrictEqual(JSON.parse(found.text), { id: 42, name: "item 42" })
        assert.strictEqual(found.headers["content-type"], "application/json")

        const missing = yield* call(get("/items/0"))
        assert.strictEqual(missing.status, 404)
        assert.deepStrictEqual(JSON.parse(missing.text), { _tag: "ItemNotFound", id: 0 })

        const invalid = yield* call(get("/items/abc"))
        assert.strictEqual(invalid.status, 400)
        assert.strictEqual(JSON.parse(invalid.text)._tag, "HttpApiDecodeError")

        const created = yield* call({
          method: "POST",
          path: "/items",
          headers: [["content-type", "application/json"]],
          body: JSON.stringify({ name: "lamp" })
        })
        assert.strictEqual(created.status, 201)
        assert.deepStrictEqual(JSON.parse(created.text), { id: 7, name: "lamp" })

        const rejected = yield* call({
          method: "POST",
          path: "/items",
          headers: [["content-type", "application/json"]],
          body: JSON.stringify({ name: "  " })
        })
        assert.strictEqual(rejected.status, 400)
      }
    })
  )
})
