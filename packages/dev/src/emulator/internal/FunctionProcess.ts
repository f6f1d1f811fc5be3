/**
 * One function process: `node [--import tsx] bootstrap <entry>` with the given environment, its output split
 * into lines, its exit observed, stopped by signal.
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as ChildProcess from "node:child_process"
import * as Module from "node:module"
import * as Path from "node:path"
import * as Url from "node:url"

/** @internal */
export interface ExitInfo {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** @internal */
export interface FunctionProcess {
  readonly pid: number
  readonly exited: Effect.Effect<ExitInfo>
  readonly isRunning: () => boolean
  /** SIGKILL now. */
  readonly kill: Effect.Effect<ExitInfo>
  /** SIGTERM, then SIGKILL after `graceMs`. */
  readonly stop: (graceMs: number) => Effect.Effect<ExitInfo>
}

/** @internal */
export interface SpawnOptions {
  readonly entry: string
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string
  readonly onLine: (stream: "stdout" | "stderr", line: string) => void
}

const typeScript = /\.(?:ts|mts|cts|tsx)$/

/** The bootstrap file beside this module (TypeScript in a checkout, JavaScript when installed). @internal */
export const bootstrapPath = (): string => {
  const self = Url.fileURLToPath(import.meta.url)
  const extension = Path.extname(self)
  return Path.resolve(Path.dirname(self), "..", `bootstrap${extension === ".ts" ? ".ts" : ".js"}`)
}

let tsxLoader: string | undefined

const tsx = (): string => {
  if (tsxLoader === undefined) {
    tsxLoader = Url.pathToFileURL(Module.createRequire(import.meta.url).resolve("tsx")).href
  }
  return tsxLoader
}

/**
 * The command that runs `entry` as a Lambda runtime process: the bootstrap, through tsx when the entry or
 * the bootstrap itself is TypeScript. A TypeScript bootstrap means a checkout of the repository: there the
 * runtime package is resolved to its sources (the `effect-lambda-source` export condition), as in the CLI.
 *
 * @internal
 */
export const command = (entry: string): { readonly file: string; readonly args: ReadonlyArray<string> } => {
  const bootstrap = bootstrapPath()
  const checkout = typeScript.test(bootstrap)
  const needsTsx = typeScript.test(entry) || checkout
  const conditions = checkout ? ["--conditions=effect-lambda-source"] : []
  return { file: process.execPath, args: needsTsx ? [...conditions, "--import", tsx(), bootstrap] : [bootstrap] }
}

const lines = (onLine: (line: string) => void) => {
  let partial = ""
  return {
    push: (chunk: string) => {
      const parts = (partial + chunk).split("\n")
      partial = parts.pop() ?? ""
      for (const part of parts) onLine(part.endsWith("\r") ? part.slice(0, -1) : part)
    },
    flush: () => {
      if (partial.length > 0) onLine(partial)
      partial = ""
    }
  }
}

/**
 * Spawn the function; the process is killed (SIGKILL) when the scope closes, if it still runs.
 *
 * @internal
 */
export const spawn = (options: SpawnOptions): Effect.Effect<FunctionProcess, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const exited = yield* Deferred.make<ExitInfo>()
      const { file, args } = command(options.entry)
      const child = ChildProcess.spawn(file, [...args], {
        cwd: options.cwd,
        env: options.env,
        stdio: ["ignore", "pipe", "pipe"]
      })
      const out = lines((line) => options.onLine("stdout", line))
      const err = lines((line) => options.onLine("stderr", line))
      child.stdout.setEncoding("utf8").on("data", out.push)
      child.stderr.setEncoding("utf8").on("data", err.push)
      let stdoutOpen = true
      let stderrOpen = true
      let exitInfo: ExitInfo | undefined
      const settle = () => {
        if (exitInfo === undefined || stdoutOpen || stderrOpen) return
        out.flush()
        err.flush()
        Deferred.unsafeDone(exited, Effect.succeed(exitInfo))
      }
      child.stdout.on("close", () => {
        stdoutOpen = false
        settle()
      })
      child.stderr.on("close", () => {
        stderrOpen = false
        settle()
      })
      child.on("error", (error) => {
        options.onLine("stderr", `could not start the function process: ${error.message}`)
        exitInfo = { code: null, signal: null }
        stdoutOpen = false
        stderrOpen = false
        settle()
      })
      child.on("exit", (code, signal) => {
        exitInfo = { code, signal }
        settle()
        // A grandchild may hold the pipes open: do not wait for them forever.
        setTimeout(() => {
          stdoutOpen = false
          stderrOpen = false
          settle()
        }, 1_000).unref()
      })
      const isRunning = () => child.exitCode === null && child.signalCode === null && exitInfo === undefined
      const signal = (name: NodeJS.Signals) =>
        Effect.sync(() => {
          if (isRunning()) child.kill(name)
        })
      const kill = Effect.zipRight(signal("SIGKILL"), Deferred.await(exited))
      const stop = (graceMs: number) =>
        Effect.zipRight(
          signal("SIGTERM"),
          Deferred.await(exited).pipe(
            Effect.timeout(graceMs),
            Effect.catchAll(() => kill)
          )
        )
      const process: FunctionProcess = { pid: child.pid ?? -1, exited: Deferred.await(exited), isRunning, kill, stop }
      return process
    }),
    (fn) => (fn.isRunning() ? Effect.asVoid(Effect.timeout(fn.kill, 5_000).pipe(Effect.ignore)) : Effect.void)
  )
