/**
 * HttpHandler: detection, request and response translation per front, errors, limits, streaming, builders.
 * In memory, through `TestRuntimeApi.invoke` (the runtime's own loop, sink and error rules).
 */
import * as Cookies from "@effect/platform/Cookies"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerRespondable from "@effect/platform/HttpServerRespondable"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Context, Data, DefaultServices, Effect, Option, Schema, Scope, Stream, Tracer } from "effect"
import { Readable } from "node:stream"
import { type Handler, HttpHandler, InvocationContext, LambdaEvent, TestRuntimeApi } from "../../src/index.js"
import * as ApiGatewayV1 from "../../src/http/ApiGatewayV1.js"
import {
  decodeReply,
  eventFor,
  fixture,
  type Front,
  fronts,
  type Json,
  type RequestSpec,
  utf8
} from "./support/events.js"
import * as Logs from "./support/logs.js"

const invoke = <E>(handler: Handler.Handler<E, never>, event: unknown) => TestRuntimeApi.invoke(handler, event)

/** Invoke, decode the reply, and capture the logs. */
const call = (handler: Handler.Handler<HttpHandler.HttpHandlerError, never>, event: unknown) =>
  Logs.capture(Effect.flatMap(invoke(handler, event), decodeReply))

const errorsIn = (logs: ReadonlyArray<Logs.Record>) => logs.filter((l) => l.level === "ERROR")
const warningsIn = (logs: ReadonlyArray<Logs.Record>) => logs.filter((l) => l.level === "WARN")

/** What an app saw of its request. */
interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  readonly cookies: Record<string, string>
  readonly remoteAddress: string | undefined
  readonly body: Uint8Array
  readonly searchParams: unknown
}

/** A router whose every route records the request it got, and answers 204. */
const recorder = () => {
  const seen: Array<Seen> = []
  const record = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const searchParams = yield* HttpServerRequest.ParsedSearchParams
    const body = new Uint8Array(yield* request.arrayBuffer)
    seen.push({
      method: request.method,
      url: request.url,
      headers: { ...request.headers },
      cookies: { ...request.cookies },
      remoteAddress: Option.getOrUndefined(request.remoteAddress),
      body,
      searchParams
    })
    return HttpServerResponse.empty()
  })
  const router = HttpRouter.empty.pipe(HttpRouter.all("*", record))
  return { seen, handler: HttpHandler.make(router) }
}

const lastSeen = (seen: ReadonlyArray<Seen>): Seen => {
  const last = seen[seen.length - 1]
  if (last === undefined) throw new Error("the app saw no request")
  return last
}

/** A route whose request scope has a finalizer and whose body streams "a" then "b"; each step is recorded in `order`. */
const scopedStream = (order: Array<string>) =>
  Effect.gen(function* () {
    yield* Effect.addFinalizer(() => Effect.sync(() => order.push("request scope closed")))
    return HttpServerResponse.stream(
      Stream.make(utf8("a"), utf8("b")).pipe(
        Stream.tap(() => Effect.sync(() => order.push("chunk pulled"))),
        Stream.rechunk(1)
      )
    )
  })

