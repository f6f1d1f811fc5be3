/**
 * The environment a local function's process gets: Lambda's variables (runtime-api.md §2) on top of the
 * developer's own.
 *
 * @internal
 */
import * as Crypto from "node:crypto"
import * as Path from "node:path"
import { bootstrapPath } from "./FunctionProcess.js"

const logStreamName = (now: Date): string => {
  const day = now.toISOString().slice(0, 10).replaceAll("-", "/")
  return `${day}/[$LATEST]${Crypto.randomBytes(16).toString("hex")}`
}

/** @internal */
export interface EnvironmentOptions {
  readonly entry: string
  readonly functionName: string
  readonly runtimeApi: string
  readonly memoryMb: number
  readonly concurrency: number
  readonly region: string
  readonly base: Readonly<Record<string, string | undefined>>
}

/**
 * Lambda's environment (runtime-api.md §2) on top of `base` (the developer's own variables, credentials…).
 *
 * @internal
 */
export const environment = (options: EnvironmentOptions): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(options.base)) {
    if (value !== undefined) env[name] = value
  }
  delete env.AWS_LAMBDA_MAX_CONCURRENCY
  delete env._X_AMZN_TRACE_ID
  const taskRoot = Path.dirname(options.entry)
  Object.assign(env, {
    AWS_LAMBDA_RUNTIME_API: options.runtimeApi,
    EFFECT_LAMBDA_ENTRY: options.entry,
    _HANDLER: handlerOf(options.entry),
    LAMBDA_TASK_ROOT: taskRoot,
    LAMBDA_RUNTIME_DIR: Path.dirname(bootstrapPath()),
    AWS_LAMBDA_FUNCTION_NAME: options.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${options.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(new Date()),
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_REGION: env.AWS_REGION ?? options.region,
    AWS_DEFAULT_REGION: env.AWS_DEFAULT_REGION ?? env.AWS_REGION ?? options.region,
    TZ: env.TZ ?? ":UTC",
    LANG: env.LANG ?? "en_US.UTF-8"
  })
  if (options.concurrency > 1) env.AWS_LAMBDA_MAX_CONCURRENCY = String(options.concurrency)
  return env
}

/** Lambda's handler setting for an entry file: `<file name without extension>.handler`. @internal */
export const handlerOf = (entry: string): string => `${Path.basename(entry).replace(/\.[^.]+$/, "")}.handler`
