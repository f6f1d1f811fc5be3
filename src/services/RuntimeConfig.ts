/**
 * Settings the runtime reads from the environment Lambda sets for it.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Limits from "../internal/Limits.js"

/**
 * Lambda's log formats (`AWS_LAMBDA_LOG_FORMAT`).
 *
 * @since 0.1.0
 * @category models
 */
export type LogFormat = "Text" | "JSON"

/**
 * Lambda's log levels (`AWS_LAMBDA_LOG_LEVEL`), lowest first.
 *
 * @since 0.1.0
 * @category models
 */
export type LogLevel = "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL"

/**
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  /** Host and port of the Runtime API (`AWS_LAMBDA_RUNTIME_API`). */
  readonly runtimeApiHost: string
  readonly runtimeApiPort: number
  readonly functionName: string
  readonly functionVersion: string
  readonly memorySizeMb: number
  readonly logGroupName: string
  readonly logStreamName: string
  readonly logFormat: LogFormat
  readonly logLevel: LogLevel
  /** Number of concurrent `/next` workers (`AWS_LAMBDA_MAX_CONCURRENCY`, default 1). */
  readonly maxConcurrency: number
  /** How long before the deadline an invocation is interrupted (`EFFECT_LAMBDA_DEADLINE_MARGIN_MS`, default 200). */
  readonly deadlineMarginMs: number
  /** Largest streamed reply before it is stopped (`EFFECT_LAMBDA_MAX_STREAMED_BYTES`, default 200,000,000). */
  readonly maxStreamedBytes: number
  /**
   * How long a POST to the Runtime API (a reply, an error report, the end of a streamed reply) waits for its
   * answer before the connection is dropped and the loop goes on (`EFFECT_LAMBDA_ANSWER_TIMEOUT_MS`, default
   * 3000; 0 waits forever).
   */
  readonly answerTimeoutMs: number
  /**
   * Whether each reply and error report carries the next `GET /next` pipelined behind it on its connection (HTTP/1.1
   * pipelining: one write and one round trip fewer per invocation; `EFFECT_LAMBDA_PIPELINE_NEXT`, default `true`;
   * `false` sends `/next` only once the reply is answered, for a Runtime API that cannot serve pipelined requests).
   */
  readonly pipelineNext: boolean
  /**
   * Whether the live runtime registers an internal extension so that Lambda sends it SIGTERM before it shuts
   * the environment down, and the Layers' finalizers run (`EFFECT_LAMBDA_SHUTDOWN_EXTENSION`, default `true`;
   * `false` turns it off).
   */
  readonly shutdownExtension: boolean
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RuntimeConfig extends Context.Tag("effect-lambda-runtime/RuntimeConfig")<RuntimeConfig, Settings>() {}

/**
 * The environment could not be turned into settings. Reported as an init error.
 *
 * @since 0.1.0
 * @category errors
 */
