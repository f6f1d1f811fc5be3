/**
 * On the wire: examples/http.ts and examples/http-stream.ts (and examples/http-api.ts) run as real `node`
 * processes against a Runtime API on 127.0.0.1; the events are the fronts' JSON, the replies the bytes the
 * runtime posted (a buffered JSON body, or a chunked body: prelude, 8 NUL bytes, body, trailers).
 */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import * as Crypto from "node:crypto"
import * as RuntimeApiServer from "effect-lambda-dev/RuntimeApiServer"
import { Encoders, TestRuntimeApi } from "../../src/index.js"
import * as HttpPrelude from "../../src/streaming/HttpPrelude.js"
import { spawnFunction } from "../support/FunctionProcess.js"
import { decodeReply, eventFor, type Front, fronts, type Reply, type RequestSpec } from "./support/events.js"
import * as Recording from "./support/RecordingRuntimeApi.js"

const server = RuntimeApiServer.make()

/** What the runtime posted, as `TestRuntimeApi.invoke` would have returned it, then decoded per front. */
const wireReply = (outcome: RuntimeApiServer.Outcome): Effect.Effect<Reply> => {
  if (outcome._tag === "Error") return Effect.dieMessage(`error report: ${JSON.stringify(outcome.report)}`)
  const contentType = outcome.headers["content-type"] ?? ""
  const result: TestRuntimeApi.Result = outcome.streamed
    ? {
        _tag: "Stream",
        contentType,
        chunks: [outcome.body],
        body: outcome.body,
        error:
          outcome.trailers["lambda-runtime-function-error-type"] === undefined
            ? undefined
            : TestRuntimeApi.decodeTrailers({
                "Lambda-Runtime-Function-Error-Type": outcome.trailers["lambda-runtime-function-error-type"],
                "Lambda-Runtime-Function-Error-Body": outcome.trailers["lambda-runtime-function-error-body"] ?? ""
              })
      }
    : { _tag: "Response", contentType, body: outcome.body, text: Buffer.from(outcome.body).toString("utf8") }
  return decodeReply(result)
}

const get = (path: string): RequestSpec => ({ method: "GET", path })

const sseEvents = (body: Uint8Array) =>
  Stream.make(body).pipe(
    Encoders.sseDecode,
    Stream.runCollect,
    Effect.map((events) => Chunk.toReadonlyArray(events).map((e) => [e.event, e.id, e.data]))
  )

const expectedSse = [1, 2, 3, 4, 5].map((n) => ["tick", String(n), JSON.stringify({ n })])

/** Every route of the example app, through `front`, checked from the wire bytes. */
const exerciseRoutes = (api: RuntimeApiServer.Service, front: Front, streamed: boolean) =>
  Effect.gen(function* () {
    const send = (spec: RequestSpec) =>
      Effect.gen(function* () {
        const outcome = yield* api.invoke({ event: JSON.stringify(eventFor(front, spec)) })
        assert.strictEqual(outcome._tag, "Response")
        if (outcome._tag !== "Response") return yield* Effect.dieMessage("no response")
        assert.strictEqual(outcome.status, 202)
        assert.strictEqual(outcome.streamed, streamed, front)
        if (streamed) {
          assert.strictEqual(outcome.headers["content-type"], HttpPrelude.ContentType)
          assert.strictEqual(outcome.headers["lambda-runtime-function-response-mode"], "streaming")
          assert.deepStrictEqual(outcome.trailers, {})
        } else {
          assert.strictEqual(outcome.headers["content-type"], "application/json")
        }
        return yield* wireReply(outcome)
      })

    const hello = yield* send(get("/hello"))
    assert.strictEqual(hello.status, 200)
    assert.strictEqual(hello.text, "hello")
    assert.deepStrictEqual(hello.headers, { "content-type": "text/plain" })

    const item = yield* send(get("/items/a%20b"))
    assert.deepStrictEqual(JSON.parse(item.text), { id: "a b" })

    const bytes = new Uint8Array(Crypto.randomBytes(100_000))
    const echo = yield* send({
      method: "POST",
      path: "/echo",
      headers: [["content-type", "image/png"]],
      body: bytes
    })
    assert.strictEqual(echo.headers["content-type"], "image/png")
    assert.isTrue(Buffer.from(echo.body).equals(bytes))

    const cookies = yield* send(get("/cookies"))
    assert.strictEqual(cookies.status, 200)
    assert.deepStrictEqual(cookies.cookies, front === "AlbSingle" ? ["b=2; Path=/"] : ["a=1; Path=/", "b=2; Path=/"])

    const redirect = yield* send(get("/redirect"))
    assert.strictEqual(redirect.status, 302)
    assert.strictEqual(redirect.headers.location, "/hello")
    assert.strictEqual(redirect.body.length, 0)

    const boom = yield* send(get("/boom"))
    assert.strictEqual(boom.status, 500)
    assert.strictEqual(boom.text, "Internal Server Error")

    const stream = yield* send(get("/stream"))
    assert.strictEqual(stream.headers["content-type"], Encoders.SseContentType)
    assert.deepStrictEqual(yield* sseEvents(stream.body), expectedSse)
  })

