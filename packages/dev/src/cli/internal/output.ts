/**
 * Writing to the process's stdout and stderr.
 *
 * @internal
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as NodeConsole from "node:console"

/** @internal */
export const writeOut = (text: string): Effect.Effect<void> => Effect.sync(() => void process.stdout.write(text))

/** @internal */
export const writeErr = (text: string): Effect.Effect<void> => Effect.sync(() => void process.stderr.write(text))

/**
 * Write bytes to stdout and wait until they are handed to the operating system (backpressure for a pipe).
 *
 * @internal
 */
export const stdout = (bytes: Uint8Array): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (process.stdout.write(bytes)) return resume(Effect.void)
    process.stdout.once("drain", () => resume(Effect.void))
  })

/**
 * An Effect `Console` whose every method writes to stderr, so that stdout carries only a command's result.
 *
 * @internal
 */
export const stderrConsole = (): Console.Console => {
  const unsafe = new NodeConsole.Console({ stdout: process.stderr, stderr: process.stderr })
  return {
    [Console.TypeId]: Console.TypeId,
    assert: (condition, ...args) => Effect.sync(() => unsafe.assert(condition, ...args)),
    clear: Effect.sync(() => unsafe.clear()),
    count: (label) => Effect.sync(() => unsafe.count(label)),
    countReset: (label) => Effect.sync(() => unsafe.countReset(label)),
    debug: (...args) => Effect.sync(() => unsafe.debug(...args)),
    dir: (item, options) => Effect.sync(() => unsafe.dir(item, options)),
    dirxml: (...args) => Effect.sync(() => unsafe.dirxml(...args)),
    error: (...args) => Effect.sync(() => unsafe.error(...args)),
    group: (options) =>
      Effect.sync(() =>
        options?.collapsed === true ? unsafe.groupCollapsed(options.label) : unsafe.group(options?.label)
      ),
    groupEnd: Effect.sync(() => unsafe.groupEnd()),
    info: (...args) => Effect.sync(() => unsafe.info(...args)),
    log: (...args) => Effect.sync(() => unsafe.log(...args)),
    table: (data, properties) => Effect.sync(() => unsafe.table(data, properties)),
    time: (label) => Effect.sync(() => unsafe.time(label)),
    timeEnd: (label) => Effect.sync(() => unsafe.timeEnd(label)),
    timeLog: (label, ...args) => Effect.sync(() => unsafe.timeLog(label, ...args)),
    trace: (...args) => Effect.sync(() => unsafe.trace(...args)),
    warn: (...args) => Effect.sync(() => unsafe.warn(...args)),
    unsafe
  }
}

/**
 * A byte count for people.
 *
 * @internal
 */
export const formatBytes = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1024 * 1024)).toFixed(1)} MiB`

const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g")

const wantsColor = (stream: NodeJS.WriteStream): boolean =>
  stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== "dumb"

/**
 * A console for the parser's help: `log` to stdout and `error` to stderr (dropped unless `errors`), without colors
 * unless the stream is a terminal (and `NO_COLOR` is not set), so piped help is plain text.
 *
 * @internal
 */
export const helpConsole = (options: { readonly errors: boolean }): Console.Console => {
  const plain = (stream: NodeJS.WriteStream) => (args: ReadonlyArray<unknown>) => {
    const text = args.map(String).join(" ")
    stream.write(`${wantsColor(stream) ? text : text.replace(ansi, "")}\n`)
  }
  const out = plain(process.stdout)
  const err = options.errors ? plain(process.stderr) : () => {}
  const base = stderrConsole()
  const unsafe: Console.UnsafeConsole = {
    ...base.unsafe,
    log: (...args) => out(args),
    info: (...args) => out(args),
    error: (...args) => err(args),
    warn: (...args) => err(args)
  }
  return {
    ...base,
    log: (...args) => Effect.sync(() => out(args)),
    info: (...args) => Effect.sync(() => out(args)),
    error: (...args) => Effect.sync(() => err(args)),
    warn: (...args) => Effect.sync(() => err(args)),
    unsafe
  }
}
