/**
 * `effect-lambda build --snapshot`, wire first: what the build writes starts as a real process from its V8 startup
 * snapshot (the zip's own `bin/function` for `custom`; for `container`, the `Dockerfile`'s own `RUN` command run here
 * with the official Node.js 22 binary, then its entrypoint) and serves the Runtime API server, which checks the
 * bytes.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as RuntimeApiServer from "effect-lambda-dev/RuntimeApiServer"
import * as FileSystem from "node:fs"
import * as Path from "node:path"
import * as Build from "../../src/build/Build.js"
import * as Entry from "../../src/build/internal/entry.js"
import * as Snapshot from "../../src/build/internal/snapshot.js"
import { buildCommand, imageOf, node22, root, run, start, startBootstrap, tempDir, zipModes } from "./support.js"

const server = RuntimeApiServer.make()

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8")

const commandLine = (pid: number | undefined): ReadonlyArray<string> =>
  FileSystem.readFileSync(`/proc/${pid}/cmdline`, "utf8")
    .split("\0")
    .filter((arg) => arg !== "")

/** The reply to `event` must be exactly `expected`, twice (the second invocation on the warm process). */
const invokeTwice = (api: RuntimeApiServer.Service, events: ReadonlyArray<readonly [string, string]>) =>
  Effect.gen(function* () {
    for (const [event, expected] of events) {
      const outcome = yield* api.invoke({ event })
      assert.strictEqual(outcome._tag, "Response")
      if (outcome._tag === "Response") assert.strictEqual(text(outcome.body), expected)
    }
    const violations = yield* api.violations
    assert.deepStrictEqual(violations, [], JSON.stringify(violations))
  })

