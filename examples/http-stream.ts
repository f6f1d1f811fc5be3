/**
 * The app of `examples/http.ts`, streamed: behind a Function URL with invoke mode `RESPONSE_STREAM` or a REST
 * API integration with `responseTransferMode: STREAM`, each reply is the HTTP integration response (a JSON
 * prelude, 8 NUL bytes, then the body as it is produced: `GET /stream` sends each event when it happens).
 * HTTP API and ALB events still get buffered replies.
 */
import { HttpHandler, LambdaRuntime } from "../src/index.js"
import { app } from "./http.js"

export const handler = HttpHandler.make(app, { mode: "streaming" })

if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
