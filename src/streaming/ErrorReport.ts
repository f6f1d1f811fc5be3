/**
 * The one place where an invocation's `Cause` becomes the error report Lambda expects:
 * `{ errorType, errorMessage, stackTrace }` (the body of `/error`, `/init/error`, and of the
 * `Lambda-Runtime-Function-Error-Body` trailer of a streamed reply).
 *
 * Rules:
 * - a typed failure reports its `_tag` (else its `name`, else `Function.Error`) and its `message`, with an empty
 *   `stackTrace`: it is an expected outcome, not a bug, and formatting a stack costs more than the rest of the
 *   report (ask for it with `{ stackTrace: true }`, e.g. in a handler's `mapError`);
 * - a defect reports the thrown value's `name` (for non-`Error` values: `typeof` the value), its
 *   `message` and its stack;
 * - an interruption alone reports {@link InterruptedType};
 * - a handler may supply its own mapping (see {@link Mapper}); returning `undefined` falls back to the rules.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Option from "effect/Option"
import { FunctionError, Interrupted } from "../internal/ErrorTypes.js"

/**
 * The standard Lambda error object.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorReport {
  readonly errorType: string
  readonly errorMessage: string
  readonly stackTrace: ReadonlyArray<string>
}

/**
 * A handler's own mapping from a typed failure to a report. Return `undefined` to use the default rules.
 *
 * @since 0.1.0
 * @category models
 */
export type Mapper<E> = (error: E) => ErrorReport | undefined

/**
 * `errorType` of an invocation that was interrupted (by shutdown, or by something other than its deadline).
 *
 * @since 0.1.0
 * @category constants
 */
export const InterruptedType = Interrupted

/**
 * Build a report from parts.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (errorType: string, errorMessage: string, stackTrace: ReadonlyArray<string> = []): ErrorReport => ({
  errorType,
  errorMessage,
  stackTrace
})

const stackLines = (stack: unknown): ReadonlyArray<string> => {
  if (typeof stack !== "string" || stack.length === 0) return []
  const lines = stack.split("\n")
  const out: Array<string> = []
  for (const line of lines) {
    const trimmed = line.trim()
    if (trimmed.length > 0) out.push(trimmed)
  }
  return out
}

const hasString = (value: unknown, key: string): value is Record<string, string> =>
  typeof value === "object" && value !== null && typeof (value as Record<string, unknown>)[key] === "string"

const messageOf = (value: unknown): string => {
  if (hasString(value, "message")) return value.message
  if (typeof value === "string") return value
  try {
    const json = JSON.stringify(value)
    return json === undefined ? String(value) : json
  } catch {
    return String(value)
  }
}

/**
 * Options of {@link fromFailure} and {@link fromCause}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Put a typed failure's stack (when it has one) into `stackTrace`. Default `false`: a defect's stack is always kept. */
  readonly stackTrace?: boolean | undefined
}

const noStack: ReadonlyArray<string> = []

/**
 * Report for a typed failure `E`: `errorType` is its `_tag`, else its `name`, else `Function.Error`; `stackTrace`
 * is empty unless `options.stackTrace` asks for the failure's stack.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ErrorReport, Handler } from "effect-lambda-runtime"
 *
 * // Typed failures reported with their stack
 * export const handler = Handler.effect((event: unknown) => Effect.fail(new Error(String(event))), {
 *   mapError: (error) => ErrorReport.fromFailure(error, { stackTrace: true })
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromFailure = (error: unknown, options?: Options): ErrorReport => {
  const errorType = hasString(error, "_tag") ? error._tag : hasString(error, "name") ? error.name : FunctionError
  const stack =
    options?.stackTrace === true && typeof error === "object" && error !== null
      ? stackLines((error as { readonly stack?: unknown }).stack)
      : noStack
  return make(errorType, messageOf(error), stack)
}

/**
 * Report for a defect (a thrown value, `Effect.die`): the value's `name` (for a non-`Error`, `typeof` it),
 * its message and its stack.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromDefect = (defect: unknown): ErrorReport => {
  if (defect instanceof Error) {
    return make(defect.name || "Error", defect.message, stackLines(defect.stack))
  }
  if (hasString(defect, "name")) {
    return make(defect.name, messageOf(defect), hasString(defect, "stack") ? stackLines(defect.stack) : [])
  }
  return make(typeof defect, messageOf(defect))
}

/**
 * Classify a whole `Cause`: a typed failure first (through `mapper` when given; else {@link fromFailure} with
 * `options`), then interruption-only, else the first defect.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromCause = <E>(cause: Cause.Cause<E>, mapper?: Mapper<E>, options?: Options): ErrorReport => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const mapped = mapper === undefined ? undefined : safeMap(mapper, failure.value)
    return mapped ?? fromFailure(failure.value, options)
  }
  if (Cause.isInterruptedOnly(cause)) {
    return make(InterruptedType, "The invocation was interrupted before it completed.")
  }
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) return fromDefect(defect.value)
  return fromDefect(Cause.squash(cause))
}

const safeMap = <E>(mapper: Mapper<E>, error: E): ErrorReport | undefined => {
  try {
    return mapper(error)
  } catch (mapperDefect) {
    return fromDefect(mapperDefect)
  }
}

/**
 * The report as JSON bytes, ready for `/error`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const toJson = (report: ErrorReport): string =>
  JSON.stringify({ errorType: report.errorType, errorMessage: report.errorMessage, stackTrace: report.stackTrace })

/**
 * A header-safe form of an error type: every byte outside printable ASCII (CR, LF, other control
 * characters, DEL, non-ASCII) is percent-encoded, so it can travel as a header or trailer value.
 *
 * @since 0.1.0
 * @category encoding
 */
