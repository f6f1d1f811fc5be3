/**
 * A child process of the build (the carried Node.js filling a compile cache, building a startup snapshot; postject),
 * run to its end with its output kept and a time limit.
 */
import * as ChildProcess from "node:child_process"

/** How a child process ended, with its output (stdout and stderr, at most `outputLimit` characters). */
export type Ran =
  | {
      readonly _tag: "Ran"
      readonly code: number | null
      readonly signal: NodeJS.Signals | null
      readonly output: string
      readonly timedOut: boolean
    }
  | { readonly _tag: "NotStarted"; readonly detail: string }

/** Run `command` to its end, killed (SIGKILL) after `timeoutMs`. */
export const run = (
  command: string,
  args: ReadonlyArray<string>,
  options: {
    readonly cwd?: string
    readonly env?: NodeJS.ProcessEnv
    readonly timeoutMs: number
    readonly outputLimit: number
  }
): Promise<Ran> =>
  new Promise((resolve) => {
    const child = ChildProcess.spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    const collect = (chunk: string) => {
      if (output.length < options.outputLimit) output += chunk
    }
    child.stdout.setEncoding("utf8").on("data", collect)
    child.stderr.setEncoding("utf8").on("data", collect)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, options.timeoutMs)
    child.on("error", (error) => {
      clearTimeout(timer)
      resolve({ _tag: "NotStarted", detail: `cannot run ${command}: ${error.message}` })
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ _tag: "Ran", code, signal, output, timedOut })
    })
  })