describe("effect-lambda build --snapshot", { timeout: 120_000 }, () => {
  it.scopedLive(
    "custom: the zip's bootstrap starts bin/function, the carried binary with the snapshot inside; it serves, then stops on SIGTERM",
    () =>
      Effect.gen(function* () {
        const out = yield* tempDir("el-snap-")
        const built = yield* buildCommand(["examples/echo.ts", "--target", "custom", "--snapshot", "--out", out])
        assert.strictEqual(built.code, 0, built.stderr)
        const dir = Path.join(out, "echo")
        assert.match(
          built.stdout,
          /^ {2}snapshot \S+sea\.blob\s+[\d.]+ [KM]B \((\d+) bytes\), built by bin\/node, inside \S+bin\/function$/m
        )
        // Node's own notes while it builds the blob are not the build's output.
        assert.notInclude(built.stdout + built.stderr, "ExperimentalWarning")
        assert.notInclude(built.stdout + built.stderr, "Wrote single executable")
        // Nor are postject's notes on the binary's sections.
        assert.notInclude(built.stdout + built.stderr, "section name")
        const modes = yield* zipModes(Path.join(dir, "function.zip"))
        assert.deepStrictEqual(Object.fromEntries(modes), {
          bootstrap: "-rwxr-xr-x",
          "bin/function": "-rwxr-xr-x"
        })
        const api = yield* server
        // The function's own NODE_OPTIONS reach Node.js through bootstrap: here V8's function events, logged to a file.
        const log = Path.join(out, "functions.log")
        const { unpacked, fn } = yield* startBootstrap(Path.join(dir, "function.zip"), api.address, [
          "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
          `NODE_OPTIONS=--log-function-events --logfile=${log} --no-logfile-per-isolate`
        ])
        yield* invokeTwice(api, [
          ['{"id":"42"}', '{"id":"42"}'],
          ['{"a":[1,2,{"b":"é"}],"n":null}', '{"a":[1,2,{"b":"é"}],"n":null}']
        ])
        assert.strictEqual(FileSystem.realpathSync(`/proc/${fn.child.pid}/exe`), Path.join(unpacked, "bin/function"))
        const args = commandLine(fn.child.pid)
        assert.strictEqual(args.length, 2, args.join(" "))
        const options =
          args[1]
            ?.replace(/^--node-options=/, "")
            .split(" ")
            .filter((arg) => arg !== "") ?? []
        assert.deepStrictEqual(options, [
          ...Entry.nodeFlags("22"),
          `--max-old-space-size=${Entry.oldSpaceMiB(128)}`,
          "--log-function-events",
          `--logfile=${log}`,
          "--no-logfile-per-isolate"
        ])
        // The runtime's signal handlers were installed by the snapshot's main: SIGTERM ends it cleanly.
        fn.child.kill("SIGTERM")
        const code = yield* fn.exited.pipe(Effect.timeout("5 seconds"))
        assert.strictEqual(code, 0, fn.output())

        // The build ran the runtime's live path before taking the snapshot, so a process started from it compiles
        // little of the bundle while it starts and serves its first invocations (V8's function events: each function
        // compiled after the start is one `parse-function` line). Without that warm-up it is about 470 functions:
        // the socket transport, the loop's waits, the scheduler.
        const events = FileSystem.readFileSync(log, "utf8").split("\n")
        const bundle = events.find((line) => /^script-details,\d+,.*index\.cjs,/.test(line))?.split(",")[1]
        assert.isDefined(bundle, "the bundle's script is in the function log")
        const compiled = events.filter((line) => line.startsWith(`function,parse-function,${bundle},`)).length
        assert.isBelow(compiled, 200, `functions of the bundle compiled after the start: ${compiled}`)
      })
  )

  it.scopedLive("container: the Dockerfile's RUN builds the blob with the image's node; the entrypoint uses it", () =>
    Effect.gen(function* () {
      const out = yield* tempDir("el-snap-")
      const report = yield* Build.build({
        entry: "packages/dev/test/build/fixtures/with-layer.ts",
        target: "container",
        snapshot: true,
        outDir: out
      })
      assert.deepStrictEqual(report.snapshot, { _tag: "InImage" })
      const dockerfile = FileSystem.readFileSync(report.dockerfile ?? "", "utf8")
      assert.match(dockerfile, /^FROM --platform=linux\/amd64 public\.ecr\.aws\/lambda\/nodejs:22$/m)
      assert.match(dockerfile, /^ENTRYPOINT \["\/var\/task\/bootstrap"\]$/m)
      // RUN comes after COPY and before ENTRYPOINT.
      assert.isBelow(dockerfile.indexOf("\nCOPY "), dockerfile.indexOf("\nRUN "))
      assert.isBelow(dockerfile.indexOf("\nRUN "), dockerfile.indexOf("\nENTRYPOINT "))
      const ignored = FileSystem.readFileSync(Path.join(report.directory, ".dockerignore"), "utf8").split("\n")
      assert.includeMembers(ignored, ["!bootstrap", `!${Entry.snapshotScript}`])

      const image = yield* imageOf(report)
      assert.isAbove(FileSystem.statSync(Path.join(image.task, Entry.snapshotBlob)).size, 0)
      const api = yield* server
      const fn = yield* start(image.entrypoint, [], {
        cwd: "/",
        env: { PATH: image.nodeDir, AWS_LAMBDA_RUNTIME_API: api.address, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "2048" }
      })
      yield* invokeTwice(api, [
        ['{"n":1}', '{"greeting":"hello from the layer","event":{"n":1}}'],
        ['{"n":2}', '{"greeting":"hello from the layer","event":{"n":2}}']
      ])
      assert.strictEqual(FileSystem.realpathSync(`/proc/${fn.child.pid}/exe`), FileSystem.realpathSync(image.node))
      assert.include(commandLine(fn.child.pid), "--snapshot-blob")
      // No compile cache to keep valid: the old generation is sized from the function's memory.
      assert.include(commandLine(fn.child.pid), `--max-old-space-size=${Entry.oldSpaceMiB(2048)}`)
    })
  )

  it.scopedLive(
    "two processes from one snapshot: different Random draws, a current clock, the native Error; a child of the function started from it ends at once",
    () =>
      Effect.gen(function* () {
        const out = yield* tempDir("el-snap-")
        const entry = "packages/dev/test/build/fixtures/snapshot-random.ts"
        const image = yield* imageOf(yield* Build.build({ entry, target: "container", snapshot: true, outDir: out }))
        assert.isAbove(FileSystem.statSync(Path.join(image.task, Entry.snapshotBlob)).size, 0)
        const custom = yield* Build.build({ entry, target: "custom", snapshot: true, outDir: Path.join(out, "custom") })
        const starts = {
          container: (api: RuntimeApiServer.Service) =>
            start(image.entrypoint, [], {
              cwd: "/",
              env: { PATH: image.nodeDir, AWS_LAMBDA_RUNTIME_API: api.address }
            }),
          custom: (api: RuntimeApiServer.Service) =>
            Effect.map(startBootstrap(custom.zip?.path ?? "", api.address), ({ fn }) => fn)
        }
        for (const [target, startOne] of Object.entries(starts)) {
          const replies: Array<{
            random: number
            clockSkewMs: number
            nativeError: boolean
            child: { status: number | null; stderr: string }
          }> = []
          for (let i = 0; i < 2; i++) {
            const api = yield* server
            const fn = yield* startOne(api)
            const outcome = yield* api.invoke({ event: "{}" })
            assert.strictEqual(outcome._tag, "Response", `${target}: ${fn.output()}`)
            if (outcome._tag === "Response") replies.push(JSON.parse(text(outcome.body)))
          }
          assert.strictEqual(replies.length, 2, target)
          assert.notStrictEqual(replies[0]?.random, replies[1]?.random, target)
          for (const reply of replies) {
            assert.isTrue(reply.nativeError, target)
            assert.isBelow(reply.clockSkewMs, 5_000, target)
            // A process the function starts from its own snapshot (as child_process.fork does) does not start the
            // function a second time beside it: it says so and exits 1.
            assert.strictEqual(reply.child.status, 1, `${target}: ${reply.child.stderr}`)
            assert.match(
              reply.child.stderr,
              /^effect-lambda-runtime: this process was started by the function \(process \d+\)/
            )
          }
        }
      })
  )

  it.scopedLive("a module that opens a socket or a timer at load: the build fails with Node's words", () =>
    Effect.gen(function* () {
      const out = yield* tempDir("el-snap-")
      const socket = yield* Effect.flip(
        Build.build({
          entry: "packages/dev/test/build/fixtures/snapshot-socket.ts",
          target: "custom",
          snapshot: true,
          outDir: out
        })
      )
      assert.strictEqual(socket.reason, "Snapshot")
      assert.match(socket.message, /^cannot build the startup snapshot of \S+snapshot-socket\.ts with Node\.js 22\./)
      assert.include(socket.message, "connect ECONNREFUSED 127.0.0.1:9")
      assert.notMatch(socket.message, /^\s+at /m)
      assert.notInclude(socket.message, "worker_threads")

      const timer = yield* Effect.flip(
        Build.build({
          entry: "packages/dev/test/build/fixtures/snapshot-timer.ts",
          target: "custom",
          snapshot: true,
          snapshotTimeoutMs: 3_000,
          outDir: out
        })
      )
      assert.strictEqual(timer.reason, "Snapshot")
      assert.include(timer.message, "was not taken within 3000 ms")
      assert.include(timer.message, "(still open: Timeout)")
    })
  )

  it.scopedLive("a binary postject cannot inject into: the build fails with postject's own words", () =>
    Effect.gen(function* () {
      // A Node.js that builds the snapshot (a shell script starting the official binary) but is not an executable
      // format postject knows: the copy of it cannot carry the snapshot.
      const directory = yield* tempDir("el-snap-")
      const node = yield* node22
      const wrapper = Path.join(directory, "node-wrapper")
      FileSystem.writeFileSync(wrapper, `#!/bin/sh\nexec '${node.path}' "$@"\n`, { mode: 0o755 })
      FileSystem.writeFileSync(
        Path.join(directory, Entry.snapshotScript),
        'require("node:v8").startupSnapshot.setDeserializeMainFunction(() => {})\n'
      )
      const outcome = yield* Effect.promise(() => Snapshot.build({ node: wrapper, directory, timeoutMs: 60_000 }))
      assert.strictEqual(outcome._tag, "Failed")
      if (outcome._tag === "Failed") {
        assert.match(outcome.detail, /^cannot inject the snapshot into \S+bin\/function: postject exited with code 1:/)
        assert.include(outcome.detail, "Executable must be a supported format")
      }
      assert.isAbove(FileSystem.statSync(Path.join(directory, Entry.seaBlob)).size, 0)
    })
  )

  it.scopedLive("usage errors: exit code 2 and one line", () =>
    Effect.gen(function* () {
      const bin = Path.join(root, "packages/dev/bin/effect-lambda.js")
      const managed = yield* run(process.execPath, [
        bin,
        "build",
        "examples/echo.ts",
        "--snapshot",
        "--out",
        "/nonexistent/out"
      ])
      assert.strictEqual(managed.code, 2, managed.stderr)
      assert.strictEqual(managed.stderr.trimEnd().split("\n").length, 1, managed.stderr)
      assert.match(
        managed.stderr,
        /^effect-lambda build: --snapshot needs --target custom or container: .*Lambda updates the managed runtime's Node\.js/
      )
      const refused = (options: Partial<Build.Options>) =>
        Effect.flip(Build.build({ entry: "examples/echo.ts", snapshot: true, outDir: "/nonexistent/out", ...options }))
      const layer = yield* refused({ target: "custom", nodeFromLayer: "/opt/bin/node" })
      assert.strictEqual(layer.reason, "BadOptions")
      assert.include(layer.message, "--snapshot cannot be combined with --node-from-layer")
      if (process.arch === "x64") {
        const arm = yield* refused({ target: "custom", arch: "arm64" })
        assert.strictEqual(arm.reason, "BadOptions")
        assert.include(arm.message, "--arch arm64 builds the snapshot with the Linux arm64 Node.js binary")
      }
      for (const error of [layer]) assert.notInclude(error.message, "\n")
      assert.isFalse(FileSystem.existsSync("/nonexistent/out"))
    })
  )
})