export class RuntimeConfigError extends Data.TaggedError("RuntimeConfigError")<{
  readonly variable: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.variable}: ${this.reason}`
  }
}

const levels: ReadonlyArray<LogLevel> = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]

const parseHostPort = (value: string | undefined): { host: string; port: number } | RuntimeConfigError => {
  const variable = "AWS_LAMBDA_RUNTIME_API"
  if (value === undefined || value.trim() === "") {
    return new RuntimeConfigError({ variable, reason: "is not set; expected host:port of the Lambda Runtime API" })
  }
  const trimmed = value.trim()
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(trimmed)
  const port = match === null ? Number.NaN : Number(match[2])
  if (match === null || !(port > 0 && port < 65536)) {
    return new RuntimeConfigError({
      variable,
      reason: `${JSON.stringify(value)} is not host:port (e.g. 127.0.0.1:9001)`
    })
  }
  const host = match[1]!.startsWith("[") ? match[1]!.slice(1, -1) : match[1]!
  return { host, port }
}

const positiveInt = (
  env: Record<string, string | undefined>,
  variable: string,
  fallback: number
): number | RuntimeConfigError => {
  const raw = env[variable]
  if (raw === undefined || raw.trim() === "") return fallback
  const n = Number(raw.trim())
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) {
    return new RuntimeConfigError({ variable, reason: `${JSON.stringify(raw)} is not a non-negative integer` })
  }
  return n
}

const flag = (
  env: Record<string, string | undefined>,
  variable: string,
  fallback: boolean
): boolean | RuntimeConfigError => {
  const raw = (env[variable] ?? "").trim().toLowerCase()
  if (raw === "") return fallback
  if (raw === "true" || raw === "1" || raw === "on" || raw === "yes") return true
  if (raw === "false" || raw === "0" || raw === "off" || raw === "no") return false
  return new RuntimeConfigError({ variable, reason: `${JSON.stringify(env[variable])} is neither true nor false` })
}

/**
 * Read settings from an environment record. Only `AWS_LAMBDA_RUNTIME_API` is required; a missing or
 * malformed value fails with a {@link RuntimeConfigError} naming the variable. The log format defaults
 * to `Text` and the level to `TRACE` (everything) when unset or unknown, as Lambda's Node runtime does.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromEnv = (env: Record<string, string | undefined>): Effect.Effect<Settings, RuntimeConfigError> =>
  Effect.suspend(() => {
    const api = parseHostPort(env.AWS_LAMBDA_RUNTIME_API)
    if (api instanceof RuntimeConfigError) return Effect.fail(api)
    const concurrency = positiveInt(env, "AWS_LAMBDA_MAX_CONCURRENCY", 1)
    if (concurrency instanceof RuntimeConfigError) return Effect.fail(concurrency)
    const margin = positiveInt(env, "EFFECT_LAMBDA_DEADLINE_MARGIN_MS", 200)
    if (margin instanceof RuntimeConfigError) return Effect.fail(margin)
    const maxStreamed = positiveInt(env, "EFFECT_LAMBDA_MAX_STREAMED_BYTES", Limits.DefaultMaxStreamedBytes)
    if (maxStreamed instanceof RuntimeConfigError) return Effect.fail(maxStreamed)
    const answerTimeout = positiveInt(env, "EFFECT_LAMBDA_ANSWER_TIMEOUT_MS", 3_000)
    if (answerTimeout instanceof RuntimeConfigError) return Effect.fail(answerTimeout)
    const shutdownExtension = flag(env, "EFFECT_LAMBDA_SHUTDOWN_EXTENSION", true)
    if (shutdownExtension instanceof RuntimeConfigError) return Effect.fail(shutdownExtension)
    const pipelineNext = flag(env, "EFFECT_LAMBDA_PIPELINE_NEXT", true)
    if (pipelineNext instanceof RuntimeConfigError) return Effect.fail(pipelineNext)
    const memory = positiveInt(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", 128)
    const format = (env.AWS_LAMBDA_LOG_FORMAT ?? "").trim().toUpperCase() === "JSON" ? "JSON" : "Text"
    const rawLevel = (env.AWS_LAMBDA_LOG_LEVEL ?? "").trim().toUpperCase()
    const logLevel = levels.find((l) => l === rawLevel) ?? "TRACE"
    return Effect.succeed<Settings>({
      runtimeApiHost: api.host,
      runtimeApiPort: api.port,
      functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? "",
      functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION ?? "$LATEST",
      memorySizeMb: memory instanceof RuntimeConfigError ? 128 : memory,
      logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME ?? "",
      logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME ?? "",
      logFormat: format,
      logLevel,
      maxConcurrency: Math.max(1, concurrency),
      deadlineMarginMs: margin,
      maxStreamedBytes: maxStreamed,
      answerTimeoutMs: answerTimeout,
      pipelineNext,
      shutdownExtension
    })
  })

/**
 * Settings from `process.env`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<RuntimeConfig, RuntimeConfigError> = Layer.effect(
  RuntimeConfig,
  Effect.suspend(() => fromEnv(process.env))
)

/**
 * Settings given directly (tests, embedding).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (settings: Partial<Settings>): Layer.Layer<RuntimeConfig> =>
  Layer.succeed(RuntimeConfig, { ...defaults, ...settings })

/**
 * Defaults used by {@link layerWith}.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: Settings = {
  runtimeApiHost: "127.0.0.1",
  runtimeApiPort: 9001,
  functionName: "test-function",
  functionVersion: "$LATEST",
  memorySizeMb: 128,
  logGroupName: "/aws/lambda/test-function",
  logStreamName: "local",
  logFormat: "Text",
  logLevel: "TRACE",
  maxConcurrency: 1,
  deadlineMarginMs: 200,
  maxStreamedBytes: Limits.DefaultMaxStreamedBytes,
  answerTimeoutMs: 3_000,
  pipelineNext: true,
  shutdownExtension: true
}