describe("HttpHandler", () => {
  describe("detection", () => {
    const whoami = HttpHandler.make(
      HttpRouter.empty.pipe(
        HttpRouter.get(
          "/items/:id",
          Effect.gen(function* () {
            const { event, source } = yield* LambdaEvent.LambdaEvent
            const invocation = yield* InvocationContext.InvocationContext
            return yield* HttpServerResponse.json({
              source,
              requestId: invocation.requestId,
              stage: source === "ApiGatewayV1" ? event.requestContext.stage : undefined,
              targetGroupArn: source === "Alb" ? event.requestContext.elb.targetGroupArn : undefined
            })
          })
        )
      )
    )

    const cases: ReadonlyArray<readonly [string, LambdaEvent.Source]> = [
      ["apigw-rest", "ApiGatewayV1"],
      ["apigw-http-v1", "ApiGatewayV1"],
      ["apigw-http", "ApiGatewayV2"],
      ["function-url", "FunctionUrl"],
      ["alb-single", "Alb"],
      ["alb-multi", "Alb"]
    ]
    for (const [name, source] of cases) {
      it.effect(`${name}.json is ${source}; LambdaEvent and InvocationContext are reachable from a route`, () =>
        Effect.gen(function* () {
          const event = fixture(name)
          const result = yield* invoke(whoami, event)
          const reply = yield* decodeReply(result)
          const body = JSON.parse(reply.text)
          assert.strictEqual(body.source, source)
          assert.match(body.requestId, /^test-request-/)
          if (source === "ApiGatewayV1") {
            assert.strictEqual(body.stage, (event.requestContext as Json).stage)
          }
          if (source === "Alb") assert.match(body.targetGroupArn, /^arn:aws:elasticloadbalancing:/)
          assert.strictEqual(LambdaEvent.detect(event) instanceof Object, true)
        })
      )
    }

    it("detect says what an event is not", () => {
      assert.include(LambdaEvent.detect(fixture("websocket")) as string, "WebSocket")
      assert.include(LambdaEvent.detect({ Records: [{ eventSource: "aws:sqs" }] }) as string, "batch of records")
      assert.include(LambdaEvent.detect([1, 2]) as string, "an array")
      assert.include(LambdaEvent.detect(null) as string, "null")
      assert.include(LambdaEvent.detect({ version: "2.0", requestContext: {} }) as string, "rawPath")
      assert.include(LambdaEvent.detect({ requestContext: { elb: {} } }) as string, "ALB")
    })

    it("a payload 2.0 event is a Function URL only on a lambda-url domain", () => {
      const event = fixture("function-url")
      assert.strictEqual((LambdaEvent.detect(event) as LambdaEvent.Event).source, "FunctionUrl")
      const custom = { ...event, requestContext: { ...(event.requestContext as Json), domainName: "api.example.com" } }
      assert.strictEqual((LambdaEvent.detect(custom) as LambdaEvent.Event).source, "ApiGatewayV2")
    })
  })

  describe("request translation, from the fixtures as they are", () => {
    const query = "tag=a&tag=b&q=caf%C3%A9%20%26%20cr%C3%A8me"

    it.effect("REST: path without the stage, query re-encoded, every header value, cookies, sourceIp", () =>
      Effect.gen(function* () {
        const { handler, seen } = recorder()
        yield* invoke(handler, fixture("apigw-rest"))
        const request = lastSeen(seen)
        assert.strictEqual(request.method, "GET")
        assert.strictEqual(request.url, `/items/42?${query}`)
        assert.deepStrictEqual(request.searchParams, { tag: ["a", "b"], q: "café & crème" })
        assert.strictEqual(request.headers["x-request-tag"], "red, blue")
        assert.strictEqual(request.headers.host, "r8mvz2k1qa.execute-api.eu-central-1.amazonaws.com")
        assert.deepStrictEqual(request.cookies, { session: "4f2a9c", theme: "dark" })
        assert.strictEqual(request.remoteAddress, "203.0.113.42")
        assert.strictEqual(request.body.length, 0)
      })
    )

    it.effect("REST on a custom domain: the base path mapping is removed; a base64 body is decoded", () =>
      Effect.gen(function* () {
        const { handler, seen } = recorder()
        yield* invoke(handler, fixture("apigw-rest-custom-domain"))
        const request = lastSeen(seen)
        assert.strictEqual(request.method, "POST")
        assert.strictEqual(request.url, "/items/42")
        assert.strictEqual(request.headers["content-type"], "application/octet-stream")
        assert.deepStrictEqual(request.body, new Uint8Array([0, 1, 2, 253, 254, 255, 128, 128, 129, 130]))
        assert.strictEqual(request.remoteAddress, "198.51.100.7")
      })
    )

    it.effect("HTTP API with payload 1.0 is read as REST", () =>
      Effect.gen(function* () {
        const { handler, seen } = recorder()
        yield* invoke(handler, fixture("apigw-http-v1"))
        const request = lastSeen(seen)
        assert.strictEqual(request.url, "/items/42")
        assert.strictEqual(request.remoteAddress, "192.0.2.10")
      })
    )

    for (const name of ["apigw-http", "function-url"]) {
      it.effect(`${name}: rawPath and rawQueryString as received, the cookies array as one Cookie header`, () =>
        Effect.gen(function* () {
          const { handler, seen } = recorder()
          yield* invoke(handler, fixture(name))
          const request = lastSeen(seen)
          assert.strictEqual(request.url, `/items/42?${query}`)
          assert.strictEqual(request.headers.cookie, "session=4f2a9c; theme=dark")
          assert.deepStrictEqual(request.cookies, { session: "4f2a9c", theme: "dark" })
          assert.strictEqual(request.headers["x-request-tag"], "red,blue")
          assert.strictEqual(request.remoteAddress, "203.0.113.42")
        })
      )
    }

    it.effect("ALB single-value: the query as received; remote address = the last x-forwarded-for entry", () =>
      Effect.gen(function* () {
        const { handler, seen } = recorder()
        yield* invoke(handler, fixture("alb-single"))
        const request = lastSeen(seen)
        assert.strictEqual(request.url, "/items/42?tag=b&q=caf%C3%A9%20%26%20cr%C3%A8me")
        assert.deepStrictEqual(request.searchParams, { tag: "b", q: "café & crème" })
        assert.strictEqual(request.remoteAddress, "203.0.113.42")
        assert.deepStrictEqual(request.cookies, { session: "4f2a9c", theme: "dark" })
        assert.strictEqual(request.headers["x-request-tag"], "blue")
        assert.strictEqual(request.body.length, 0)
      })
    )

    it.effect("ALB multi-value: every query value and header value", () =>
      Effect.gen(function* () {
        const { handler, seen } = recorder()
        yield* invoke(handler, fixture("alb-multi"))
        const request = lastSeen(seen)
        assert.strictEqual(request.url, `/items/42?${query}`)
        assert.strictEqual(request.headers["x-request-tag"], "red, blue")
      })
    )

    it.effect("GET never carries a body; HEAD is served by the GET route without a body", () =>
      Effect.gen(function* () {
        const { handler, seen } = recorder()
        yield* invoke(handler, eventFor("FunctionUrl", { method: "GET", path: "/x", body: "ignored" }))
        assert.strictEqual(lastSeen(seen).body.length, 0)

        const head = HttpHandler.make(
          HttpRouter.empty.pipe(
            HttpRouter.get("/doc", HttpServerResponse.text("a body", { headers: { etag: '"v1"' } }))
          )
        )
        for (const front of fronts) {
          const [reply] = yield* call(head, eventFor(front, { method: "HEAD", path: "/doc" }))
          assert.strictEqual(reply.status, 200)
          assert.strictEqual(reply.headers.etag, '"v1"')
          assert.strictEqual(reply.headers["content-type"], "text/plain")
          assert.strictEqual(reply.body.length, 0)
        }
      })
    )

    it.effect("the body reads as text, JSON, URL params and a stream", () =>
      Effect.gen(function* () {
        const Body = Schema.Struct({ n: Schema.Number })
        const app = HttpRouter.empty.pipe(
          HttpRouter.post(
            "/json",
            Effect.flatMap(HttpServerRequest.schemaBodyJson(Body), (body) => HttpServerResponse.json(body))
          ),
          HttpRouter.post(
            "/form",
            Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) =>
              Effect.map(r.urlParamsBody, (params) => HttpServerResponse.unsafeJson(params))
            )
          ),
          HttpRouter.post(
            "/stream",
            Effect.map(HttpServerRequest.HttpServerRequest, (r) => HttpServerResponse.stream(r.stream))
          ),
          HttpRouter.post(
            "/text",
            Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) =>
              Effect.map(r.text, (text) => HttpServerResponse.text(text.toUpperCase()))
            )
          )
        )
        const handler = HttpHandler.make(app)
        for (const front of fronts) {
          const json = yield* Effect.flatMap(
            invoke(handler, eventFor(front, { method: "POST", path: "/json", body: utf8(`{"n":1.5}`) })),
            decodeReply
          )
          assert.deepStrictEqual(JSON.parse(json.text), { n: 1.5 })
          const bad = yield* Effect.flatMap(
            invoke(handler, eventFor(front, { method: "POST", path: "/json", body: "not json" })),
            decodeReply
          )
          assert.strictEqual(bad.status, 400)
          const form = yield* Effect.flatMap(
            invoke(handler, eventFor(front, { method: "POST", path: "/form", body: "a=1&b=x%20y&a=2" })),
            decodeReply
          )
          assert.deepStrictEqual(JSON.parse(form.text), [
            ["a", "1"],
            ["b", "x y"],
            ["a", "2"]
          ])
          const bytes = new Uint8Array([0, 255, 1, 254])
          const stream = yield* Effect.flatMap(
            invoke(handler, eventFor(front, { method: "POST", path: "/stream", body: bytes })),
            decodeReply
          )
          assert.deepStrictEqual(stream.body, bytes)
          const text = yield* Effect.flatMap(
            invoke(handler, eventFor(front, { method: "POST", path: "/text", body: utf8("ünï") })),
            decodeReply
          )
          assert.strictEqual(text.text, "ÜNÏ")
        }
      })
    )

    it.effect("a mounted router sees the path below its prefix (requests modified by the router)", () =>
      Effect.gen(function* () {
        const api = HttpRouter.empty.pipe(
          HttpRouter.get(
            "/users/:id",
            Effect.gen(function* () {
              const request = yield* HttpServerRequest.HttpServerRequest
              const { id } = yield* HttpRouter.params
              return HttpServerResponse.text(`${request.url} ${id}`)
            })
          )
        )
        const handler = HttpHandler.make(HttpRouter.empty.pipe(HttpRouter.mount("/api", api)))
        for (const front of fronts) {
          const reply = yield* Effect.flatMap(
            invoke(handler, eventFor(front, { method: "GET", path: "/api/users/7" })),
            decodeReply
          )
          assert.strictEqual(reply.text, "/users/7 7")
        }
      })
    )
  })

  describe("routers", () => {
    /** What a route saw: its request, route context, search params and interruptibility. */
    const describeRoute = (label: string) =>
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const context = yield* HttpRouter.RouteContext
        const search = yield* HttpServerRequest.ParsedSearchParams
        const interruptible = yield* Effect.checkInterruptible(Effect.succeed)
        return yield* HttpServerResponse.json({
          label,
          method: request.method,
          url: request.url,
          route: context.route.path,
          params: context.params,
          search,
          interruptible
        })
      })
    const mounted: HttpApp.Default = Effect.map(HttpServerRequest.HttpServerRequest, (request) =>
      HttpServerResponse.unsafeJson({ label: "mounted app", url: request.url })
    )
    const router = HttpRouter.empty.pipe(
      HttpRouter.get("/items/:id", describeRoute("item")),
      HttpRouter.post("/items", describeRoute("create")),
      HttpRouter.all("/any/*", describeRoute("any")),
      HttpRouter.get("/still", describeRoute("still"), { uninterruptible: true }),
      HttpRouter.mount("/api", HttpRouter.empty.pipe(HttpRouter.get("/users/:id", describeRoute("user")))),
      HttpRouter.mountApp("/files", mounted),
      HttpRouter.mountApp("/static", mounted, { includePrefix: true })
    )
    const requests: ReadonlyArray<RequestSpec> = [
      {
        method: "GET",
        path: "/items/7",
        query: [
          ["x", "1"],
          ["x", "2"],
          ["y", "3"]
        ]
      },
      { method: "HEAD", path: "/items/7" },
      { method: "POST", path: "/items" },
      { method: "PUT", path: "/any/a/b" },
      { method: "GET", path: "/still" },
      { method: "GET", path: "/api/users/9", query: [["q", "z"]] },
      { method: "GET", path: "/files/a.txt" },
      { method: "GET", path: "/files" },
      { method: "GET", path: "/static/b.css" },
      { method: "GET", path: "/nope" },
      { method: "DELETE", path: "/items/7" },
      { method: "GET", path: "/Items/7/" },
      { method: "GET", path: "/items/a%2Fb%20%C3%A9" },
      { method: "GET", path: "//items//7" }
    ]

    it.effect("a router is routed exactly as its own app routes it (the adapter routes it itself)", () =>
      Effect.gen(function* () {
        // The router as a value is routed by the adapter; an Effect that builds its app is served as it is.
        const routedHere = HttpHandler.make(router)
        const reference = HttpHandler.make(HttpRouter.toHttpApp(router))
        for (const front of fronts) {
          for (const spec of requests) {
            const [ours] = yield* call(routedHere, eventFor(front, spec))
            const [theirs] = yield* call(reference, eventFor(front, spec))
            assert.deepStrictEqual(ours, theirs, `${front} ${spec.method} ${spec.path}`)
          }
        }
        const [item] = yield* call(routedHere, eventFor("FunctionUrl", requests[0]!))
        assert.deepStrictEqual(JSON.parse(item.text), {
          label: "item",
          method: "GET",
          url: "/items/7?x=1&x=2&y=3",
          route: "/items/:id",
          params: { id: "7" },
          search: { x: ["1", "2"], y: "3" },
          interruptible: true
        })
        const texts = yield* Effect.forEach([4, 5, 6, 8, 9], (i) =>
          Effect.map(
            call(routedHere, eventFor("FunctionUrl", requests[i]!)),
            ([reply]) => `${reply.status} ${reply.text}`
          )
        )
        assert.deepStrictEqual(texts.slice(0, 4), [
          `200 {"label":"still","method":"GET","url":"/still","route":"/still","params":{},"search":{},"interruptible":false}`,
          `200 {"label":"user","method":"GET","url":"/users/9?q=z","route":"/api/users/:id","params":{"id":"9"},"search":{"q":"z"},"interruptible":true}`,
          `200 {"label":"mounted app","url":"/a.txt"}`,
          `200 {"label":"mounted app","url":"/static/b.css"}`
        ])
        assert.match(texts[4] ?? "", /^404 /)
      })
    )

    it.effect("the router configuration of the fiber applies (HttpRouter.withRouterConfig)", () =>
      Effect.gen(function* () {
        // find-my-way's defaults ignore case and a trailing slash; a strict configuration does not.
        const spec: RequestSpec = { method: "GET", path: "/Items/7/" }
        const [lenient] = yield* call(HttpHandler.make(router), eventFor("FunctionUrl", spec))
        assert.strictEqual(lenient.status, 200)
        assert.strictEqual(JSON.parse(lenient.text).params.id, "7")
        const [strict] = yield* call(HttpHandler.make(router), eventFor("FunctionUrl", spec)).pipe(
          HttpRouter.withRouterConfig({ caseSensitive: true, ignoreTrailingSlash: false })
        )
        assert.strictEqual(strict.status, 404)
      })
    )
  })

  describe("REST paths", () => {
    it("the stage or a base path mapping is removed only when resource and pathParameters prove it", () => {
      const relative = ApiGatewayV1.relativePath
      assert.strictEqual(relative("/items/42", "/items/{id}", { id: "42" }), "/items/42")
      assert.strictEqual(relative("/prod/items/42", "/items/{id}", { id: "42" }), "/items/42")
      assert.strictEqual(relative("/shop/v1/items/42", "/items/{id}", { id: "42" }), "/items/42")
      assert.strictEqual(relative("/dev/user/session", "/user/{proxy+}", { proxy: "session" }), "/user/session")
      assert.strictEqual(relative("/a%20b/c%2Fd", "/{proxy+}", { proxy: "a b/c/d" }), "/a%20b/c%2Fd")
      assert.strictEqual(relative("/base/caf%C3%A9", "/{name}", { name: "café" }), "/caf%C3%A9")
      assert.strictEqual(relative("/prod/items/42", "/items/{id}", { id: "43" }), "/prod/items/42")
      assert.strictEqual(relative("/prod/items/42", "/items/{id}", null), "/prod/items/42")
      assert.strictEqual(relative("/prod/items/42", undefined, undefined), "/prod/items/42")
      assert.strictEqual(relative("/prod", "/", null), "/prod")
    })

    it.effect("a REST event whose path carries the stage (custom domain without base path) routes as usual", () =>
      Effect.gen(function* () {
        const { handler, seen } = recorder()
        const event = fixture("apigw-rest")
        yield* invoke(handler, {
          ...event,
          path: "/prod/items/42",
          resource: "/items/{id}",
          pathParameters: { id: "42" },
          multiValueQueryStringParameters: null,
          queryStringParameters: null
        })
        assert.strictEqual(lastSeen(seen).url, "/items/42")
      })
    )
  })

  describe("binary bodies", () => {
    it("the default rule", () => {
      const binary = (headers: Record<string, string>) => HttpHandler.isBinary(headers)
      for (const type of [
        "text/plain",
        "text/html; charset=utf-8",
        "TEXT/CSV",
        "application/json",
        "application/json; charset=utf-8",
        "application/problem+json",
        "application/vnd.api+json",
        "image/svg+xml",
        "application/xml",
        "application/javascript",
        "application/x-www-form-urlencoded",
        "application/x-ndjson",
        "application/yaml",
        "text/event-stream"
      ]) {
        assert.isFalse(binary({ "content-type": type }), type)
      }
      for (const type of ["application/octet-stream", "image/png", "application/pdf", "video/mp4", "application/zip"]) {
        assert.isTrue(binary({ "content-type": type }), type)
      }
      assert.isTrue(binary({}))
      assert.isTrue(binary({ "content-type": "text/plain", "content-encoding": "gzip" }))
      assert.isFalse(binary({ "content-type": "text/plain", "content-encoding": "identity" }))
    })

    const app = HttpRouter.empty.pipe(
      HttpRouter.get("/gzip", HttpServerResponse.text("pretend gzip", { headers: { "content-encoding": "gzip" } })),
      HttpRouter.get(
        "/not-utf8",
        HttpServerResponse.uint8Array(new Uint8Array([0xc3, 0x28, 0xff]), { contentType: "text/plain" })
      ),
      HttpRouter.get("/custom", HttpServerResponse.text("a,b\n1,2", { contentType: "application/x-custom-csv" })),
      HttpRouter.get("/raw", Effect.succeed(HttpServerResponse.raw("raw text")))
    )

    it.effect("content-encoding, bytes that are not UTF-8, unknown types and no type are sent base64", () =>
      Effect.gen(function* () {
        const handler = HttpHandler.make(app)
        for (const front of fronts) {
          for (const [path, body] of [
            ["/gzip", utf8("pretend gzip")],
            ["/not-utf8", new Uint8Array([0xc3, 0x28, 0xff])],
            ["/custom", utf8("a,b\n1,2")],
            ["/raw", utf8("raw text")]
          ] as const) {
            const [reply] = yield* call(handler, eventFor(front, { method: "GET", path }))
            assert.strictEqual(reply.isBase64Encoded, true, `${front} ${path}`)
            assert.deepStrictEqual(reply.body, body)
          }
        }
      })
    )

    it.effect("the isBinary option replaces the rule (invalid UTF-8 is still base64)", () =>
      Effect.gen(function* () {
        const handler = HttpHandler.make(app, {
          isBinary: (headers) => headers["content-type"] !== "application/x-custom-csv" && HttpHandler.isBinary(headers)
        })
        const [custom] = yield* call(handler, eventFor("ApiGatewayV1", { method: "GET", path: "/custom" }))
        assert.strictEqual(custom.isBase64Encoded, false)
        assert.strictEqual(custom.raw.body, "a,b\n1,2")
        const always = HttpHandler.make(app, { isBinary: () => false })
        const [bytes] = yield* call(always, eventFor("ApiGatewayV2", { method: "GET", path: "/not-utf8" }))
        assert.strictEqual(bytes.isBase64Encoded, true)
        assert.deepStrictEqual(bytes.body, new Uint8Array([0xc3, 0x28, 0xff]))
      })
    )
  })

  describe("response bodies of every kind", () => {
    const form = new FormData()
    form.append("field", "value")
    const app = HttpRouter.empty.pipe(
      HttpRouter.get("/raw-string", Effect.succeed(HttpServerResponse.raw("text", { contentType: "text/plain" }))),
      HttpRouter.get(
        "/raw-bytes",
        Effect.succeed(HttpServerResponse.raw(new Uint8Array([1, 2, 3]), { contentType: "application/octet-stream" }))
      ),
      HttpRouter.get(
        "/raw-web-stream",
        Effect.sync(() =>
          HttpServerResponse.raw(
            new ReadableStream({
              start(controller) {
                controller.enqueue(utf8("web "))
                controller.enqueue(utf8("stream"))
                controller.close()
              }
            }),
            { contentType: "text/plain" }
          )
        )
      ),
      HttpRouter.get(
        "/raw-readable",
        Effect.sync(() => HttpServerResponse.raw(Readable.from(["node ", "readable"]), { contentType: "text/plain" }))
      ),
      HttpRouter.get(
        "/form",
        Effect.sync(() => HttpServerResponse.formData(form))
      ),
      HttpRouter.get("/raw-unsupported", Effect.succeed(HttpServerResponse.raw(42)))
    )

    for (const mode of ["buffered", "streaming"] as const) {
      it.effect(`raw strings, bytes, web and Node streams, FormData (${mode})`, () =>
        Effect.gen(function* () {
          const handler = HttpHandler.make(app, { mode })
          for (const front of fronts) {
            const body = (path: string) =>
              Effect.map(call(handler, eventFor(front, { method: "GET", path })), ([reply]) => reply)
            assert.strictEqual((yield* body("/raw-string")).text, "text")
            assert.deepStrictEqual((yield* body("/raw-bytes")).body, new Uint8Array([1, 2, 3]))
            assert.strictEqual((yield* body("/raw-web-stream")).text, "web stream")
            assert.strictEqual((yield* body("/raw-readable")).text, "node readable")
            const multipart = yield* body("/form")
            assert.match(multipart.headers["content-type"] ?? "", /^multipart\/form-data; boundary=/)
            assert.include(multipart.text, 'name="field"')
            assert.include(multipart.text, "value")
            const [unsupported, logs] = yield* call(
              handler,
              eventFor(front, { method: "GET", path: "/raw-unsupported" })
            )
            assert.strictEqual(unsupported.status, 500)
            assert.include(Logs.pretty(errorsIn(logs)), "unsupported HttpServerResponse.raw body")
          }
        })
      )
    }
  })

  describe("headers that are not valid HTTP", () => {
    const app = HttpRouter.empty.pipe(
      HttpRouter.get(
        "/bad",
        Effect.succeed(
          HttpServerResponse.text("ok", {
            headers: {
              "x-good": "fine value",
              "x-split": "a\r\nx-injected: 1",
              "x-nul": "a\u0000b",
              "bad name": "v",
              "x-obs": "caf\u00e9",
              "x-wide": "snow\u2603man",
              "set-cookie": "manual=1; Path=/"
            }
          }).pipe(
            HttpServerResponse.unsafeSetCookie("ok", "1"),
            // the platform validates cookies it makes; these are forged past it
            HttpServerResponse.mergeCookies(
              Cookies.fromIterable([
                { ...Cookies.unsafeMakeCookie("placeholder", "1"), name: "bad\nname" },
                { ...Cookies.unsafeMakeCookie("dom", "1"), options: { domain: "example.com\r\nx: y" } }
              ])
            )
          )
        )
      ),
      HttpRouter.get("/status", Effect.succeed(HttpServerResponse.empty({ status: 1000 })))
    )

    for (const mode of ["buffered", "streaming"] as const) {
      it.effect(`never reach the reply or the prelude, and are logged (${mode})`, () =>
        Effect.gen(function* () {
          const handler = HttpHandler.make(app, { mode })
          for (const front of fronts) {
            const [reply, logs] = yield* call(handler, eventFor(front, { method: "GET", path: "/bad" }))
            assert.strictEqual(reply.status, 200)
            assert.deepStrictEqual(reply.headers, {
              "content-type": "text/plain",
              "x-good": "fine value",
              "x-obs": "caf\u00e9"
            })
            assert.deepStrictEqual(
              reply.cookies,
              front === "AlbSingle" ? ["manual=1; Path=/"] : ["ok=1", "manual=1; Path=/"]
            )
            assert.notInclude(JSON.stringify(reply.raw), "injected")
            assert.notInclude(JSON.stringify(reply.raw), "\\u0000")
            const warning = warningsIn(logs).find((l) => l.message.includes("not valid HTTP"))
            assert.isDefined(warning)
            for (const part of ["x-split", "x-nul", '"bad name"', "x-wide", "cookie"])
              assert.include(warning!.message, part)
            assert.notInclude(warning!.message, "injected")

            const [status, statusLogs] = yield* call(handler, eventFor(front, { method: "GET", path: "/status" }))
            assert.strictEqual(status.status, 500)
            assert.include(warningsIn(statusLogs)[0]?.message ?? "", "status")
          }
        })
      )
    }
  })

  describe("errors", () => {
    class OutOfStock extends Data.TaggedError("OutOfStock")<{ readonly sku: string }> {}
    class Conflict extends Data.TaggedError("Conflict") implements HttpServerRespondable.Respondable {
      [HttpServerRespondable.symbol]() {
        return HttpServerResponse.json({ error: "conflict" }, { status: 409 })
      }
    }
    const app = HttpRouter.empty.pipe(
      HttpRouter.get("/typed", Effect.fail(new OutOfStock({ sku: "secret-sku-1" }))),
      HttpRouter.get("/respondable", Effect.fail(new Conflict())),
      HttpRouter.get("/explicit-500", Effect.succeed(HttpServerResponse.text("my own 500", { status: 500 })))
    )
    const handler = HttpHandler.make(app)

    it.effect("a typed failure → 500 with a generic body, logged at error level with the failure", () =>
      Effect.gen(function* () {
        for (const front of fronts) {
          const [reply, logs] = yield* call(handler, eventFor(front, { method: "GET", path: "/typed" }))
          assert.strictEqual(reply.status, 500)
          assert.strictEqual(reply.text, "Internal Server Error")
          assert.notInclude(JSON.stringify(reply.raw), "secret-sku-1")
          const errors = errorsIn(logs)
          assert.strictEqual(errors.length, 1)
          assert.include(Logs.pretty(errors), "OutOfStock")
        }
      })
    )

    it.effect("a Respondable failure keeps its response and is not an error; an explicit 500 is kept", () =>
      Effect.gen(function* () {
        const [conflict, logs] = yield* call(handler, eventFor("FunctionUrl", { method: "GET", path: "/respondable" }))
        assert.strictEqual(conflict.status, 409)
        assert.deepStrictEqual(JSON.parse(conflict.text), { error: "conflict" })
        assert.deepStrictEqual(errorsIn(logs), [])
        const [explicit, explicitLogs] = yield* call(
          handler,
          eventFor("FunctionUrl", { method: "GET", path: "/explicit-500" })
        )
        assert.strictEqual(explicit.text, "my own 500")
        assert.deepStrictEqual(errorsIn(explicitLogs), [])
      })
    )

    it.effect("an event that is not JSON → Runtime.MalformedEvent", () =>
      Effect.gen(function* () {
        const [result] = yield* Logs.capture(invoke(handler, utf8("{not json")))
        assert.strictEqual(result._tag === "Error" && result.report.errorType, "Runtime.MalformedEvent")
      })
    )

    it.effect("JSON that is not an HTTP event → Runtime.UnsupportedEvent, saying what it is", () =>
      Effect.gen(function* () {
        for (const [event, hint] of [
          [fixture("websocket"), "WebSocket"],
          [{ Records: [{ eventSource: "aws:sqs", body: "{}" }] }, "batch of records"],
          [{ id: "42" }, "no requestContext"],
          ["just a string", "a string"]
        ] as const) {
          const [result] = yield* Logs.capture(invoke(handler, event))
          assert.strictEqual(result._tag, "Error")
          if (result._tag !== "Error") continue
          assert.strictEqual(result.report.errorType, HttpHandler.UnsupportedEventType)
          assert.strictEqual(result.report.errorType, "Runtime.UnsupportedEvent")
          assert.include(result.report.errorMessage, hint)
          assert.include(result.report.errorMessage, "Function URL")
        }
      })
    )

    it.live("the deadline interrupts a slow route: Runtime.DeadlineExceeded", () =>
      Effect.gen(function* () {
        let finalized = false
        const slow = HttpHandler.make(
          HttpRouter.empty.pipe(
            HttpRouter.get(
              "/slow",
              Effect.never.pipe(
                Effect.ensuring(
                  Effect.sync(() => {
                    finalized = true
                  })
                )
              )
            )
          )
        )
        const [result] = yield* Logs.capture(
          TestRuntimeApi.invoke(slow, eventFor("FunctionUrl", { method: "GET", path: "/slow" }), {
            deadlineMs: Date.now() + 400
          })
        )
        assert.strictEqual(result._tag === "Error" && result.report.errorType, "Runtime.DeadlineExceeded")
        assert.isTrue(finalized)
      })
    )
  })

  describe("buffered mode: streamed bodies are collected", () => {
    class Upstream extends Data.TaggedError("Upstream")<{}> {}
    const chunk = new Uint8Array(1024 * 1024)
    const app = HttpRouter.empty.pipe(
      HttpRouter.get(
        "/big",
        Effect.sync(() => HttpServerResponse.stream(Stream.repeatValue(chunk).pipe(Stream.take(7))))
      ),
      HttpRouter.get(
        "/fails",
        Effect.sync(() =>
          HttpServerResponse.stream(Stream.concat(Stream.make(utf8("partial")), Stream.fail(new Upstream())))
        )
      ),
      HttpRouter.get(
        "/chunks",
        Effect.sync(() =>
          HttpServerResponse.stream(Stream.make(utf8("a"), utf8("b"), utf8("c")), { contentType: "text/plain" })
        )
      )
    )
    const handler = HttpHandler.make(app)

    it.effect("a body over 6 MiB → Function.ResponseSizeTooLarge, and the rest is not pulled", () =>
      Effect.gen(function* () {
        const [result] = yield* Logs.capture(invoke(handler, eventFor("ApiGatewayV2", { method: "GET", path: "/big" })))
        assert.strictEqual(result._tag, "Error")
        if (result._tag !== "Error") return
        assert.strictEqual(result.report.errorType, "Function.ResponseSizeTooLarge")
        assert.include(result.report.errorMessage, "streaming mode")
      })
    )

    it.effect("a stream that fails while collected → 500, logged", () =>
      Effect.gen(function* () {
        const [reply, logs] = yield* call(handler, eventFor("AlbMulti", { method: "GET", path: "/fails" }))
        assert.strictEqual(reply.status, 500)
        assert.strictEqual(reply.text, "Internal Server Error")
        assert.include(Logs.pretty(errorsIn(logs)), "Upstream")
      })
    )

    it.effect("the chunks are joined", () =>
      Effect.gen(function* () {
        const [reply] = yield* call(handler, eventFor("ApiGatewayV1", { method: "GET", path: "/chunks" }))
        assert.strictEqual(reply.text, "abc")
        assert.strictEqual(reply.isBase64Encoded, false)
      })
    )
  })

  describe("streaming mode", () => {
    class Upstream extends Data.TaggedError("Upstream")<{ readonly message: string }> {}
    const order: Array<string> = []
    const app = HttpRouter.empty.pipe(
      HttpRouter.get(
        "/fails",
        Effect.sync(() =>
          HttpServerResponse.stream(
            Stream.concat(Stream.make(utf8("first")), Stream.fail(new Upstream({ message: "upstream went away" }))),
            { contentType: "text/plain" }
          )
        )
      ),
      HttpRouter.get(
        "/dies",
        Effect.sync(() =>
          HttpServerResponse.stream(
            Stream.concat(
              Stream.make(utf8("first")),
              Stream.sync(() => {
                throw new RangeError("bad index")
              })
            )
          )
        )
      ),
      HttpRouter.get("/no-content", Effect.succeed(HttpServerResponse.empty())),
      HttpRouter.get("/not-modified", Effect.succeed(HttpServerResponse.empty({ status: 304 }))),
      HttpRouter.get("/scoped", scopedStream(order))
    )
    const handler = HttpHandler.make(app, { mode: "streaming" })

    for (const front of ["FunctionUrl", "ApiGatewayV1"] as const) {
      it.effect(`${front}: a failure after the prelude ends the reply with the error trailers`, () =>
        Effect.gen(function* () {
          const [reply, logs] = yield* call(handler, eventFor(front, { method: "GET", path: "/fails" }))
          assert.strictEqual(reply.status, 200)
          assert.deepStrictEqual(reply.chunks, [utf8("first")])
          assert.deepStrictEqual(reply.error, {
            errorType: "Upstream",
            errorMessage: "upstream went away",
            stackTrace: (reply.error as { stackTrace: Array<string> }).stackTrace
          })
          assert.isTrue(errorsIn(logs).some((l) => l.message.includes("Upstream")))
          const [died] = yield* call(handler, eventFor(front, { method: "GET", path: "/dies" }))
          assert.deepStrictEqual(died.chunks, [utf8("first")])
          assert.strictEqual((died.error as { errorType: string }).errorType, "RangeError")
        })
      )

      it.effect(`${front}: the prelude is sent for empty bodies (204, 304)`, () =>
        Effect.gen(function* () {
          for (const [path, status] of [
            ["/no-content", 204],
            ["/not-modified", 304]
          ] as const) {
            const result = yield* invoke(handler, eventFor(front, { method: "GET", path }))
            assert.strictEqual(result._tag, "Stream")
            if (result._tag !== "Stream") return
            assert.strictEqual(result.chunks.length, 1)
            const reply = yield* decodeReply(result)
            assert.strictEqual(reply.status, status)
            assert.strictEqual(reply.body.length, 0)
          }
        })
      )

      it.effect(`${front}: the request scope stays open until the body stream ends`, () =>
        Effect.gen(function* () {
          order.length = 0
          const [reply] = yield* call(handler, eventFor(front, { method: "GET", path: "/scoped" }))
          assert.strictEqual(reply.text, "ab")
          assert.deepStrictEqual(order, ["chunk pulled", "chunk pulled", "request scope closed"])
          order.length = 0
          const [head] = yield* call(handler, eventFor(front, { method: "HEAD", path: "/scoped" }))
          assert.strictEqual(head.body.length, 0)
          assert.deepStrictEqual(order, ["request scope closed"])
        })
      )
    }

    it.effect("the prelude fields per front: Function URL headers + cookies, REST multiValueHeaders", () =>
      Effect.gen(function* () {
        const cookies = HttpHandler.make(
          HttpRouter.empty.pipe(
            HttpRouter.get(
              "/c",
              HttpServerResponse.text("x").pipe(
                HttpServerResponse.setCookies([
                  ["a", "1"],
                  ["b", "2"]
                ])
              )
            )
          ),
          { mode: "streaming" }
        )
        const [url] = yield* call(cookies, eventFor("FunctionUrl", { method: "GET", path: "/c" }))
        assert.deepStrictEqual(url.raw, {
          statusCode: 200,
          headers: { "content-type": "text/plain" },
          cookies: ["a=1", "b=2"]
        })
        const [rest] = yield* call(cookies, eventFor("ApiGatewayV1", { method: "GET", path: "/c" }))
        assert.deepStrictEqual(rest.raw, {
          statusCode: 200,
          multiValueHeaders: { "content-type": ["text/plain"], "set-cookie": ["a=1", "b=2"] }
        })
      })
    )

    it.effect("HTTP API and ALB events, which cannot stream, still get buffered replies", () =>
      Effect.gen(function* () {
        for (const front of ["ApiGatewayV2", "AlbSingle", "AlbMulti"] as const) {
          const result = yield* invoke(handler, eventFor(front, { method: "GET", path: "/scoped" }))
          assert.strictEqual(result._tag, "Response", front)
          const reply = yield* decodeReply(result)
          assert.strictEqual(reply.text, "ab")
        }
      })
    )

    it.effect("a handler made in streaming mode says so", () =>
      Effect.sync(() => {
        assert.strictEqual(handler._tag, "Streamed")
        assert.strictEqual(HttpHandler.make(app)._tag, "Buffered")
      })
    )
  })

  // What a server gives every request, checked with the http.server span (the platform's `toHandled`) and without it
  // (the adapter's own path): a request scope, pre-response handlers, and nothing left on the caller's fiber.
  describe("the request's server semantics, with and without a span", () => {
    const order: Array<string> = []
    const withPreResponse = (status: number) =>
      HttpApp.appendPreResponseHandler((_request, response) =>
        Effect.succeed(HttpServerResponse.setHeader(response, "x-pre-response", `${status}:${response.status}`))
      )
    const app = HttpRouter.empty.pipe(
      HttpRouter.get(
        "/scoped",
        Effect.gen(function* () {
          yield* Effect.addFinalizer(() => Effect.sync(() => order.push("request scope closed")))
          order.push("route ran")
          return HttpServerResponse.text("scoped")
        })
      ),
      HttpRouter.get("/scoped-stream", scopedStream(order)),
      HttpRouter.get("/pre", Effect.zipRight(withPreResponse(200), Effect.succeed(HttpServerResponse.text("pre")))),
      HttpRouter.get("/pre-fails", Effect.zipRight(withPreResponse(500), Effect.fail(new Error("route failed"))))
    )

    for (const tracing of [true, false]) {
      const buffered = HttpHandler.make(app, { tracing })
      const streamed = HttpHandler.make(app, { tracing, mode: "streaming" })

      it.effect(`tracing: ${tracing}: the request scope closes once, after the route, before the reply is sent`, () =>
        Effect.gen(function* () {
          order.length = 0
          for (let i = 0; i < 2; i++) {
            const [reply] = yield* call(buffered, eventFor("FunctionUrl", { method: "GET", path: "/scoped" }))
            assert.strictEqual(reply.text, "scoped")
          }
          assert.deepStrictEqual(order, ["route ran", "request scope closed", "route ran", "request scope closed"])
        })
      )

      it.effect(`tracing: ${tracing}: a streamed body keeps the request scope open until it ends`, () =>
        Effect.gen(function* () {
          order.length = 0
          const [reply] = yield* call(streamed, eventFor("FunctionUrl", { method: "GET", path: "/scoped-stream" }))
          assert.strictEqual(reply.text, "ab")
          assert.deepStrictEqual(order, ["chunk pulled", "chunk pulled", "request scope closed"])
        })
      )

      it.effect(`tracing: ${tracing}: pre-response handlers apply to a response and to a failure's 500`, () =>
        Effect.gen(function* () {
          const [ok] = yield* call(buffered, eventFor("FunctionUrl", { method: "GET", path: "/pre" }))
          assert.strictEqual(ok.headers["x-pre-response"], "200:200")
          const [failed] = yield* call(buffered, eventFor("ApiGatewayV1", { method: "GET", path: "/pre-fails" }))
          assert.strictEqual(failed.status, 500)
          assert.strictEqual(failed.headers["x-pre-response"], "500:500")
        })
      )

      it.effect(`tracing: ${tracing}: the request's services are gone from the caller's fiber after run`, () =>
        Effect.gen(function* () {
          const bytes = utf8(JSON.stringify(eventFor("FunctionUrl", { method: "GET", path: "/pre" })))
          yield* buffered.run(bytes)
          assert.isTrue(Option.isNone(yield* Effect.serviceOption(HttpServerRequest.HttpServerRequest)))
          assert.isTrue(Option.isNone(yield* Effect.serviceOption(LambdaEvent.LambdaEvent)))
          assert.isTrue(Option.isNone(yield* Effect.serviceOption(Scope.Scope)))
        }).pipe(
          Effect.provideService(InvocationContext.InvocationContext, InvocationContext.make({ requestId: "r-1" }))
        )
      )
    }
  })

  describe("tracing", () => {
    const app = HttpRouter.empty.pipe(
      HttpRouter.get(
        "/span",
        Effect.map(Effect.option(Effect.currentSpan), (span) =>
          HttpServerResponse.text(Option.match(span, { onNone: () => "none", onSome: (s) => s.name }))
        )
      )
    )

    // A tracing backend stands in: a tracer of its own (delegating to the built-in one), installed around the call.
    const builtIn = Context.get(DefaultServices.liveServices, Tracer.Tracer)
    const backend = Tracer.make({
      span: (...args) => builtIn.span(...args),
      context: (f, fiber) => builtIn.context(f, fiber)
    })

    it.effect(
      "by default a request runs in the platform's http.server span only when a tracing backend is installed",
      () =>
        Effect.gen(function* () {
          const event = eventFor("FunctionUrl", { method: "GET", path: "/span" })
          const [builtInOnly] = yield* call(HttpHandler.make(app), event)
          assert.strictEqual(builtInOnly.text, "none")
          const [withBackend] = yield* Effect.withTracer(call(HttpHandler.make(app), event), backend)
          assert.strictEqual(withBackend.text, "http.server GET")
        })
    )

    it.effect("tracing: true always opens the span; tracing: false never does", () =>
      Effect.gen(function* () {
        const event = eventFor("FunctionUrl", { method: "GET", path: "/span" })
        const [traced] = yield* call(HttpHandler.make(app, { tracing: true }), event)
        assert.strictEqual(traced.text, "http.server GET")
        const [untraced] = yield* Effect.withTracer(call(HttpHandler.make(app, { tracing: false }), event), backend)
        assert.strictEqual(untraced.text, "none")
      })
    )
  })

  describe("what make accepts", () => {
    const router = HttpRouter.empty.pipe(HttpRouter.get("/hello", HttpServerResponse.text("hello")))

    it.effect("an Effect that builds the app runs once, on the first request", () =>
      Effect.gen(function* () {
        let builds = 0
        const handler = HttpHandler.make(
          HttpRouter.toHttpApp(router).pipe(
            Effect.tap(() =>
              Effect.sync(() => {
                builds++
              })
            )
          )
        )
        for (let i = 0; i < 3; i++) {
          for (const front of fronts) {
            const [reply] = yield* call(handler, eventFor(front, { method: "GET", path: "/hello" }))
            assert.strictEqual(reply.text, "hello")
          }
        }
        assert.strictEqual(builds, 1)
      })
    )

    it.effect("a plain HttpApp, a router, and an app from toHttpApp", () =>
      Effect.gen(function* () {
        const plain = HttpHandler.make(
          Effect.map(HttpServerRequest.HttpServerRequest, (request) =>
            HttpServerResponse.text(`${request.method} ${request.url}`)
          )
        )
        const [reply] = yield* call(plain, eventFor("AlbMulti", { method: "DELETE", path: "/x", query: [["a", "1"]] }))
        assert.strictEqual(reply.text, "DELETE /x?a=1")
        const [routed] = yield* call(
          HttpHandler.make(router),
          eventFor("ApiGatewayV1", { method: "GET", path: "/hello" })
        )
        assert.strictEqual(routed.text, "hello")
      })
    )

    it.effect("something that is neither → 500 and a logged defect", () =>
      Effect.gen(function* () {
        const handler = HttpHandler.make(Effect.succeed(42) as unknown as typeof router)
        const [reply, logs] = yield* call(handler, eventFor("FunctionUrl", { method: "GET", path: "/" }))
        assert.strictEqual(reply.status, 500)
        assert.include(Logs.pretty(errorsIn(logs)), "expected an HttpApp")
      })
    )

    it.effect("a raw response body given as HttpBody.stream keeps its content type", () =>
      Effect.gen(function* () {
        const handler = HttpHandler.make(
          Effect.succeed(
            HttpServerResponse.empty({ status: 200 }).pipe(
              HttpServerResponse.setBody(HttpBody.stream(Stream.make(utf8("x")), "text/x-custom"))
            )
          )
        )
        const [reply] = yield* call(handler, eventFor("FunctionUrl", { method: "GET", path: "/" }))
        assert.strictEqual(reply.headers["content-type"], "text/x-custom")
        assert.strictEqual(reply.text, "x")
      })
    )
  })

  it.effect("every front answers the same app the same way (status, headers, body)", () =>
    Effect.gen(function* () {
      const handler = HttpHandler.make(
        HttpRouter.empty.pipe(
          HttpRouter.put(
            "/things/:id",
            Effect.gen(function* () {
              const { id } = yield* HttpRouter.params
              const body = yield* HttpServerRequest.schemaBodyJson(Schema.Struct({ name: Schema.String }))
              return yield* HttpServerResponse.json({ id, ...body }, { status: 201, headers: { "x-id": id ?? "" } })
            })
          )
        )
      )
      const spec: RequestSpec = {
        method: "PUT",
        path: "/things/t-1",
        headers: [["content-type", "application/json"]],
        body: JSON.stringify({ name: "lamp" })
      }
      const replies = yield* Effect.forEach(fronts, (front: Front) =>
        Effect.flatMap(invoke(handler, eventFor(front, spec)), decodeReply)
      )
      for (const reply of replies) {
        assert.strictEqual(reply.status, 201)
        assert.deepStrictEqual(reply.headers, { "content-type": "application/json", "x-id": "t-1" })
        assert.deepStrictEqual(JSON.parse(reply.text), { id: "t-1", name: "lamp" })
      }
      assert.strictEqual(Chunk.size(Chunk.fromIterable(replies)), fronts.length)
    })
  )
})
