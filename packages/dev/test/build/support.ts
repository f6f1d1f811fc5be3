/**
 * Helpers of the build tests: run the `build` command as a process, unzip with the system's `unzip`, and start a
 * built function as a real process against the Runtime API server.
 */
import { assert } from "@effect/vitest"
import * as SourcemapCodec from "@jridgewell/sourcemap-codec"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as FileSystem from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import type * as Build from "../../src/build/Build.js"
import * as NodeBinary from "../../src/build/internal/nodeBinary.js"

export const root = Path.resolve(import.meta.dirname, "../../../..")

export interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Run a command to completion. */
export const run = (command: string, args: ReadonlyArray<string>, options: ChildProcess.SpawnOptions = {}) =>
  Effect.async<Ran>((resume) => {
    const child = ChildProcess.spawn(command, [...args], { cwd: root, ...options, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
    })
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
    })
    child.on("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** `effect-lambda build ...args` (the `build` subcommand as a process, from the repository's root). */
export const buildCommand = (args: ReadonlyArray<string>) =>
  run(process.execPath, [
    "--conditions",
    "effect-lambda-source",
    "--import",
    "tsx",
    Path.join(root, "packages/dev/test/build/fixtures/run-build.ts"),
    "build",
    ...args
  ])

/** A fresh temporary folder (in the system's, or in `parent`: under the repository for a build to resolve from), removed with the scope. */
export const tempDir = (prefix: string, parent: string = Os.tmpdir()) =>
  Effect.acquireRelease(
    Effect.sync(() => FileSystem.mkdtempSync(Path.join(parent, prefix))),
    (dir) => Effect.sync(() => FileSystem.rmSync(dir, { recursive: true, force: true }))
  )

/** `unzip -Z` (zipinfo) lines: `mode name` for each entry. */
export const zipModes = (zip: string) =>
  Effect.map(run("unzip", ["-Z", zip]), (ran) => {
    const entries = new Map<string, string>()
    for (const line of ran.stdout.split("\n")) {
      const match = /^([-dl][rwxsStT-]{9})\s.*\s(\S+)$/.exec(line)
      if (match?.[1] !== undefined && match[2] !== undefined) entries.set(match[2], match[1])
    }
    return entries
  })

export interface Started {
  readonly child: ChildProcess.ChildProcess
  readonly output: () => string
  readonly exited: Effect.Effect<number | null>
}

/** Start a process (killed with the scope) and collect its stdout and stderr together. */
export const start = (command: string, args: ReadonlyArray<string>, options: ChildProcess.SpawnOptions) =>
  Effect.acquireRelease(
    Effect.sync((): Started => {
      const child = ChildProcess.spawn(command, [...args], { ...options, stdio: ["ignore", "pipe", "pipe"] })
      let output = ""
      child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk
      })
      child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk
      })
      const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      return { child, output: () => output, exited: Effect.promise(() => exit) }
    }),
    (started) =>
      Effect.suspend(() => {
        if (started.child.exitCode !== null || started.child.signalCode !== null) return Effect.void
        started.child.kill("SIGKILL")
        return Effect.asVoid(started.exited)
      })
  )

/**
 * Unpack a custom-runtime `function.zip` into a fresh folder and start its `bootstrap` there with an empty
 * environment (no Node.js on the PATH) but for `env` and `AWS_LAMBDA_RUNTIME_API`: what Lambda's `provided.al2023`
 * does with the zip.
 */
export const startBootstrap = (zip: string, runtimeApi: string, env: ReadonlyArray<string> = []) =>
  Effect.gen(function* () {
    const unpacked = yield* tempDir("el-unpacked-")
    const unzipped = yield* run("unzip", ["-q", zip, "-d", unpacked])
    if (unzipped.code !== 0) return yield* Effect.dieMessage(`unzip ${zip} failed: ${unzipped.stderr}`)
    const fn = yield* start(
      "/usr/bin/env",
      ["-i", "PATH=/nonexistent", ...env, `AWS_LAMBDA_RUNTIME_API=${runtimeApi}`, "./bootstrap"],
      { cwd: unpacked }
    )
    return { unpacked, fn }
  })

/** The official Node.js 22 binary (a container base image's major), from where a build takes it (its cache). */
export const node22 = Effect.promise(() => {
  const fromEnv = process.env.EFFECT_LAMBDA_CACHE_DIR
  const cache =
    fromEnv !== undefined && fromEnv !== ""
      ? fromEnv
      : Path.join(process.env.XDG_CACHE_HOME || Path.join(Os.homedir(), ".cache"), "effect-lambda")
  return NodeBinary.resolve({ arch: "x86_64", major: "22", from: root, cacheDir: Path.join(cache, "node") })
})

/**
 * A container build's image, made here: the `COPY` sources into a folder standing for `/var/task`, then the
 * `Dockerfile`'s one `RUN` command itself (its `/var/task` replaced by that folder) with Node.js 22 first on the PATH.
 */
export const imageOf = (report: Build.Report) =>
  Effect.gen(function* () {
    const node = yield* node22
    const dockerfile = FileSystem.readFileSync(report.dockerfile ?? "", "utf8")
    const task = yield* tempDir("el-task-")
    const sources = /^COPY (.+) \/var\/task\/$/m.exec(dockerfile)?.[1]?.split(" ") ?? []
    for (const source of sources) FileSystem.copyFileSync(Path.join(report.directory, source), Path.join(task, source))
    FileSystem.chmodSync(Path.join(task, "bootstrap"), 0o755)
    const runs = [...dockerfile.matchAll(/^RUN (.+)$/gm)].map((match) => match[1] ?? "")
    assert.strictEqual(runs.length, 1, dockerfile)
    const ran = yield* run("/bin/sh", ["-c", (runs[0] ?? "").replaceAll("/var/task", task)], {
      env: { PATH: `${Path.dirname(node.path)}:/usr/bin:/bin` }
    })
    assert.strictEqual(ran.code, 0, ran.stderr)
    const entrypoint = /^ENTRYPOINT \["\/var\/task\/(\S+)"\]$/m.exec(dockerfile)?.[1] ?? ""
    return {
      task,
      entrypoint: Path.join(task, entrypoint),
      nodeDir: Path.dirname(node.path),
      node: node.path,
      output: ran.stdout + ran.stderr
    }
  })

/**
 * Assert that `after` (code and source map, rewritten) maps exactly as `before`: as many lines and segments, each
 * segment with the same original position and pointing at the same generated character. Returns how many segments
 * were compared.
 */
export const assertSameMappings = (
  before: { readonly code: string; readonly map: string },
  after: { readonly code: string; readonly map: string }
): number => {
  const segmentsBefore = SourcemapCodec.decode((JSON.parse(before.map) as { mappings: string }).mappings)
  const segmentsAfter = SourcemapCodec.decode((JSON.parse(after.map) as { mappings: string }).mappings)
  const linesBefore = before.code.split("\n")
  const linesAfter = after.code.split("\n")
  assert.strictEqual(segmentsAfter.length, segmentsBefore.length)
  let compared = 0
  segmentsBefore.forEach((segments, line) => {
    assert.strictEqual(segmentsAfter[line]?.length, segments.length)
    segments.forEach((segment, i) => {
      const moved = segmentsAfter[line]?.[i]
      assert.deepStrictEqual(moved?.slice(1), segment.slice(1))
      assert.strictEqual(linesAfter[line]?.[moved?.[0] ?? -1], linesBefore[line]?.[segment[0]])
      compared++
    })
  })
  return compared
}
