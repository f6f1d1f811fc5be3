/**
 * Spawn a function file as a real Lambda runtime process (`node --import tsx <file>`), pointed at a
 * Runtime API address, and watch its output and exit.
 */
import { Deferred, Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"

export const root = Path.resolve(import.meta.dirname, "../..")

export interface FunctionProcess {
  readonly pid: number
  readonly child: ChildProcess.ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** Exit code and signal, once the process has exited. */
  readonly exited: Effect.Effect<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  readonly isRunning: () => boolean
  /** Wait until stdout contains `text`. */
  readonly waitForOutput: (text: string) => Effect.Effect<void>
  /**
   * Stdout contains `text`, now or within 5 s: a line the process wrote before its reply or its exit can reach this
   * side after them (the pipe and the Runtime API's socket are read in whatever order they are ready). Dies with
   * the stdout so far otherwise.
   */
  readonly expectOutput: (text: string) => Effect.Effect<void>
}

export const spawnFunction = (file: string, address: string, env: Record<string, string> = {}) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const exited = yield* Deferred.make<{ code: number | null; signal: NodeJS.Signals | null }>()
      const child = ChildProcess.spawn(process.execPath, ["--import", "tsx", Path.resolve(root, file)], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          AWS_LAMBDA_RUNTIME_API: address,
          AWS_LAMBDA_FUNCTION_NAME: "test-function",
          ...env
        },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let out = ""
      let err = ""
      const watchers: Array<() => void> = []
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk
        for (const watcher of watchers) watcher()
      })
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        err += chunk
      })
      child.on("exit", (code, signal) => Deferred.unsafeDone(exited, Effect.succeed({ code, signal })))
      const waitForOutput = (text: string) =>
        Effect.async<void>((resume) => {
          const check = () => {
            if (out.includes(text)) {
              watchers.splice(watchers.indexOf(check), 1)
              resume(Effect.void)
            }
          }
          watchers.push(check)
          check()
        })
      const fn: FunctionProcess = {
        pid: child.pid ?? -1,
        child,
        stdout: () => out,
        stderr: () => err,
        exited: Deferred.await(exited),
        isRunning: () => child.exitCode === null && child.signalCode === null,
        waitForOutput,
        expectOutput: (text) =>
          waitForOutput(text).pipe(
            Effect.timeoutFail({
              duration: "5 seconds",
              onTimeout: () => new Error(`stdout never contained ${JSON.stringify(text)}; it was:\n${out}`)
            }),
            Effect.orDie
          )
      }
      return fn
    }),
    (fn) =>
      Effect.suspend(() => {
        if (!fn.isRunning()) return Effect.void
        fn.child.kill("SIGKILL")
        return Effect.asVoid(fn.exited)
      })
  )

/**
 * Bundle `entry` (relative to the repository) into `outfile` with the README's recipe: esbuild, one minified ES module
 * for Node, with the `createRequire` banner.
 */
export const bundleAsReadme = (entry: string, outfile: string): void => {
  ChildProcess.execFileSync(
    Path.join(root, "node_modules/.bin/esbuild"),
    [
      entry,
      "--bundle",
      "--minify",
      "--platform=node",
      "--format=esm",
      `--outfile=${outfile}`,
      '--banner:js=import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
      "--log-level=error"
    ],
    { cwd: root }
  )
}
