/**
 * Experiment only (cold-start.mjs): the echo function as a V8 startup snapshot entry (`node --build-snapshot`).
 *
 * What runs at snapshot time: evaluating every module (the bundle's whole cost before `runMain`), building the
 * handler, and warming the runtime's code paths with in-memory invocations (`TestRuntimeApi`: no socket, no timer
 * left behind; the event loop must be empty when the snapshot is taken). What must wait for the deserialized main
 * (`v8.startupSnapshot.setDeserializeMainFunction`): everything that reads the environment or opens a handle —
 * `runMain` reads `AWS_LAMBDA_RUNTIME_API` and the other variables, connects to the Runtime API and installs the
 * signal handlers. State created at build time is shared by every process started from the blob: Effect's default
 * `Random` service is seeded when its module is evaluated, so without a new seed every process started from the
 * same blob draws the same "random" numbers; the main gives it one (`Layer.setRandom`, through `runMain`'s `layer`).
 */
import { restoreError } from "./snapshot-prelude.js"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as v8 from "node:v8"
import * as Handler from "../../src/handler/Handler.js"
import * as LambdaRuntime from "../../src/LambdaRuntime.js"
import * as TestRuntimeApi from "../../src/layers/TestRuntimeApi.js"

const handler = Handler.effect((event) => Effect.succeed(event))

if (v8.startupSnapshot?.isBuildingSnapshot()) {
  for (let i = 0; i < 50; i++) void Effect.runPromise(TestRuntimeApi.invoke(handler, { id: i }))
  v8.startupSnapshot.setDeserializeMainFunction(() => {
    restoreError()
    LambdaRuntime.runMain(handler, { layer: Layer.setRandom(Random.make(Math.random())) })
  })
} else {
  LambdaRuntime.runMain(handler)
}
