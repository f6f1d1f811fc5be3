/**
 * An Effect `Console` over any Node-style console (`new Console({ stdout, stderr })`), so the CLI and the tests
 * can send the emulator's output where they want.
 *
 * @internal
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as NodeConsole from "node:console"
import type * as Stream from "node:stream"

/** @internal */
export const fromUnsafe = (unsafe: Console.UnsafeConsole): Console.Console => ({
  [Console.TypeId]: Console.TypeId,
  assert: (condition: boolean, ...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.assert(condition, ...args)),
  clear: Effect.sync(() => unsafe.clear()),
  count: (label?: string) => Effect.sync(() => unsafe.count(label)),
  countReset: (label?: string) => Effect.sync(() => unsafe.countReset(label)),
  debug: (...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.debug(...args)),
  dir: (item: unknown, options?: unknown) => Effect.sync(() => unsafe.dir(item, options)),
  dirxml: (...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.dirxml(...args)),
  error: (...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.error(...args)),
  group: (options?: { readonly label?: string | undefined; readonly collapsed?: boolean | undefined }) =>
    Effect.sync(() =>
      options?.collapsed === true ? unsafe.groupCollapsed(options.label) : unsafe.group(options?.label)
    ),
  groupEnd: Effect.sync(() => unsafe.groupEnd()),
  info: (...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.info(...args)),
  log: (...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.log(...args)),
  table: (data: unknown, properties?: ReadonlyArray<string>) => Effect.sync(() => unsafe.table(data, properties)),
  time: (label?: string) => Effect.sync(() => unsafe.time(label)),
  timeEnd: (label?: string) => Effect.sync(() => unsafe.timeEnd(label)),
  timeLog: (label?: string, ...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.timeLog(label, ...args)),
  trace: (...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.trace(...args)),
  warn: (...args: ReadonlyArray<unknown>) => Effect.sync(() => unsafe.warn(...args)),
  unsafe
})

/**
 * A console whose `log` and `error` both write to `stream`.
 *
 * @internal
 */
export const to = (stream: Stream.Writable): Console.Console =>
  fromUnsafe(new NodeConsole.Console({ stdout: stream, stderr: stream }))