export const headerSafeType = (errorType: string): string => {
  let out = ""
  for (const char of errorType) {
    const code = char.codePointAt(0)!
    if (code < 0x20 || code > 0x7e) {
      for (const byte of Buffer.from(char, "utf8")) out += "%" + byte.toString(16).toUpperCase().padStart(2, "0")
    } else {
      out += char
    }
  }
  return out
}

/**
 * Largest `Lambda-Runtime-Function-XRay-Error-Cause` value sent, in bytes (the platform crops at 64 KiB).
 *
 * @since 0.1.0
 * @category constants
 */
export const MaxXRayErrorCauseBytes = 64 * 1024

interface XRayFrame {
  readonly path: string
  readonly line: number
  readonly label: string
}

const frameOf = (line: string): XRayFrame | undefined => {
  if (!line.startsWith("at ")) return undefined
  const body = line.slice(3)
  const match = /^(.*) \((.*):(\d+):\d+\)$/.exec(body) ?? /^()(.*):(\d+):\d+$/.exec(body)
  if (match === null) return { path: "", line: 0, label: body }
  return { path: match[2]!, line: Number(match[3]), label: match[1] === "" ? "anonymous" : match[1]! }
}

/** JSON with every character outside printable ASCII escaped, so it travels byte-exact as a header value. */
const asciiJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

/**
 * The X-Ray error cause of a report, as sent in `Lambda-Runtime-Function-XRay-Error-Cause` on `/error`:
 * `{"working_directory","exceptions":[{"type","message","stack":[{"path","line","label"}]}],"paths"}`, ASCII-only
 * JSON of at most {@link MaxXRayErrorCauseBytes} bytes (the message is cut to a quarter of that, then stack frames
 * are dropped from the end until it fits).
 *
 * @since 0.1.0
 * @category encoding
 */
export const xrayErrorCause = (report: ErrorReport, workingDirectory: string = process.cwd()): string => {
  const frames: Array<XRayFrame> = []
  for (const line of report.stackTrace) {
    const frame = frameOf(line)
    if (frame !== undefined) frames.push(frame)
  }
  // The message first gets at most a quarter of the budget, the frames what is left.
  let message =
    report.errorMessage.length > MaxXRayErrorCauseBytes / 4
      ? report.errorMessage.slice(0, MaxXRayErrorCauseBytes / 4)
      : report.errorMessage
  const encode = (): string => {
    const paths = Array.from(new Set(frames.map((frame) => frame.path).filter((path) => path !== "")))
    return asciiJson({
      working_directory: workingDirectory,
      exceptions: [{ type: report.errorType, message, stack: frames }],
      paths
    })
  }
  let json = encode()
  while (json.length > MaxXRayErrorCauseBytes && frames.length > 0) {
    frames.length = Math.floor(frames.length / 2)
    json = encode()
  }
  while (json.length > MaxXRayErrorCauseBytes && message.length > 0) {
    message = message.slice(0, Math.floor(message.length / 2))
    json = encode()
  }
  return json.length > MaxXRayErrorCauseBytes ? asciiJson({ exceptions: [] }) : json
}
