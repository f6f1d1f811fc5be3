/**
 * `effect-lambda build` for Lambda's managed Node.js runtime: the zip's `index.mjs`, loaded by the official runtime
 * interface client (`aws-lambda-ric`, a real process) against the Runtime API server, answers as the function does
 * under this runtime's own loop: replies, typed errors, the HTTP app buffered and streamed.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as RuntimeApiServer from "effect-lambda-dev/RuntimeApiServer"
import * as FileSystem from "node:fs"
import * as Path from "node:path"
import { buildCommand, root, run, type Started, start, tempDir, zipModes } from "./support.js"

const server = RuntimeApiServer.make()

const ric = Path.join(root, "node_modules/aws-lambda-ric/index.mjs")

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8")

const functionUrlEvent = FileSystem.readFileSync(Path.join(root, "test/fixtures/events/function-url.json"), "utf8")

/** `effect-lambda build <entry>` (managed, the default), unzip `function.zip`, start the official client on it. */
const buildAndStart = (entry: string, api: RuntimeApiServer.Service) =>
  Effect.gen(function* () {
    const out = yield* tempDir("el-managed-")
    const built = yield* buildCommand([entry, "--out", out])
    assert.strictEqual(built.code, 0, built.stderr)
    assert.include(built.stdout, "Runtime nodejs22.x, Handler index.handler")
    const name = Path.basename(entry).replace(/\.ts$/, "")
    const zip = Path.join(out, name, "function.zip")
    assert.deepStrictEqual(Object.fromEntries(yield* zipModes(zip)), { "index.mjs": "-rw-r--r--" })
    const task = yield* tempDir("el-task-")
    const unzipped = yield* run("unzip", ["-q", zip, "-d", task])
    assert.strictEqual(unzipped.code, 0, unzipped.stderr)
    return yield* start(process.execPath, [ric, "index.handler"], {
      cwd: task,
      env: {
        PATH: process.env.PATH ?? "",
        AWS_LAMBDA_RUNTIME_API: api.address,
        LAMBDA_TASK_ROOT: task,
        _HANDLER: "index.handler",
        AWS_LAMBDA_FUNCTION_NAME: name,
        AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024",
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
        AWS_LAMBDA_LOG_STREAM_NAME: "2026/12/03/[$LATEST]0123456789abcdef0123456789abcdef",
        AWS_REGION: "us-east-1"
      }
    })
  })

/** One invocation; a client that never answers fails the test with the client's output instead of a hang. */
const invoke = (api: RuntimeApiServer.Service, fn: Started, event: string) =>
  api.invoke({ event }).pipe(
    Effect.timeoutFail({
      duration: "20 seconds",
      onTimeout: () => new Error(`no reply; the client said:\n${fn.output()}`)
    })
  )

describe("effect-lambda build --target managed under aws-lambda-ric", { timeout: 120_000 }, () => {
  it.scopedLive('order: {"id":"42"} answered, another id reported as OrderNotFound', () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* buildAndStart("examples/order.ts", api)
      const found = yield* invoke(api, fn, JSON.stringify({ id: "42" }))
      assert.strictEqual(found._tag, "Response", fn.output())
      if (found._tag === "Response") assert.deepStrictEqual(JSON.parse(text(found.body)), { id: "42", total: 12.5 })
      const missing = yield* invoke(api, fn, JSON.stringify({ id: "7" }))
      assert.strictEqual(missing._tag, "Error")
      if (missing._tag === "Error") {
        assert.strictEqual(missing.report?.errorType, "OrderNotFound")
        assert.strictEqual(missing.report?.errorMessage, "order 7 was not found")
      }
    })
  )

  it.scopedLive("http (buffered): a Function URL event gets the JSON response object", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* buildAndStart("examples/http.ts", api)
      const outcome = yield* invoke(api, fn, functionUrlEvent)
      assert.strictEqual(outcome._tag, "Response", fn.output())
      if (outcome._tag !== "Response") return
      assert.isFalse(outcome.streamed)
      const reply = JSON.parse(text(outcome.body)) as { statusCode: number; body: string }
      assert.strictEqual(reply.statusCode, 200)
      assert.deepStrictEqual(JSON.parse(reply.body), { id: "42" })
    })
  )

  it.scopedLive("http-stream: the reply is streamed, HTTP prelude first", () =>
    Effect.gen(function* () {
      const api = yield* server
      const fn = yield* buildAndStart("examples/http-stream.ts", api)
      const outcome = yield* invoke(api, fn, functionUrlEvent)
      assert.strictEqual(outcome._tag, "Response", fn.output())
      if (outcome._tag !== "Response") return
      assert.isTrue(outcome.streamed)
      const body = Buffer.from(outcome.body)
      const separator = body.indexOf(Buffer.alloc(8))
      assert.isAbove(separator, 0)
      assert.strictEqual(JSON.parse(body.subarray(0, separator).toString("utf8")).statusCode, 200)
      assert.deepStrictEqual(JSON.parse(body.subarray(separator + 8).toString("utf8")), { id: "42" })
    })
  )
})
