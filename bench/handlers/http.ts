/**
 * http: `GET /hello` → "hello" (text/plain) from an `@effect/platform` router, through the HTTP adapter
 * (`src/http/HttpHandler.ts`, buffered, Function URL front). run.mjs builds this file only when the adapter exists.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as HttpHandler from "../../src/http/HttpHandler.js"
import * as LambdaRuntime from "../../src/LambdaRuntime.js"

const app = HttpRouter.empty.pipe(HttpRouter.get("/hello", HttpServerResponse.text("hello")))

LambdaRuntime.runMain(HttpHandler.make(app))
