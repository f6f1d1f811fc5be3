/**
 * An Effect `Logger` that writes the log lines Lambda expects on stdout, one record per line.
 *
 * Text (`AWS_LAMBDA_LOG_FORMAT` unset or `Text`), always four tab-separated fields:
 *
 * ```text
 * 2024-05-01T12:00:00.000Z\t<requestId>\tINFO\tmessage tenantId=t-9 key=value\n
 * ```
 *
 * - the request id is the one of the invocation the logging fiber serves, `-` outside an invocation;
 * - the tenant id (when the invocation has one) and log annotations follow the message as ` key=value`
 *   pairs, tenant id first, annotations in `HashMap` order; a string value with spaces, quotes, `=` or
 *   control characters is JSON-quoted, a non-string value is written as JSON;
 * - a `Cause` follows on the next line(s), as `Cause.pretty` renders it;
 * - every `\n` inside the record becomes `\r`, so one record is one CloudWatch event.
 *
 * JSON (`AWS_LAMBDA_LOG_FORMAT=JSON`), one object per line, fields in this order:
 *
 * ```text
 * {"timestamp":"…","level":"INFO","requestId":"…","tenantId":"…","message":"…","errorType":"…","errorMessage":"…","stackTrace":["…"],"key":"value"}\n
 * ```
 *
 * - `requestId` is `"-"` outside an invocation; `tenantId` is present only when the invocation has one;
 * - `message` is the message as a string; a message that is a single object (not an `Error`) is kept as
 *   a JSON value when it can be serialised;
 * - `errorType`, `errorMessage` and `stackTrace` are present when the logged `Cause` has a failure or a
 *   defect (the same report `/error` would get, see `ErrorReport.fromCause`), else when a message part is
 *   an `Error`;
 * - log annotations become extra fields; an annotation named like one of the fields above is dropped.
 *
 * In both formats message parts are joined by a space: strings as they are, other values as
 * `util.inspect` renders them. Levels: Effect's `Trace`, `Debug`, `Info`, `Warning`, `Error`, `Fatal`
 * are written `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL`; a record at `All` counts as `TRACE`,
 * one at `None` is never written. Spans are not written.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as HashMap from "effect/HashMap"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as DirectLog from "../internal/directLog.js"
import * as InvocationContext from "../services/InvocationContext.js"
import * as RuntimeConfig from "../services/RuntimeConfig.js"
import * as ErrorReport from "../streaming/ErrorReport.js"

// Loaded, not imported: an ES module import of node:util makes Node read every export (and load their modules).
const { inspect } = process.getBuiltinModule("node:util")

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly format: RuntimeConfig.LogFormat
  /** Records below this level are dropped. */
  readonly level: RuntimeConfig.LogLevel
  /** Receives each record as one line ending with `\n`. Defaults to `process.stdout.write`. */
  readonly write?: (line: string) => void
}

const labels: ReadonlyArray<RuntimeConfig.LogLevel> = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]

const rankOfLiteral: { readonly [K in LogLevel.Literal]: number } = {
  All: 0,
  Trace: 0,
  Debug: 1,
  Info: 2,
  Warning: 3,
  Error: 4,
  Fatal: 5,
  None: 6
}

const rankOfLabel: { readonly [K in RuntimeConfig.LogLevel]: number } = {
  TRACE: 0,
  DEBUG: 1,
  INFO: 2,
  WARN: 3,
  ERROR: 4,
  FATAL: 5
}

const effectLevels: { readonly [K in RuntimeConfig.LogLevel]: LogLevel.LogLevel } = {
  TRACE: LogLevel.Trace,
  DEBUG: LogLevel.Debug,
  INFO: LogLevel.Info,
  WARN: LogLevel.Warning,
  ERROR: LogLevel.Error,
  FATAL: LogLevel.Fatal
}

const reservedFields = new Set([
  "timestamp",
  "level",
  "requestId",
  "tenantId",
  "message",
  "errorType",
  "errorMessage",
  "stackTrace"
])

const writeStdout = (line: string): void => {
  process.stdout.write(line)
}

const formatPart = (part: unknown): string => (typeof part === "string" ? part : inspect(part))

const joinParts = (parts: ReadonlyArray<unknown>): string => {
  if (parts.length === 1) return formatPart(parts[0])
  let out = ""
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out += " "
    out += formatPart(parts[i])
  }
  return out
}

const jsonOf = (value: unknown): string => {
  try {
    const json = JSON.stringify(value)
    if (json !== undefined) return json
  } catch {
    // cycles, bigints: fall back to the inspected form
  }
  return JSON.stringify(inspect(value))
}

const needsQuotes = (value: string): boolean => {
  if (value.length === 0) return true
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code <= 0x20 || code === 0x22 || code === 0x3d || code === 0x7f) return true
  }
  return false
}

const textValue = (value: unknown): string => {
  if (typeof value === "string") return needsQuotes(value) ? JSON.stringify(value) : value
  return jsonOf(value)
}

const hasFailureOrDefect = (cause: Cause.Cause<unknown>): boolean => Cause.isFailure(cause) || Cause.isDie(cause)

const errorReportOf = (
  parts: ReadonlyArray<unknown>,
  cause: Cause.Cause<unknown>
): ErrorReport.ErrorReport | undefined => {
  if (hasFailureOrDefect(cause)) return ErrorReport.fromCause(cause)
  for (const part of parts) {
    if (part instanceof Error) return ErrorReport.fromDefect(part)
  }
  return undefined
}

