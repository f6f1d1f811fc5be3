/**
 * Run a function under the official Node.js runtime client (`aws-lambda-ric`, the client of Lambda's managed
 * `nodejs22.x`/`nodejs24.x` runtimes): bundle a fixture of `test/fixtures/managed/` as `index.mjs` the way a
 * deployment bundles it (esbuild, ESM, platform node, the `createRequire` banner), then start the client on it with
 * `_HANDLER=index.handler` against a Runtime API address.
 */
import { Deferred, Effect } from "effect"
import * as esbuild from "esbuild"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

export const root = Path.resolve(import.meta.dirname, "../..")

export const ricEntry = Path.join(root, "node_modules", "aws-lambda-ric", "index.mjs")

/** Fail with what to do when the official client or its native addon is not installed. */
export const assertRicInstalled = (): void => {
  if (!Fs.existsSync(ricEntry)) throw new Error("aws-lambda-ric is not installed: run npm ci in the repository root")
  if (!Fs.existsSync(Path.join(Path.dirname(ricEntry), "rapid-client.node"))) {
    throw new Error(
      "aws-lambda-ric's native addon (rapid-client.node) was not built: its install scripts need cmake, make, g++, " +
        "python3 and Node's headers (see bench/README.md); then: npm rebuild aws-lambda-ric --foreground-scripts"
    )
  }
}

/** The Node binary the client runs on: `EFFECT_LAMBDA_TEST_NODE` when set (to try other Node lines), else this one. */
export const nodeBinary = process.env.EFFECT_LAMBDA_TEST_NODE ?? process.execPath

const banner = 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);'

/** Bundle `test/fixtures/managed/<name>.ts` into `<dir>/<name>/index.mjs`; resolves with that folder. */
export const bundle = async (dir: string, name: string): Promise<string> => {
  const out = Path.join(dir, name)
  await esbuild.build({
    entryPoints: [Path.join(root, "test", "fixtures", "managed", `${name}.ts`)],
    outfile: Path.join(out, "index.mjs"),
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    banner: { js: banner },
    logLevel: "silent"
  })
  return out
}

export const tempDir = (): string => Fs.mkdtempSync(Path.join(Os.tmpdir(), "managed-"))

export interface ManagedProcess {
  readonly stdout: () => string
  readonly stderr: () => string
  readonly exited: Effect.Effect<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  readonly isRunning: () => boolean
  readonly kill: (signal: NodeJS.Signals) => void
  /** Wait until stdout contains `text`. */
  readonly waitForOutput: (text: string) => Effect.Effect<void>
}

/** Start the official client on the bundle in `taskRoot`; killed (SIGKILL) with the scope if it still runs. */
export const startManaged = (taskRoot: string, address: string, env: Record<string, string> = {}) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const exited = yield* Deferred.make<{ code: number | null; signal: NodeJS.Signals | null }>()
      const child = ChildProcess.spawn(nodeBinary, [ricEntry], {
        cwd: taskRoot,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          AWS_LAMBDA_RUNTIME_API: address,
          AWS_LAMBDA_FUNCTION_NAME: "test-function",
          AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128",
          AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/test-function",
          AWS_LAMBDA_LOG_STREAM_NAME: "2026/12/03/[$LATEST]0123456789abcdef",
          LAMBDA_TASK_ROOT: taskRoot,
          _HANDLER: "index.handler",
          ...env
        },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let out = ""
      let err = ""
      const watchers = new Set<() => void>()
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk
        for (const watcher of watchers) watcher()
      })
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        err += chunk
      })
      child.on("exit", (code, signal) => Deferred.unsafeDone(exited, Effect.succeed({ code, signal })))
      const proc: ManagedProcess = {
        stdout: () => out,
        stderr: () => err,
        exited: Deferred.await(exited),
        isRunning: () => child.exitCode === null && child.signalCode === null,
        kill: (signal) => {
          child.kill(signal)
        },
        waitForOutput: (text) =>
          Effect.async<void>((resume) => {
            const check = () => {
              if (out.includes(text)) {
                watchers.delete(check)
                resume(Effect.void)
              }
            }
            watchers.add(check)
            check()
            return Effect.sync(() => watchers.delete(check))
          })
      }
      return proc
    }),
    (proc) =>
      Effect.suspend(() => {
        if (!proc.isRunning()) return Effect.void
        proc.kill("SIGKILL")
        return Effect.asVoid(proc.exited)
      })
  )
