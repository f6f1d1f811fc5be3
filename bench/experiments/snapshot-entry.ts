/**
 * Experiment only (cold-start.mjs): the echo function as a V8 startup snapshot entry (`node --build-snapshot`).
 * Every module is evaluated, and the runtime's code paths are warmed in memory, when the snapshot is built; the
 * deployed process starts from the snapshot and only runs `runMain`.
 */
import * as Effect from "effect/Effect"
import * as v8 from "node:v8"
import * as Handler from "../../src/handler/Handler.js"
import * as LambdaRuntime from "../../src/LambdaRuntime.js"
import * as TestRuntimeApi from "../../src/layers/TestRuntimeApi.js"

const handler = Handler.effect((event) => Effect.succeed(event))

if (v8.startupSnapshot?.isBuildingSnapshot()) {
  for (let i = 0; i < 50; i++) void Effect.runPromise(TestRuntimeApi.invoke(handler, { id: i }))
  v8.startupSnapshot.setDeserializeMainFunction(() => LambdaRuntime.runMain(handler))
} else {
  LambdaRuntime.runMain(handler)
}
