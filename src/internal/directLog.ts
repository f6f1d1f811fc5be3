/**
 * A shortcut for the runtime's own log lines (one per failed invocation): when the only loggers installed are a
 * `LambdaLogger` logger and Effect's tracer logger with no span to write to, the line is formatted and written
 * directly, as that logger would write it, without Effect's general dispatch (which copies the fiber's whole
 * `FiberRefs` for every record). In every other case — another logger added, a span open, no `LambdaLogger` —
 * the caller logs through Effect as usual, so what is written never depends on the shortcut.
 *
 * @internal
 */
import type * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import type * as HashMap from "effect/HashMap"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Tracer from "effect/Tracer"

/** Writes one record exactly as the registered logger's `log` would, given the fiber's current context. */
export type DirectWriter = (
  logLevel: LogLevel.LogLevel,
  message: ReadonlyArray<unknown>,
  annotations: HashMap.HashMap<string, unknown>,
  cause: Cause.Cause<unknown>,
  context: Context.Context<never>,
  date: Date
) => void

const writers = new WeakMap<Logger.Logger<unknown, void>, DirectWriter>()

/** @internal */
export const register = (logger: Logger.Logger<unknown, void>, writer: DirectWriter): Logger.Logger<unknown, void> => {
  writers.set(logger, writer)
  return logger
}

/** What a set of loggers allows: the registered writer, if no other logger writes; whether Effect's tracer logger is in. */
interface Scan {
  readonly writer: DirectWriter | undefined
  readonly tracer: boolean
}

const noWriter: Scan = { writer: undefined, tracer: false }

const scan = (loggers: Iterable<Logger.Logger<unknown, unknown>>): Scan => {
  let writer: DirectWriter | undefined
  let tracer = false
  for (const logger of loggers) {
    const found = writers.get(logger as Logger.Logger<unknown, void>)
    if (found !== undefined && writer === undefined) writer = found
    else if (logger === Logger.tracerLogger) tracer = true
    else return noWriter
  }
  return { writer, tracer }
}

/** The last set of loggers scanned (the same set, by identity, on every invocation unless a program changes it). */
let lastLoggers: unknown
let lastScan: Scan = noWriter

/** The registered writer when it is the only logger that would write this record, else `undefined`. */
const soleWriter = (fiber: Fiber.RuntimeFiber<unknown, unknown>): DirectWriter | undefined => {
  const loggers = fiber.getFiberRef(FiberRef.currentLoggers)
  if (loggers !== lastLoggers) {
    lastScan = scan(loggers)
    lastLoggers = loggers
  }
  // Effect's tracer logger writes only to the current span: without one it does nothing.
  if (lastScan.tracer && Context.getOption(fiber.currentContext, Tracer.ParentSpan)._tag === "Some") return undefined
  return lastScan.writer
}

/**
 * Log `message` (and `cause`) at `level` directly when the shortcut applies (see the module description);
 * `false` when the caller must log through Effect.
 *
 * @internal
 */
export const tryLog = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  level: LogLevel.LogLevel,
  message: string,
  cause: Cause.Cause<unknown>
): boolean => {
  const writer = soleWriter(fiber)
  if (writer === undefined) return false
  if (LogLevel.greaterThan(fiber.getFiberRef(FiberRef.currentMinimumLogLevel), level)) return true
  const clock = Context.get(fiber.getFiberRef(DefaultServices.currentServices), Clock.Clock)
  writer(
    level,
    [message],
    fiber.getFiberRef(FiberRef.currentLogAnnotations),
    cause,
    fiber.currentContext,
    new Date(clock.unsafeCurrentTimeMillis())
  )
  return true
}
