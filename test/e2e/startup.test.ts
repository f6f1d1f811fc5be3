/**
 * What a function's process loads before it asks for its first invocation: each example bundled as the README
 * says (esbuild, ESM), started with `node`, stopped at its first `/next`. Node's built-in modules cost start time
 * (an ES module import of `node:http` alone loaded undici, tls, http2, crypto and zlib); the runtime loads only
 * what it uses.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as FileSystem from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { bundleAsReadme, root } from "../support/FunctionProcess.js"
import { faultApi, within } from "../faults/support/FaultApi.js"

/** The built-in modules (`NativeModule name`) the bundled `entry` has loaded when its first `/next` arrives. */
const loadedAtFirstNext = (entry: string) =>
  Effect.gen(function* () {
    const dir = FileSystem.mkdtempSync(Path.join(Os.tmpdir(), "startup-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => FileSystem.rmSync(dir, { recursive: true, force: true })))
    const outfile = Path.join(dir, `${Path.basename(entry, ".ts")}.mjs`)
    bundleAsReadme(entry, outfile)
    const listFile = Path.join(dir, "loaded.json")
    const api = yield* faultApi({})
    let output = ""
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const child = ChildProcess.spawn(
          process.execPath,
          ["--require", Path.join(root, "test/fixtures/loaded-builtins.cjs"), outfile],
          {
            cwd: dir,
            env: {
              PATH: process.env.PATH ?? "",
              AWS_LAMBDA_RUNTIME_API: api.address,
              AWS_LAMBDA_FUNCTION_NAME: "f",
              LOADED_BUILTINS_FILE: listFile
            },
            stdio: ["ignore", "pipe", "pipe"]
          }
        )
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          output += chunk
        })
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
          output += chunk
        })
        return child
      }),
      (child) => Effect.sync(() => child.kill("SIGKILL"))
    )
    const exited = Effect.async<number | null>((resume) => {
      if (child.exitCode !== null) return resume(Effect.succeed(child.exitCode))
      child.once("exit", (code) => resume(Effect.succeed(code)))
    })
    yield* within(10_000, "the first /next", api.awaitNexts(1))
    child.kill("SIGUSR2")
    const code = yield* within(10_000, "the process to write its modules and exit", exited)
    assert.strictEqual(code, 0, output)
    const loaded: ReadonlyArray<string> = JSON.parse(FileSystem.readFileSync(listFile, "utf8"))
    return loaded.filter((line) => line.startsWith("NativeModule ")).map((line) => line.slice("NativeModule ".length))
  })

/** Built-ins that no function here needs at start, each a measurable part of a cold start. */
const heavy = ["internal/deps/undici/undici", "http2", "tls", "crypto", "zlib"]

describe("startup: the built-ins a function loads before its first /next", () => {
  it.scopedLive("a buffered handler (examples/echo.ts): the socket's net, no node:http, nothing heavy", () =>
    Effect.gen(function* () {
      const loaded = yield* loadedAtFirstNext("examples/echo.ts")
      assert.include(loaded, "net", "the probe sees the runtime's own transport")
      for (const name of [...heavy, "http", "internal/util/parse_args/parse_args", "worker_threads"]) {
        assert.notInclude(loaded, name)
      }
    })
  )

  it.scopedLive("an HttpRouter behind the HTTP adapter (examples/http.ts): no node:http, nothing heavy", () =>
    Effect.gen(function* () {
      const loaded = yield* loadedAtFirstNext("examples/http.ts")
      assert.include(loaded, "net", "the probe sees the runtime's own transport")
      for (const name of [...heavy, "http"]) assert.notInclude(loaded, name)
    })
  )
})
