/**
 * Experiment (run with run-experiment.mjs): the HTTP adapter's cost per request, in one process, `GET /hello` (the
 * bench's `http` event, a Function URL request) through the handler's `run` (event bytes → reply payload: what the
 * adapter adds to the loop), inside an invocation (InvocationContext provided), in alternating batches: the default (no `http.server` span with Effect's built-in tracer), against
 * `tracing: true` (the span on every request: what the default did before). Prints µs per request and the ratio,
 * the median over batches.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as HttpHandler from "../../src/http/HttpHandler.js"
import * as InvocationContext from "../../src/services/InvocationContext.js"
import { HTTP_EVENT } from "../lib/scenarios.mjs"

const perBatch = Number(process.argv[2] ?? 500)
const batches = Number(process.argv[3] ?? 31)
const app = HttpRouter.empty.pipe(HttpRouter.get("/hello", HttpServerResponse.text("hello")))
const untraced = HttpHandler.make(app)
const traced = HttpHandler.make(app, { tracing: true })
let replies = 0

const timeBatch = (handler: typeof untraced) =>
  Effect.gen(function* () {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < perBatch; i++) {
      const reply = yield* handler.run(HTTP_EVENT)
      if ("body" in reply && typeof reply.body === "string" && reply.body.includes('"body":"hello"')) replies++
    }
    return Number(process.hrtime.bigint() - t0) / 1000 / perBatch
  }).pipe(
    Effect.provideService(InvocationContext.InvocationContext, InvocationContext.make({ requestId: "r-1" })),
    Effect.orDie
  )

const median = (values: ReadonlyArray<number>) => [...values].sort((x, y) => x - y)[values.length >> 1]!
const a: Array<number> = []
const b: Array<number> = []
for (let i = 0; i < batches; i++) {
  a.push(await Effect.runPromise(timeBatch(untraced)))
  b.push(await Effect.runPromise(timeBatch(traced)))
}
console.log(
  `GET /hello, ${batches} batches of ${perBatch} (median): default (no span) ${median(a).toFixed(1)} µs/request, ` +
    `tracing: true ${median(b).toFixed(1)} µs/request, default / traced ${median(a.map((x, i) => x / b[i]!)).toFixed(2)} ` +
    `(${replies} of ${2 * batches * perBatch} replies were "hello")`
)
