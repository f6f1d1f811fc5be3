/**
 * Function process management: real `node` processes run through the bootstrap against their own Runtime
 * API server. Lambda's environment, init errors, crashes, timeouts, queueing and concurrency.
 */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import * as Path from "node:path"
import * as LocalFunction from "../../src/emulator/LocalFunction.js"
import { eventually, fixture, localFunction, root } from "./support.js"

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8")

/** The whole reply as JSON, or the error. */
const json = (reply: LocalFunction.Reply) =>
  Effect.gen(function* () {
    if (reply._tag === "Error") return { error: reply.error }
    const body = yield* Stream.runCollect(reply.body)
    const completion = yield* reply.completion
    return { value: JSON.parse(Buffer.concat(Chunk.toArray(body)).toString("utf8")), error: completion.error }
  })

const call = (fn: LocalFunction.Service, event: unknown) =>
  Effect.flatMap(fn.invoke({ event: JSON.stringify(event) }), json)

describe("LocalFunction", () => {
  it.scopedLive(
    "runs the entry with Lambda's environment, and prints its output prefixed",
    () =>
      Effect.gen(function* () {
        const { fn, lines } = yield* localFunction({
          entry: fixture("probe.ts"),
          functionName: "probe-fn",
          memoryMb: 256,
          env: { ...process.env, PROBE_EXTRA: "from the developer" }
        })
        assert.strictEqual(fn.functionName, "probe-fn")
        assert.strictEqual(fn.functionArn, "arn:aws:lambda:us-east-1:123456789012:function:probe-fn")
        const ready = yield* fn.ready
        assert.strictEqual(ready._tag, "Ready")
        const { value, error } = yield* call(fn, { action: "env" })
        assert.isUndefined(error)
        const env = value.env as Record<string, string | null>
        assert.match(env.AWS_LAMBDA_RUNTIME_API ?? "", /^127\.0\.0\.1:\d+$/)
        assert.strictEqual(env.AWS_LAMBDA_FUNCTION_NAME, "probe-fn")
        assert.strictEqual(env.AWS_LAMBDA_FUNCTION_VERSION, "$LATEST")
        assert.strictEqual(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "256")
        assert.strictEqual(env.AWS_LAMBDA_LOG_GROUP_NAME, "/aws/lambda/probe-fn")
        assert.match(env.AWS_LAMBDA_LOG_STREAM_NAME ?? "", /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/)
        assert.strictEqual(env.AWS_LAMBDA_INITIALIZATION_TYPE, "on-demand")
        assert.isNull(env.AWS_LAMBDA_MAX_CONCURRENCY)
        assert.strictEqual(env._HANDLER, "probe.handler")
        assert.strictEqual(env.LAMBDA_TASK_ROOT, Path.join(root, "packages/dev/test/fixtures/emulator"))
        assert.isString(env.AWS_REGION)
        assert.strictEqual(env.TZ, process.env.TZ ?? ":UTC")
        assert.strictEqual(env.PROBE_EXTRA, "from the developer")
        assert.strictEqual(value.pid, ready._tag === "Ready" ? ready.pid : -1)

        yield* call(fn, { action: "log", text: "a line from the function" })
        const printed = (l: string) => l === "[probe-fn] a line from the function"
        yield* eventually(
          Effect.sync(() => (lines().filter(printed).length === 2 ? true : undefined)),
          "the function's stdout and stderr lines"
        )
      }),
    180_000
  )

  it.scopedLive(
    "a module that only exports `handler` (and `layer`) is run by the bootstrap",
    () =>
      Effect.gen(function* () {
        const { fn } = yield* localFunction({ entry: fixture("handler-only.ts") })
        const { value } = yield* call(fn, { hi: 1 })
        assert.deepStrictEqual(value, { greeting: "hello from the layer", event: { hi: 1 } })
      }),
    180_000
  )

  it.scopedLive(
    "an entry that is not a function: Runtime.HandlerNotFound, printed and returned",
    () =>
      Effect.gen(function* () {
        const { fn, lines } = yield* localFunction({ entry: fixture("not-a-function.ts") })
        const ready = yield* fn.ready
        assert.strictEqual(ready._tag, "InitError")
        if (ready._tag !== "InitError") return
        assert.strictEqual(ready.error.errorType, "Runtime.HandlerNotFound")
        assert.include(ready.error.errorMessage, "is not a Lambda function")
        const reply = yield* fn.invoke({ event: "{}" })
        assert.strictEqual(reply._tag, "Error")
        if (reply._tag !== "Error") return
        assert.strictEqual(reply.error.errorType, "Runtime.HandlerNotFound")
        assert.isTrue(lines().some((l) => l.startsWith("! init failed: Runtime.HandlerNotFound")))
      }),
    180_000
  )

  it.scopedLive(
    "a function that crashes at init: each invocation gets the init error, from a fresh process",
    () =>
      Effect.gen(function* () {
        const { fn, lines } = yield* localFunction({ entry: fixture("init-crash.ts") })
        for (let i = 0; i < 2; i++) {
          const reply = yield* fn.invoke({ event: "{}" })
          assert.strictEqual(reply._tag, "Error")
          if (reply._tag !== "Error") return
          assert.strictEqual(reply.error.errorType, "TypeError")
          assert.strictEqual(reply.error.errorMessage, "cannot read the configuration")
          const payload = JSON.parse(text(reply.error.payload))
          assert.strictEqual(payload.errorType, "TypeError")
          assert.isArray(payload.stackTrace)
        }
        assert.isAtLeast(
          lines().filter((l) => l === "! init failed: TypeError: cannot read the configuration").length,
          2
        )
      }),
    180_000
  )

  it.scopedLive(
    "a Layer that fails at init (examples/init-fail.ts): its typed error reaches the invoker",
    () =>
      Effect.gen(function* () {
        const { fn } = yield* localFunction({ entry: "examples/init-fail.ts", env: { PATH: process.env.PATH } })
        const reply = yield* fn.invoke({ event: "{}" })
        assert.strictEqual(reply._tag === "Error" && reply.error.errorType, "ConfigMissing")
        assert.strictEqual(reply._tag === "Error" && reply.error.errorMessage, "ORDERS_TABLE is not set")
      }),
    180_000
  )

  it.scopedLive(
    "a timeout kills the process: Sandbox.Timedout, and the next invocation runs on a fresh one",
    () =>
      Effect.gen(function* () {
        const { fn, lines } = yield* localFunction({ entry: fixture("probe.ts"), timeoutMs: 2_000 })
        const before = yield* call(fn, {})
        const started = Date.now()
        const hung = yield* fn.invoke({ event: JSON.stringify({ action: "hang" }) })
        assert.isAtLeast(Date.now() - started, 1_900)
        assert.strictEqual(hung._tag, "Error")
        if (hung._tag !== "Error") return
        assert.strictEqual(hung.error.errorType, "Sandbox.Timedout")
        assert.match(hung.error.errorMessage, /^RequestId: \S+ Error: Task timed out after 2\.00 seconds$/)
        assert.deepStrictEqual(JSON.parse(text(hung.error.payload)), {
          errorType: "Sandbox.Timedout",
          errorMessage: hung.error.errorMessage
        })
        const after = yield* call(fn, {})
        assert.isUndefined(after.error)
        assert.notStrictEqual(after.value.pid, before.value.pid)
        assert.isTrue(lines().some((l) => l.includes("timed out after 2 s")))
      }),
    180_000
  )

  it.scopedLive(
    "a crash during an invocation: Runtime.ExitError, and the next invocation runs on a fresh process",
    () =>
      Effect.gen(function* () {
        const { fn, lines } = yield* localFunction({ entry: fixture("probe.ts") })
        const before = yield* call(fn, {})
        const crashed = yield* fn.invoke({ event: JSON.stringify({ action: "exit", code: 3 }) })
        assert.strictEqual(crashed._tag, "Error")
        if (crashed._tag !== "Error") return
        assert.strictEqual(crashed.error.errorType, "Runtime.ExitError")
        assert.match(crashed.error.errorMessage, /Runtime exited with error: exit status 3$/)
        const after = yield* call(fn, {})
        assert.notStrictEqual(after.value.pid, before.value.pid)
        assert.isTrue(lines().some((l) => l.includes("exit status 3")))
      })
  )

  it.scopedLive(
    "an uncaught exception: reported by the runtime, then a fresh process serves the next one",
    () =>
      Effect.gen(function* () {
        const { fn } = yield* localFunction({ entry: "test/fixtures/functions/uncaught.ts" })
        const reply = yield* fn.invoke({ event: "{}" })
        assert.strictEqual(reply._tag === "Error" && reply.error.errorType, "SyntaxError")
        const again = yield* fn.invoke({ event: "{}" })
        assert.strictEqual(again._tag === "Error" && again.error.errorType, "SyntaxError")
      }),
    180_000
  )

  it.scopedLive(
    "concurrency 1: invocations arriving together queue and run one after the other",
    () =>
      Effect.gen(function* () {
        const { fn } = yield* localFunction({ entry: fixture("probe.ts") })
        const [a, b] = yield* Effect.all(
          [call(fn, { action: "sleep", ms: 600 }), call(fn, { action: "sleep", ms: 600 })],
          {
            concurrency: "unbounded"
          }
        )
        const [first, second] = a.value.start <= b.value.start ? [a.value, b.value] : [b.value, a.value]
        assert.isAtLeast(second.start, first.end)
        assert.strictEqual(first.pid, second.pid)
      }),
    180_000
  )

  it.scopedLive(
    "concurrency 2: AWS_LAMBDA_MAX_CONCURRENCY is set and two invocations overlap",
    () =>
      Effect.gen(function* () {
        const { fn } = yield* localFunction({ entry: fixture("probe.ts"), concurrency: 2 })
        const env = yield* call(fn, { action: "env" })
        assert.strictEqual(env.value.env.AWS_LAMBDA_MAX_CONCURRENCY, "2")
        const [a, b] = yield* Effect.all(
          [call(fn, { action: "sleep", ms: 1_500 }), call(fn, { action: "sleep", ms: 1_500 })],
          { concurrency: "unbounded" }
        )
        assert.isBelow(Math.max(a.value.start, b.value.start), Math.min(a.value.end, b.value.end))
      }),
    180_000
  )

  it.scopedLive(
    "a streamed reply is handed over chunk by chunk, and its completion carries the trailers' error",
    () =>
      Effect.gen(function* () {
        const { fn } = yield* localFunction({ entry: "examples/stream-fail.ts" })
        const reply = yield* fn.invoke({ event: JSON.stringify({ bytes: 100, failAfter: 40 }) })
        assert.strictEqual(reply._tag, "Response")
        if (reply._tag !== "Response") return
        assert.isTrue(reply.streamed)
        const body = Buffer.concat(Chunk.toArray(yield* Stream.runCollect(reply.body)))
        assert.strictEqual(body.length, 40)
        const completion = yield* reply.completion
        assert.strictEqual(completion.error?.errorType, "UpstreamClosed")
        assert.strictEqual(completion.error?.errorMessage, "the upstream closed after 40 bytes")
        const log = Buffer.from(completion.logResult, "base64").toString("utf8")
        assert.match(log, /^START RequestId: \S+ Version: \$LATEST\n/)
        assert.match(log, /REPORT RequestId: \S+\tDuration: [\d.]+ ms/)
      }),
    180_000
  )

  it.scopedLive(
    "restart replaces the process; an invalid entry is refused up front",
    () =>
      Effect.gen(function* () {
        const { fn } = yield* localFunction({ entry: fixture("probe.ts") })
        const before = yield* call(fn, {})
        yield* fn.restart
        const after = yield* call(fn, {})
        assert.notStrictEqual(after.value.pid, before.value.pid)
        const missing = yield* Effect.flip(Effect.scoped(LocalFunction.make({ entry: "nope.ts" })))
        assert.strictEqual(missing.reason, "EntryNotFound")
      }),
    180_000
  )
})
