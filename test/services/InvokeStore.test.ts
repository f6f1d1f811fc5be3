/**
 * With AWS_LAMBDA_MAX_CONCURRENCY > 1 the trace id cannot live in `process.env`: each invocation runs inside
 * `@aws/lambda-invoke-store`, where the AWS SDK reads it. Two overlapping invocations with different trace ids
 * each call AWS Lambda's API (a local HTTP server standing in for it) through the real AWS SDK v3; every
 * request must carry its own invocation's `X-Amzn-Trace-Id`.
 */
import { ListFunctionsCommand, LambdaClient } from "@aws-sdk/client-lambda"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Logger } from "effect"
import * as Http from "node:http"
import type * as Net from "node:net"
import * as Handler from "../../src/handler/Handler.js"
import * as TestRuntimeApi from "../../src/layers/TestRuntimeApi.js"
import * as InvocationContext from "../../src/services/InvocationContext.js"
import * as ResponseSink from "../../src/services/ResponseSink.js"
import * as RuntimeApi from "../../src/services/RuntimeApi.js"
import * as RuntimeConfig from "../../src/services/RuntimeConfig.js"
import * as RuntimeLoop from "../../src/services/RuntimeLoop.js"

const fakeLambda = Effect.acquireRelease(
  Effect.async<{ server: Http.Server; seen: Array<{ marker: string; trace: string | undefined }> }>((resume) => {
    const seen: Array<{ marker: string; trace: string | undefined }> = []
    const server = Http.createServer((request, response) => {
      const marker = new URL(request.url ?? "/", "http://x").searchParams.get("Marker") ?? ""
      const trace = request.headers["x-amzn-trace-id"]
      seen.push({ marker, trace: Array.isArray(trace) ? trace[0] : trace })
      request.resume()
      request.on("end", () => {
        response.writeHead(200, { "content-type": "application/json" })
        response.end('{"Functions":[]}')
      })
    })
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, seen })))
  }),
  ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
)

const traceA = "Root=1-65f00000-aaaaaaaaaaaaaaaaaaaaaaaa;Parent=1111111111111111;Sampled=1"
const traceB = "Root=1-65f00000-bbbbbbbbbbbbbbbbbbbbbbbb;Parent=2222222222222222;Sampled=1"

describe("InvokeStore with maxConcurrency > 1", () => {
  it.scopedLive("two overlapping invocations: each AWS SDK call carries its own invocation's trace id", () =>
    Effect.gen(function* () {
      const saved = { name: process.env.AWS_LAMBDA_FUNCTION_NAME, trace: process.env._X_AMZN_TRACE_ID }
      process.env.AWS_LAMBDA_FUNCTION_NAME = "store-test"
      delete process.env._X_AMZN_TRACE_ID
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          if (saved.name === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME
          else process.env.AWS_LAMBDA_FUNCTION_NAME = saved.name
          if (saved.trace !== undefined) process.env._X_AMZN_TRACE_ID = saved.trace
        })
      )
      const lambda = yield* fakeLambda
      const client = new LambdaClient({
        endpoint: `http://127.0.0.1:${(lambda.server.address() as Net.AddressInfo).port}`,
        region: "us-east-1",
        credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" }
      })
      const bothStarted = yield* Deferred.make<void>()
      let started = 0
      const handler = Handler.effect((event) =>
        Effect.gen(function* () {
          const { requestId } = yield* InvocationContext.InvocationContext
          if (++started === 2) yield* Deferred.succeed(bothStarted, undefined)
          yield* Deferred.await(bothStarted)
          // Interleave: the two invocations' calls and timers overlap.
          for (let i = 0; i < 3; i++) {
            yield* Effect.sleep(`${requestId === "inv-a" ? 7 : 3} millis`)
            yield* Effect.promise(() => client.send(new ListFunctionsCommand({ Marker: `${requestId}-${i}` })))
          }
          return event
        })
      )
      const api = yield* RuntimeApi.RuntimeApi
      const test = yield* TestRuntimeApi.TestRuntimeApi
      const config = { ...RuntimeConfig.defaults, maxConcurrency: 2 }
      const loop = RuntimeLoop.make(api, ResponseSink.make(api), config)
      const fiber = yield* Effect.fork(loop.run(handler))
      yield* test.offer(
        TestRuntimeApi.invocation(1, { requestId: "inv-a", headers: { "lambda-runtime-trace-id": traceA } })
      )
      yield* test.offer(
        TestRuntimeApi.invocation(2, { requestId: "inv-b", headers: { "lambda-runtime-trace-id": traceB } })
      )
      yield* test.awaitReply("inv-a")
      yield* test.awaitReply("inv-b")
      yield* Fiber.interrupt(fiber)
      client.destroy()
      assert.strictEqual(lambda.seen.length, 6)
      for (const { marker, trace } of lambda.seen) {
        assert.strictEqual(trace, marker.startsWith("inv-a") ? traceA : traceB, `request ${marker}`)
      }
      assert.isUndefined(process.env._X_AMZN_TRACE_ID)
    }).pipe(Effect.provide(Layer.merge(TestRuntimeApi.layer(), Logger.remove(Logger.defaultLogger))))
  )
})
