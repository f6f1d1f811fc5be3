/**
 * Experiment (run with loop-overhead.mjs): the runtime's per-invocation cost with no I/O at all. A fake RuntimeApi answers
 * `next` at once and swallows replies; the real RuntimeLoop, ResponseSink, Handler and LambdaLogger do the rest.
 * Compared with the same handler run by `Effect.runSyncExit` (one fiber, nothing else) and with plain JS doing the
 * irreducible work (parse, serialize, encode; for error: build the Error, its report, one log line).
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Handler from "../../src/handler/Handler.js"
import * as InvocationContext from "../../src/services/InvocationContext.js"
import * as LambdaLogger from "../../src/layers/LambdaLogger.js"
import * as ResponseSink from "../../src/services/ResponseSink.js"
import * as RuntimeApi from "../../src/services/RuntimeApi.js"
import * as RuntimeConfig from "../../src/services/RuntimeConfig.js"
import * as RuntimeLoop from "../../src/services/RuntimeLoop.js"

class OrderNotFound extends Data.TaggedError("OrderNotFound")<{ readonly id: string }> {
  override get message() {
    return `order ${this.id} was not found`
  }
}
const handlers = {
  echo: Handler.effect((event) => Effect.succeed(event)),
  error: Handler.effect((event) => Effect.fail(new OrderNotFound({ id: String((event as { id: unknown }).id) })))
}
const body = Buffer.from(
  '{"id":"42","type":"order.created","customer":{"id":"c-1001","tier":"gold"},"items":[{"sku":"A-1","qty":2}],"total":12.5,"currency":"EUR"}'
)
const headers = {
  "content-type": "application/json",
  "lambda-runtime-aws-request-id": "3f6c9a2e-5b1d-4c7a-9e8f-000000000001",
  "lambda-runtime-deadline-ms": String(Date.now() + 900_000),
  "lambda-runtime-invoked-function-arn": "arn:aws:lambda:eu-west-1:123456789012:function:bench",
  "lambda-runtime-trace-id": "Root=1-65f0a1b2-000000000000000000000001;Parent=9a9197af755a6419;Sampled=0",
  "lambda-runtime-invocation-id": "000000009e3779b1",
  "content-length": String(body.length)
}
/** Replies received: printed at the end, so the work cannot be optimized away. */
let replies = 0
const api = RuntimeApi.RuntimeApi.of({
  next: Effect.sync(() => ({ requestId: headers["lambda-runtime-aws-request-id"], headers, body })),
  reply: (_i, b) =>
    Effect.sync(() => {
      replies += b.length > 0 ? 1 : 0
    }),
  reportError: () =>
    Effect.sync(() => {
      replies++
    }),
  reportInitError: () => Effect.void,
  openStream: () => Effect.die("no streams")
})
const settings = RuntimeConfig.defaults
const loop = RuntimeLoop.make(api, ResponseSink.make(api, settings), settings)
const which = (process.argv[2] ?? "echo") as keyof typeof handlers
const n = Number(process.argv[3] ?? 100_000)
const round = (count: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      for (let i = 0; i < count; i++) yield* Effect.flatMap(api.next, (inv) => loop.handleOne(handlers[which], inv))
    }).pipe(Effect.provide(LambdaLogger.layer({ format: "Text", level: "TRACE" })))
  )
// The same handler run with Effect.runSyncExit (one fiber, no fork, no scheduler hop, no timer): the cost of Effect
// itself for a synchronous handler.
const syncRun = (count: number) => {
  const handler = handlers[which]
  for (let i = 0; i < count; i++) {
    const inv = { requestId: headers["lambda-runtime-aws-request-id"], headers, body }
    const context = InvocationContext.fromHeaders(inv.requestId, inv.headers) as InvocationContext.Context
    const exit = Effect.runSyncExit(
      Effect.provideService(handler.run(inv.body), InvocationContext.InvocationContext, context)
    )
    if (Exit.isSuccess(exit)) {
      const p = exit.value as Handler.Payload
      Buffer.from(p.body as string, "utf8")
    } else handler.report(exit.cause)
  }
}
// Plain JS doing the same irreducible work: parse, (fail: build an Error and its report), serialize, encode.
const plain = (count: number) => {
  for (let i = 0; i < count; i++) {
    const event = JSON.parse(body.toString("utf8"))
    if (which === "echo") Buffer.from(JSON.stringify(event), "utf8")
    else {
      const e = new Error(`order ${event.id} was not found`)
      e.name = "OrderNotFound"
      const report = { errorType: e.name, errorMessage: e.message, stackTrace: e.stack!.split("\n") }
      process.stdout.write(`Invoke Error: ${report.errorType}: ${report.errorMessage}\n`)
      Buffer.from(JSON.stringify(report), "utf8")
    }
  }
}
await round(20_000)
plain(20_000)
for (let r = 0; r < 3; r++) {
  const t0 = performance.now()
  await round(n)
  const t1 = performance.now()
  plain(n)
  const t2 = performance.now()
  syncRun(n)
  const t3 = performance.now()
  process.stderr.write(
    `${which} (${replies} replies so far): runtime loop ${(((t1 - t0) * 1000) / n).toFixed(2)} µs/inv, runSyncExit ${(((t3 - t2) * 1000) / n).toFixed(2)} µs/inv, plain JS ${(((t2 - t1) * 1000) / n).toFixed(2)} µs/inv\n`
  )
}
