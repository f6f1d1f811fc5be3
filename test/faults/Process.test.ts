/**
 * Fault suite, whole processes: a real runtime process against the raw misbehaving Runtime API. SIGTERM in the
 * middle of a streamed reply, an exception outside any Effect, and the README's bundle recipe on
 * `examples/http-stream.ts` (which imports `examples/http.ts`: two `runMain` calls in one bundle).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as FileSystem from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { bundleAsReadme, type FunctionProcess, root, spawnFunction } from "../support/FunctionProcess.js"
import { faultApi, invocationResponse, replyCounts, within } from "./support/FaultApi.js"

const MiB = 1024 * 1024

describe("faults: processes", () => {
  it.scopedLive("SIGTERM in the middle of a streamed reply: the reply ends with trailers, once; exit 0", () =>
    Effect.gen(function* () {
      let fn: FunctionProcess | undefined
      let signalled = false
      const api = yield* faultApi({
        next: (socket, n) => {
          if (n === 0) socket.write(invocationResponse("id-0", '{"bytes":190000000,"chunk":65536}'))
        },
        onBytes: (_socket, bytes) => {
          if (bytes >= MiB && !signalled && fn !== undefined) {
            signalled = true
            fn.child.kill("SIGTERM")
          }
        }
      })
      fn = yield* spawnFunction("examples/stream.ts", api.address)
      const exit = yield* within(10_000, "the process to exit after SIGTERM", fn.exited)
      assert.isTrue(signalled)
      assert.strictEqual(exit.code, 0, fn.stdout() + fn.stderr())
      assert.deepStrictEqual(replyCounts(api), { "id-0": 1 })
      assert.include(api.replies[0]!.request.trailers, "Lambda-Runtime-Function-Error-Type: Runtime.Interrupted")
      assert.isBelow(api.replies[0]!.request.body.length, 190_000_000)
    })
  )

  it.scopedLive(
    "an exception outside any Effect is logged under the invocation's request id, reported once, exit 129",
    () =>
      Effect.gen(function* () {
        const api = yield* faultApi({ invocations: 1 })
        const fn = yield* spawnFunction("test/fixtures/functions/uncaught.ts", api.address)
        const exit = yield* within(10_000, "the process to exit", fn.exited)
        assert.strictEqual(exit.code, 129)
        assert.deepStrictEqual(replyCounts(api), { "id-0": 1 })
        assert.strictEqual(api.replies[0]!.kind, "error")
        // The process's last lines may still be in the pipe when its exit is seen.
        yield* fn.expectOutput("\tid-0\tFATAL\tUncaught Exception: SyntaxError: thrown outside any Effect")
        assert.notMatch(fn.stdout(), /\t-\tFATAL\tUncaught Exception/)
      })
  )

  it.scopedLive("the README's bundle recipe on examples/http-stream.ts runs one loop, the streamed one", () =>
    Effect.gen(function* () {
      const dir = FileSystem.mkdtempSync(Path.join(Os.tmpdir(), "bundle-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => FileSystem.rmSync(dir, { recursive: true, force: true })))
      const outfile = Path.join(dir, "index.mjs")
      bundleAsReadme("examples/http-stream.ts", outfile)
      const event = FileSystem.readFileSync(Path.join(root, "test/fixtures/events/function-url.json"), "utf8")
      const api = yield* faultApi({
        next: (socket, n) => {
          if (n === 0) socket.write(invocationResponse("url-0", event))
        }
      })
      let stderr = ""
      const child = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const child = ChildProcess.spawn(process.execPath, [outfile], {
            cwd: dir,
            env: { PATH: process.env.PATH ?? "", AWS_LAMBDA_RUNTIME_API: api.address, AWS_LAMBDA_FUNCTION_NAME: "f" },
            stdio: ["ignore", "ignore", "pipe"]
          })
          child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
            stderr += chunk
          })
          return child
        }),
        (child) => Effect.sync(() => child.kill("SIGKILL"))
      )
      yield* within(10_000, "the reply and the next /next", api.awaitNexts(2))
      // Give a second loop (if any) time to show itself.
      yield* Effect.sleep("300 millis")
      assert.isNull(child.exitCode)
      assert.strictEqual(api.nexts(), 2, "one loop: one /next before the invocation and one after it")
      assert.deepStrictEqual(replyCounts(api), { "url-0": 1 })
      assert.match(api.replies[0]!.request.head, /\r\nLambda-Runtime-Function-Response-Mode: streaming\r\n/i)
      assert.include(stderr, "runMain was called 2 times")
    })
  )
})
