/**
 * Experiment only (cold-start.mjs): `@effect/platform-node/NodeRuntime` replaced by a bare `Effect.runFork`, to
 * measure what that import costs a function's cold start (its `runMain` also installs SIGINT/SIGTERM handlers and a
 * keep-alive timer; a cold start to the first /next needs neither).
 */
import * as Effect from "effect/Effect"

export const runMain = (effect) => {
  Effect.runFork(effect)
}
