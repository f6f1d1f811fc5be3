/**
 * The child bootstrap on the wire: a real process against a Runtime API server posts its init error with the
 * runtime's own client, then exits 1.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Path from "node:path"
import * as FunctionProcess from "../../src/emulator/internal/FunctionProcess.js"
import * as RuntimeApiServer from "../../src/emulator/RuntimeApiServer.js"
import { fixture, root, spawn } from "./support.js"

describe("bootstrap", () => {
  it.scopedLive(
    "an entry that is not a function: /runtime/init/error with the report, then exit 1",
    () =>
      Effect.gen(function* () {
        const server = yield* RuntimeApiServer.make()
        const entry = Path.join(root, fixture("not-a-function.ts"))
        const { file, args } = FunctionProcess.command(entry)
        const proc = yield* spawn(file, args, {
          env: { AWS_LAMBDA_RUNTIME_API: server.address, EFFECT_LAMBDA_ENTRY: entry }
        })
        const initError = yield* server.awaitInitError.pipe(Effect.timeout("60 seconds"), Effect.orDie)
        assert.strictEqual(initError.headers["lambda-runtime-function-error-type"], "Runtime.HandlerNotFound")
        assert.strictEqual(initError.headers["content-length"], String(initError.body.length))
        assert.strictEqual(initError.report?.errorType, "Runtime.HandlerNotFound")
        assert.include(initError.report?.errorMessage ?? "", "is not a Lambda function")
        const exit = yield* proc.exited
        assert.strictEqual(exit.code, 1)
        assert.include(proc.stderr(), "Init Error: Runtime.HandlerNotFound")
        assert.deepStrictEqual(yield* server.violations, [])
        assert.strictEqual(yield* server.nextPolls, 0)
      }),
    120_000
  )

  it.scopedLive(
    "a module that throws while loading: its error's name and stack are posted",
    () =>
      Effect.gen(function* () {
        const server = yield* RuntimeApiServer.make()
        const entry = Path.join(root, fixture("init-crash.ts"))
        const { file, args } = FunctionProcess.command(entry)
        const proc = yield* spawn(file, args, {
          env: { AWS_LAMBDA_RUNTIME_API: server.address, EFFECT_LAMBDA_ENTRY: entry }
        })
        const initError = yield* server.awaitInitError.pipe(Effect.timeout("60 seconds"), Effect.orDie)
        const body = JSON.parse(Buffer.from(initError.body).toString("utf8"))
        assert.strictEqual(body.errorType, "TypeError")
        assert.strictEqual(body.errorMessage, "cannot read the configuration")
        assert.isTrue(body.stackTrace.some((line: string) => line.includes("init-crash.ts")))
        assert.strictEqual((yield* proc.exited).code, 1)
      }),
    120_000
  )
})
