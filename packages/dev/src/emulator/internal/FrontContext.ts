/**
 * What the emulator's fronts share: the function, the Function URL mode, the console lines, and the fiber
 * set their background work runs in.
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as LocalFunction from "../LocalFunction.js"

/** @internal */
export interface FrontContext {
  readonly fn: LocalFunction.Service
  readonly mode: "buffered" | "streamed"
  /** Log the one line of a request. */
  readonly logLine: (label: string, outcome: string, startedAt: number, bytes: number) => Effect.Effect<void>
  /** A notice of the emulator (`! …`). */
  readonly notice: (text: string) => Effect.Effect<void>
  /** Run in the background, stopped with the emulator. */
  readonly runFork: <A, E>(effect: Effect.Effect<A, E>) => Fiber.RuntimeFiber<A, E>
}