describe("HTTP examples on the wire", () => {
  it.scopedLive("examples/http.ts: every route, every front, buffered JSON replies", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/http.ts", api.address)
      for (const front of fronts) yield* exerciseRoutes(api, front, false)
      assert.deepStrictEqual(yield* api.violations, [])
      assert.isTrue(fn.isRunning())
      // the defect was logged, with the request id, by the runtime's logger
      const boomLines = fn
        .stdout()
        .split("\n")
        .filter((line) => line.includes("GET /boom"))
      assert.strictEqual(boomLines.length, fronts.length)
      for (const line of boomLines) assert.match(line, /\t[0-9a-f-]{36}\tERROR\t/)
    })
  )

  it.scopedLive("examples/http-stream.ts: streamed through Function URLs and REST, buffered for HTTP API and ALB", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* spawnFunction("examples/http-stream.ts", api.address)
      for (const front of fronts) {
        yield* exerciseRoutes(api, front, front === "FunctionUrl" || front === "ApiGatewayV1")
      }
      assert.deepStrictEqual(yield* api.violations, [])
      assert.isTrue(fn.isRunning())
    })
  )

  it.scopedLive("examples/http-stream.ts: the prelude first, then each event when it is produced (250 ms apart)", () =>
    Effect.gen(function* () {
      const api = yield* Recording.make
      yield* spawnFunction("examples/http-stream.ts", api.address)
      for (const front of ["FunctionUrl", "ApiGatewayV1"] as const) {
        const recorded = yield* api.invoke(eventFor(front, get("/stream")))
        assert.strictEqual(recorded.headers["content-type"], HttpPrelude.ContentType)
        assert.strictEqual(recorded.headers["transfer-encoding"], "chunked")
        assert.deepStrictEqual(recorded.trailers, {})

        const { bodyBytes, prelude } = yield* Effect.scoped(
          Effect.gen(function* () {
            const { body, prelude } = yield* HttpPrelude.decode(
              Stream.fromIterable(recorded.pieces.map((p) => p.bytes)).pipe(Stream.rechunk(1))
            )
            const bodyBytes = Buffer.concat(Chunk.toReadonlyArray(yield* Stream.runCollect(body)))
            return { bodyBytes, prelude }
          })
        )
        assert.strictEqual(prelude.statusCode, 200)
        const headers = front === "FunctionUrl" ? prelude.headers : prelude.multiValueHeaders
        assert.deepStrictEqual(
          headers,
          front === "FunctionUrl"
            ? { "cache-control": "no-cache", "content-type": Encoders.SseContentType }
            : { "cache-control": ["no-cache"], "content-type": [Encoders.SseContentType] }
        )
        assert.deepStrictEqual(yield* sseEvents(bodyBytes), expectedSse)

        // when each event was complete on the wire
        const delimiter = Buffer.from(HttpPrelude.Delimiter)
        let received = Buffer.alloc(0)
        let preludeAt: number | undefined
        const eventAt: Array<number> = []
        for (const piece of recorded.pieces) {
          received = Buffer.concat([received, piece.bytes])
          const end = received.indexOf(delimiter)
          if (end === -1) continue
          preludeAt ??= piece.at
          const events =
            received
              .subarray(end + delimiter.length)
              .toString("utf8")
              .split("\n\n").length - 1
          while (eventAt.length < events) eventAt.push(piece.at)
        }
        assert.strictEqual(eventAt.length, 5)
        assert.isAtMost(preludeAt!, eventAt[0]!)
        for (let i = 1; i < 5; i++) assert.isAtLeast(eventAt[i]!, eventAt[i - 1]!)
        // five events 250 ms apart: spread over ~1 s, not delivered at once at the end
        assert.isAtLeast(eventAt[4]! - eventAt[0]!, 500)
        assert.isAtLeast(new Set(eventAt).size, 4)
      }
    })
  )

  it.scopedLive("examples/http-api.ts: an HttpApi app with its Layers built at init", () =>
    Effect.gen(function* () {
      const api = yield* server
      yield* spawnFunction("examples/http-api.ts", api.address)
      for (const front of fronts) {
        const found = yield* Effect.flatMap(
          api.invoke({ event: JSON.stringify(eventFor(front, get("/items/5"))) }),
          wireReply
        )
        assert.strictEqual(found.status, 200)
        assert.deepStrictEqual(JSON.parse(found.text), { id: 5, name: "item 5" })
        const missing = yield* Effect.flatMap(
          api.invoke({ event: JSON.stringify(eventFor(front, get("/items/0"))) }),
          wireReply
        )
        assert.strictEqual(missing.status, 404)
      }
      const unsupported = yield* api.invoke({ event: JSON.stringify({ Records: [] }) })
      assert.strictEqual(unsupported._tag === "Error" && unsupported.report?.errorType, "Runtime.UnsupportedEvent")
    })
  )
})
