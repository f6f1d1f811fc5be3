/**
 * LocalFunction's lifecycle on real processes: an init failure that does not end the function, an
 * invocation no poll takes, multi-line log records, the client context, and the shutdown rule (SIGTERM only
 * when an extension registered).
 */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import * as FileSystem from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import type * as LocalFunction from "../../src/emulator/LocalFunction.js"
import { eventually, fixture, localFunction } from "./support.js"

const json = (reply: LocalFunction.Reply) =>
  Effect.gen(function* () {
    if (reply._tag === "Error") return { error: reply.error, value: undefined }
    const body = yield* Stream.runCollect(reply.body)
    const completion = yield* reply.completion
    return { value: JSON.parse(Buffer.concat(Chunk.toArray(body)).toString("utf8")), error: completion.error }
  })

const call = (fn: LocalFunction.Service, event: unknown, extra: Omit<LocalFunction.InvokeRequest, "event"> = {}) =>
  Effect.flatMap(fn.invoke({ event: JSON.stringify(event), ...extra }), json)

describe("LocalFunction lifecycle", () => {
  it.scopedLive(
    "an init failure does not end the function: each invocation gets it, the next one tries init again",
    () =>
      Effect.gen(function* () {
        const dir = FileSystem.mkdtempSync(Path.join(Os.tmpdir(), "init-once-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => FileSystem.rmSync(dir, { recursive: true, force: true })))
        const marker = Path.join(dir, "ready")
        const { fn, lines } = yield* localFunction({
          entry: fixture("init-once.ts"),
          env: { ...process.env, INIT_MARKER: marker }
        })
        const ready = yield* fn.ready
        assert.strictEqual(ready._tag, "InitError")
        for (let i = 0; i < 2; i++) {
          const failed = yield* call(fn, {})
          assert.strictEqual(failed.error?.errorType, "Error")
          assert.strictEqual(failed.error?.errorMessage, `not ready: ${marker} is missing`)
        }
        FileSystem.writeFileSync(marker, "")
        const served = yield* call(fn, {})
        assert.isUndefined(served.error)
        assert.deepStrictEqual(served.value.ready, true)
        assert.isAtLeast(lines().filter((l) => l.startsWith("! init failed: Error: not ready")).length, 2)
        const again = yield* call(fn, {})
        assert.strictEqual(again.value.pid, served.value.pid)
      }),
    180_000
  )

  it.scopedLive(
    "an invocation that no poll takes times out from the moment it was queued",
    () =>
      Effect.gen(function* () {
        const { fn, lines } = yield* localFunction({ entry: fixture("stalled-poll.ts"), timeoutMs: 2_000 })
        assert.strictEqual((yield* fn.ready)._tag, "Ready")
        // its only poll is gone (given up 100 ms after it was sent): the invocation stays queued
        yield* Effect.sleep("1 second")
        const started = Date.now()
        const reply = yield* fn
          .invoke({ event: "{}" })
          .pipe(
            Effect.timeoutFail({ duration: "30 seconds", onTimeout: () => new Error("the invocation was lost") }),
            Effect.orDie
          )
        assert.isAtLeast(Date.now() - started, 1_900)
        assert.strictEqual(reply._tag === "Error" && reply.error.errorType, "Sandbox.Timedout")
        assert.isTrue(lines().some((l) => l.includes("timed out after 2 s")))
      }),
    180_000
  )

  it.scopedLive(
    "a multi-line log record (one line with \\r on the wire) is printed as lines under the prefix",
    () =>
      Effect.gen(function* () {
        const { fn, lines } = yield* localFunction({ entry: fixture("probe.ts"), functionName: "probe-fn" })
        yield* call(fn, { action: "record", text: "first line\nsecond line\n  third, indented" })
        const at = yield* eventually(
          Effect.sync(() => {
            const all = lines()
            const index = all.findIndex((l) => l.startsWith("[probe-fn] ") && l.endsWith("first line"))
            return index >= 0 && all.length > index + 2 ? { all, index } : undefined
          }),
          "the record's lines"
        )
        assert.match(at.all[at.index]!, /^\[probe-fn\] \S+\t\S+\tINFO\tfirst line$/)
        assert.strictEqual(at.all[at.index + 1], "[probe-fn]   second line")
        assert.strictEqual(at.all[at.index + 2], "[probe-fn]     third, indented")
        assert.isFalse(lines().some((l) => l.includes("\r")))
      }),
    180_000
  )

  it.scopedLive(
    "a client context with characters outside Latin-1 reaches the function as the same JSON",
    () =>
      Effect.gen(function* () {
        const { fn } = yield* localFunction({ entry: fixture("probe.ts") })
        const clientContext = JSON.stringify({ custom: { city: "東京", note: "naïve ✓ 😀" } })
        const { value, error } = yield* call(fn, { action: "context" }, { clientContext })
        assert.isUndefined(error)
        assert.deepStrictEqual(value.clientContext, JSON.parse(clientContext))
      }),
    180_000
  )

  it.scopedLive(
    "stopping a function with a registered extension: SHUTDOWN event, SIGTERM, finalizers run",
    () =>
      Effect.gen(function* () {
        const { fn, lines } = yield* localFunction({
          entry: fixture("extension.ts"),
          functionName: "ext",
          // the mechanism is under test, not the machine's speed: a loaded machine may need more than 500 ms
          shutdownGraceMs: 5_000
        })
        const before = yield* call(fn, {})
        assert.isTrue(lines().includes("[ext] registered: 200 with an identifier"))
        yield* fn.restart
        yield* eventually(
          Effect.sync(() => (lines().includes("[ext] finalizer ran") ? true : undefined)),
          "the old process's finalizer"
        )
        const all = lines()
        assert.isTrue(all.includes("[ext] SIGTERM received"))
        const event = all.find((l) => l.startsWith("[ext] extension event: "))
        assert.isString(event)
        const parsed = JSON.parse(event!.slice("[ext] extension event: ".length))
        assert.strictEqual(parsed.eventType, "SHUTDOWN")
        assert.strictEqual(parsed.shutdownReason, "spindown")
        assert.isNumber(parsed.deadlineMs)
        assert.isTrue(all.indexOf(event!) < all.indexOf("[ext] finalizer ran"))
        const after = yield* call(fn, {})
        assert.notStrictEqual(after.value.pid, before.value.pid)
      }),
    180_000
  )

  it.live(
    "closing the function's scope (Ctrl-C in dev) with a registered extension: SIGTERM, finalizers run",
    () =>
      Effect.gen(function* () {
        const recorded = yield* Effect.scoped(
          Effect.gen(function* () {
            const { fn, lines } = yield* localFunction({
              entry: fixture("extension.ts"),
              functionName: "ext",
              // the mechanism is under test, not the machine's speed: a loaded machine may need more than 500 ms
              shutdownGraceMs: 5_000
            })
            yield* call(fn, {})
            return lines
          })
        )
        const all = recorded()
        assert.isTrue(all.includes("[ext] SIGTERM received"))
        assert.isTrue(all.includes("[ext] finalizer ran"))
      }),
    180_000
  )

  it.scopedLive(
    "stopping a function without an extension: SIGKILL at once, no SIGTERM, no finalizer",
    () =>
      Effect.gen(function* () {
        const { fn, lines } = yield* localFunction({
          entry: fixture("extension.ts"),
          functionName: "ext",
          env: { ...process.env, REGISTER_EXTENSION: "no", EFFECT_LAMBDA_SHUTDOWN_EXTENSION: "false" }
        })
        const before = yield* call(fn, {})
        yield* fn.restart
        const after = yield* call(fn, {})
        assert.notStrictEqual(after.value.pid, before.value.pid)
        yield* Effect.sleep("1500 millis")
        assert.isFalse(lines().some((l) => l.includes("SIGTERM received") || l.includes("finalizer ran")))
        assert.isFalse(lines().some((l) => l.includes("registered:")))
        let alive = true
        try {
          process.kill(before.value.pid, 0)
        } catch {
          alive = false
        }
        assert.isFalse(alive)
      }),
    180_000
  )
})
