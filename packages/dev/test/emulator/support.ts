/**
 * Helpers for the emulator and CLI tests: a console that records what the emulator prints, real child
 * processes (curl, the CLI) with their output read as it arrives, and a free port.
 */
import { type Console, Deferred, Effect, Schedule } from "effect"
import * as ChildProcess from "node:child_process"
import * as Net from "node:net"
import * as Path from "node:path"
import * as Emulator from "../../src/emulator/Emulator.js"
import { fromUnsafe } from "../../src/emulator/internal/console.js"
import * as LocalFunction from "../../src/emulator/LocalFunction.js"

/** The repository root: tests run there, so `examples/…` paths are the repository's examples. */
export const root = Path.resolve(import.meta.dirname, "../../../..")
export const fixture = (name: string) => Path.join("packages/dev/test/fixtures/emulator", name)

/** A console that keeps every line (`log` and `error` alike); `lines()` reads them. */
export const recordingConsole = () => {
  const lines: Array<string> = []
  const record = (...args: ReadonlyArray<unknown>) => {
    for (const line of args.map(String).join(" ").split("\n")) lines.push(line)
  }
  const unsafe: Console.UnsafeConsole = {
    assert: () => {},
    clear: () => {},
    count: () => {},
    countReset: () => {},
    debug: record,
    dir: record,
    dirxml: record,
    error: record,
    group: () => {},
    groupCollapsed: () => {},
    groupEnd: () => {},
    info: record,
    log: record,
    table: record,
    time: () => {},
    timeEnd: () => {},
    timeLog: () => {},
    trace: record,
    warn: record
  }
  return { console: fromUnsafe(unsafe), lines: () => lines.slice() }
}

/** Wait (polling, bounded) until `check` holds. */
export const eventually = <A>(check: Effect.Effect<A | undefined>, what: string, seconds = 30) =>
  check.pipe(
    Effect.flatMap((a) => (a === undefined ? Effect.fail("not yet" as const) : Effect.succeed(a))),
    Effect.retry(Schedule.spaced("50 millis")),
    Effect.timeoutFail({ duration: `${seconds} seconds`, onTimeout: () => new Error(`timed out waiting for ${what}`) }),
    Effect.orDie
  )

/** A local function and its fronts on a free port, with a recording console; released with the scope. */
export const emulator = (options: LocalFunction.Options, fronts: Omit<Emulator.Options, "port"> = {}) =>
  Effect.gen(function* () {
    const recorded = recordingConsole()
    const fn = yield* LocalFunction.make({ cwd: root, ...options }).pipe(
      Effect.withConsole(recorded.console),
      Effect.orDie
    )
    const server = yield* Emulator.make({ ...fronts, port: 0 }).pipe(
      Effect.provideService(LocalFunction.LocalFunction, fn),
      Effect.withConsole(recorded.console),
      Effect.orDie
    )
    return { fn, server, lines: recorded.lines }
  })

/** A local function alone, with a recording console. */
export const localFunction = (options: LocalFunction.Options) =>
  Effect.gen(function* () {
    const recorded = recordingConsole()
    const fn = yield* LocalFunction.make({ cwd: root, ...options }).pipe(
      Effect.withConsole(recorded.console),
      Effect.orDie
    )
    return { fn, lines: recorded.lines }
  })

export interface Process {
  readonly pid: number
  readonly stdout: () => string
  readonly stderr: () => string
  /** Exit code (or signal name) once the process has ended. */
  readonly exited: Effect.Effect<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  readonly isRunning: () => boolean
  /** Wait until stdout (or stderr with `stream`) matches. */
  readonly waitFor: (pattern: RegExp, stream?: "stdout" | "stderr", seconds?: number) => Effect.Effect<RegExpExecArray>
  readonly kill: (signal?: NodeJS.Signals) => void
}

/** Spawn a real process; it is killed (SIGKILL) when the scope closes if it still runs. */
export const spawn = (
  file: string,
  args: ReadonlyArray<string>,
  options: { readonly stdin?: string; readonly env?: Record<string, string>; readonly cwd?: string } = {}
) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const exited = yield* Deferred.make<{ code: number | null; signal: NodeJS.Signals | null }>()
      const child = ChildProcess.spawn(file, [...args], {
        cwd: options.cwd ?? root,
        env: { ...process.env, ...options.env },
        stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"]
      })
      if (options.stdin !== undefined) child.stdin!.end(options.stdin)
      let out = ""
      let err = ""
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk
      })
      child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
        err += chunk
      })
      let closed = false
      child.on("close", (code, signal) => {
        closed = true
        Deferred.unsafeDone(exited, Effect.succeed({ code, signal }))
      })
      const proc: Process = {
        pid: child.pid ?? -1,
        stdout: () => out,
        stderr: () => err,
        exited: Deferred.await(exited),
        isRunning: () => !closed,
        waitFor: (pattern, stream = "stdout", seconds = 40) =>
          eventually(
            Effect.sync(() => pattern.exec(stream === "stdout" ? out : err) ?? undefined),
            `${pattern} on ${stream} of ${Path.basename(file)} ${args.join(" ")}\n--- stdout:\n${out}\n--- stderr:\n${err}`,
            seconds
          ),
        kill: (signal = "SIGTERM") => {
          if (!closed) child.kill(signal)
        }
      }
      return proc
    }),
    (proc) =>
      Effect.suspend(() => {
        if (!proc.isRunning()) return Effect.void
        proc.kill("SIGKILL")
        return Effect.asVoid(Effect.timeout(proc.exited, "10 seconds").pipe(Effect.ignore))
      })
  )

/** The CLI as a user runs it: `node bin/effect-lambda.js …`. */
export const cli = (
  args: ReadonlyArray<string>,
  options: { readonly stdin?: string; readonly env?: Record<string, string> } = {}
) => spawn(process.execPath, [Path.join(root, "packages/dev/bin/effect-lambda.js"), ...args], options)

/** Run a process to its end. */
export const run = (
  file: string,
  args: ReadonlyArray<string>,
  options: { readonly stdin?: string; readonly env?: Record<string, string> } = {}
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const proc = yield* spawn(file, args, options)
      const exit = yield* proc.exited
      return { code: exit.code, signal: exit.signal, stdout: proc.stdout(), stderr: proc.stderr() }
    })
  )

/** The real curl binary. */
export const curl = (args: ReadonlyArray<string>) => run("curl", args)

/** A port that was free a moment ago. */
export const freePort: Effect.Effect<number> = Effect.async<number>((resume) => {
  const server = Net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})
