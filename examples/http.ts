/**
 * An `HttpRouter` served behind API Gateway (REST and HTTP API), ALB and Function URLs, buffered:
 *
 * - `GET /` → an HTML page listing these routes and showing `/stream` arrive live (`examples/home.ts`)
 * - `GET /hello` → `text/plain` "hello"
 * - `GET /items/:id` → JSON `{ "id": "<id>" }`
 * - `POST /echo` → the request body, byte for byte, with the request's content type
 * - `GET /stream` → 5 server-sent events, 250 ms apart
 * - `GET /cookies` → 200 setting `a=1; Path=/` and `b=2; Path=/`
 * - `GET /redirect` → 302 to `/hello`, no body
 * - `GET /boom` → a defect (the client gets a bare 500)
 *
 * `examples/http-stream.ts` serves the same `app` in streaming mode.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { Encoders, HttpHandler, LambdaRuntime } from "../src/index.js"
import * as Home from "./home.js"

export const app = HttpRouter.empty.pipe(
  HttpRouter.get("/", HttpServerResponse.html(Home.page)),
  HttpRouter.get("/hello", HttpServerResponse.text("hello")),
  HttpRouter.get(
    "/items/:id",
    Effect.map(HttpRouter.params, (params) => HttpServerResponse.unsafeJson({ id: params.id }))
  ),
  HttpRouter.post(
    "/echo",
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const body = yield* request.arrayBuffer
      return HttpServerResponse.uint8Array(new Uint8Array(body), {
        contentType: request.headers["content-type"] ?? "application/octet-stream"
      })
    })
  ),
  HttpRouter.get(
    "/stream",
    Effect.sync(() =>
      HttpServerResponse.stream(
        Stream.range(1, 5, 1).pipe(
          Stream.schedule(Schedule.spaced("250 millis")),
          Stream.map((n): Encoders.SseEvent => ({ id: String(n), event: "tick", data: JSON.stringify({ n }) })),
          Encoders.sse()
        ),
        { contentType: Encoders.SseContentType, headers: { "cache-control": "no-cache" } }
      )
    )
  ),
  HttpRouter.get(
    "/cookies",
    HttpServerResponse.setCookies(HttpServerResponse.empty({ status: 200 }), [
      ["a", "1", { path: "/" }],
      ["b", "2", { path: "/" }]
    ])
  ),
  HttpRouter.get("/redirect", Effect.succeed(HttpServerResponse.redirect("/hello", { status: 302 }))),
  HttpRouter.get(
    "/boom",
    Effect.sync((): HttpServerResponse.HttpServerResponse => {
      throw new Error("boom")
    })
  )
)

export const handler = HttpHandler.make(app)

if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