const textRecord = (
  timestamp: string,
  requestId: string,
  tenantId: string | undefined,
  label: string,
  parts: ReadonlyArray<unknown>,
  annotations: HashMap.HashMap<string, unknown>,
  cause: Cause.Cause<unknown>
): string => {
  let body = parts.length === 0 ? "" : joinParts(parts)
  if (tenantId !== undefined) body += (body === "" ? "tenantId=" : " tenantId=") + textValue(tenantId)
  if (HashMap.size(annotations) > 0) {
    for (const [key, value] of annotations) {
      body += (body === "" ? "" : " ") + key + "=" + textValue(value)
    }
  }
  if (!Cause.isEmpty(cause)) body += (body === "" ? "" : "\n") + Cause.pretty(cause)
  const line = timestamp + "\t" + requestId + "\t" + label + "\t" + body
  return (line.includes("\n") ? line.replaceAll("\n", "\r") : line) + "\n"
}

const jsonMessage = (
  parts: ReadonlyArray<unknown>,
  cause: Cause.Cause<unknown>,
  report: ErrorReport.ErrorReport | undefined
): string => {
  if (parts.length === 0) {
    if (report !== undefined) return JSON.stringify(report.errorMessage)
    return Cause.isEmpty(cause) ? `""` : JSON.stringify(Cause.pretty(cause))
  }
  if (parts.length === 1) {
    const part = parts[0]
    if (typeof part === "string") return JSON.stringify(part)
    if (typeof part === "object" && part !== null && !(part instanceof Error)) return jsonOf(part)
  }
  return JSON.stringify(joinParts(parts))
}

const jsonRecord = (
  timestamp: string,
  requestId: string,
  tenantId: string | undefined,
  label: string,
  parts: ReadonlyArray<unknown>,
  annotations: HashMap.HashMap<string, unknown>,
  cause: Cause.Cause<unknown>
): string => {
  const report = errorReportOf(parts, cause)
  let line = `{"timestamp":"${timestamp}","level":"${label}","requestId":${JSON.stringify(requestId)}`
  if (tenantId !== undefined) line += `,"tenantId":${JSON.stringify(tenantId)}`
  line += `,"message":${jsonMessage(parts, cause, report)}`
  if (report !== undefined) {
    line += `,"errorType":${JSON.stringify(report.errorType)},"errorMessage":${JSON.stringify(report.errorMessage)}`
    line += `,"stackTrace":${JSON.stringify(report.stackTrace)}`
  }
  if (HashMap.size(annotations) > 0) {
    for (const [key, value] of annotations) {
      if (!reservedFields.has(key)) line += `,${JSON.stringify(key)}:${jsonOf(value)}`
    }
  }
  return line + "}\n"
}

/**
 * A logger writing Lambda's `Text` or `JSON` log lines (see the module description). Records below
 * `options.level` are dropped before any formatting. The request id and tenant id come from
 * `InvocationContext` service in the logging fiber's context (the runtime provides it to each invocation).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Logger.Logger<unknown, void> => {
  const minimum = rankOfLabel[options.level]
  const write = options.write ?? writeStdout
  const record = options.format === "JSON" ? jsonRecord : textRecord
  const emit: DirectLog.DirectWriter = (logLevel, message, annotations, cause, context, date) => {
    const rank = rankOfLiteral[logLevel._tag]
    if (rank < minimum || rank > 5) return
    const found = Context.getOption(context, InvocationContext.InvocationContext)
    const invocation = found._tag === "Some" ? found.value : undefined
    const tenant = invocation?.tenantId
    write(
      record(
        date.toISOString(),
        invocation === undefined ? "-" : invocation.requestId,
        tenant !== undefined && tenant._tag === "Some" ? tenant.value : undefined,
        labels[rank]!,
        message,
        annotations,
        cause
      )
    )
  }
  // The runtime's own failure lines reach `emit` directly when this is the only logger (internal/directLog.ts).
  return DirectLog.register(
    Logger.make(({ annotations, cause, context, date, logLevel, message }) =>
      emit(
        logLevel,
        Array.isArray(message) ? (message as ReadonlyArray<unknown>) : [message],
        annotations,
        cause,
        FiberRefs.getOrDefault(context, FiberRef.currentContext),
        date
      )
    ),
    emit
  )
}

/**
 * Replace Effect's default logger (and the pretty logger `NodeRuntime.runMain` installs in its place)
 * with a {@link make} logger, and set Effect's minimum log level to `options.level`, so `TRACE` and
 * `DEBUG` records are written when configured (Effect's own default minimum is `Info`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<never> =>
  Layer.mergeAll(
    Logger.replace(Logger.defaultLogger, make(options)),
    Logger.remove(Logger.prettyLoggerDefault),
    Logger.minimumLogLevel(effectLevels[options.level])
  )

/**
 * Run `self` with the {@link make} logger in place of Effect's default (and pretty) logger and the minimum level
 * set: what {@link layer} provides, without building a Layer.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withLogger =
  (options: Options) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locally(
      Effect.locallyWith(self, FiberRef.currentLoggers, (loggers) =>
        HashSet.add(
          HashSet.remove(HashSet.remove(loggers, Logger.defaultLogger), Logger.prettyLoggerDefault),
          make(options)
        )
      ),
      FiberRef.currentMinimumLogLevel,
      effectLevels[options.level]
    )

/**
 * {@link layer} with the format and level read from the `RuntimeConfig` service
 * (`AWS_LAMBDA_LOG_FORMAT`, `AWS_LAMBDA_LOG_LEVEL`), writing to stdout.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromConfig: Layer.Layer<never, never, RuntimeConfig.RuntimeConfig> = Layer.unwrapEffect(
  Effect.map(RuntimeConfig.RuntimeConfig, (settings) => layer({ format: settings.logFormat, level: settings.logLevel }))
)
