/**
 * Graceful shutdown on Lambda: Lambda sends SIGTERM only to a runtime with a registered extension, so the live
 * runtime registers an internal one before its first `/next` (real processes, the Runtime API server and the local
 * emulator, which sends SIGTERM at shutdown only when an extension registered, as Lambda does).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as RuntimeApiServer from "effect-lambda-dev/RuntimeApiServer"
import { eventually, localFunction } from "../../packages/dev/test/emulator/support.js"
import { spawnFunction } from "../support/FunctionProcess.js"

describe("graceful shutdown", () => {
  it.scopedLive("an internal extension is registered before the first /next; no protocol violation", () =>
    Effect.gen(function* () {
      const api = yield* RuntimeApiServer.make()
      yield* spawnFunction("examples/finalizer.ts", api.address)
      const outcome = yield* api.invoke({ event: '{"x":1}' })
      assert.strictEqual(outcome._tag, "Response")
      const extensions = yield* api.extensions
      assert.deepStrictEqual(
        extensions.map((extension) => [extension.name, extension.events]),
        [["effect-lambda-runtime", []]]
      )
      // a registration after the runtime's first /next would be recorded as a violation
      assert.deepStrictEqual(yield* api.violations, [])
    })
  )

  it.scopedLive("EFFECT_LAMBDA_SHUTDOWN_EXTENSION=false registers nothing", () =>
    Effect.gen(function* () {
      const api = yield* RuntimeApiServer.make()
      yield* spawnFunction("examples/finalizer.ts", api.address, { EFFECT_LAMBDA_SHUTDOWN_EXTENSION: "false" })
      const outcome = yield* api.invoke({ event: '{"x":1}' })
      assert.strictEqual(outcome._tag, "Response")
      assert.deepStrictEqual(yield* api.extensions, [])
    })
  )

  it.scopedLive(
    "under the emulator, stopping the function sends SIGTERM and the Layer's finalizer runs",
    () =>
      Effect.gen(function* () {
        const { fn, lines } = yield* localFunction({
          entry: "examples/finalizer.ts",
          functionName: "finalizer",
          // the mechanism is under test, not the machine's speed
          shutdownGraceMs: 5_000
        })
        const reply = yield* fn.invoke({ event: '{"x":1}' })
        assert.strictEqual(reply._tag, "Response")
        yield* fn.restart
        yield* eventually(
          Effect.sync(() => (lines().some((line) => line.includes("finalizer ran")) ? true : undefined)),
          "the finalizer of the stopped process"
        )
      }),
    120_000
  )

  it.scopedLive(
    "without the extension the emulator kills the function as Lambda does: no finalizer",
    () =>
      Effect.gen(function* () {
        const { fn, lines } = yield* localFunction({
          entry: "examples/finalizer.ts",
          functionName: "finalizer",
          env: { ...process.env, EFFECT_LAMBDA_SHUTDOWN_EXTENSION: "false" }
        })
        const reply = yield* fn.invoke({ event: '{"x":1}' })
        assert.strictEqual(reply._tag, "Response")
        yield* fn.restart
        yield* fn.invoke({ event: '{"x":2}' })
        yield* Effect.sleep("1 second")
        assert.isFalse(lines().some((line) => line.includes("finalizer ran")))
      }),
    120_000
  )
})
