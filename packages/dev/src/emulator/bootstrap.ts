/**
 * The process entry of a function run by the local emulator (`LocalFunction`): imports the user's file named
 * by `EFFECT_LAMBDA_ENTRY` and makes sure a Lambda runtime runs.
 *
 * 1. The file starts the runtime itself (`if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(…)`;
 *    `isMain` is true for the file named by `EFFECT_LAMBDA_ENTRY`): nothing more to do.
 * 2. Otherwise its `handler` export (or default export) is a `Handler`: it is run with `LambdaRuntime.runMain`,
 *    with its `layer` export when that is a Layer.
 * 3. Otherwise, or when the import fails, the reason is printed and posted to `/runtime/init/error`
 *    (`Runtime.HandlerNotFound`, `Runtime.UserCodeSyntaxError`, `Runtime.ImportModuleError`, or the thrown
 *    error's name, as Lambda's Node.js runtime reports them), and the process exits with code 1. The report is
 *    made and posted by the runtime's own modules (`ErrorReport`, `NodeRuntimeApi`), as the runtime itself
 *    reports an init error.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Url from "node:url"
import * as ErrorTypes from "./internal/ErrorTypes.js"
import * as ErrorReport from "effect-lambda-runtime/ErrorReport"
import * as Handler from "effect-lambda-runtime/Handler"
import * as LambdaRuntime from "effect-lambda-runtime/LambdaRuntime"
import * as NodeRuntimeApi from "effect-lambda-runtime/NodeRuntimeApi"
import * as RuntimeApi from "effect-lambda-runtime/RuntimeApi"
import * as RuntimeConfig from "effect-lambda-runtime/RuntimeConfig"

/**
 * The environment variable naming the function's entry file (an absolute path).
 *
 * @since 0.1.0
 * @category constants
 */
export const EntryEnv = "EFFECT_LAMBDA_ENTRY"

/** The global flag `LambdaRuntime.runMain` sets (see `src/LambdaRuntime.ts`). */
const runMainCalled = Symbol.for("effect-lambda-runtime/LambdaRuntime/runMain")

const classify = (error: unknown, entry: string): ErrorReport.ErrorReport => {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined
  const report = ErrorReport.fromDefect(error)
  if (error instanceof SyntaxError)
    return ErrorReport.make(ErrorTypes.UserCodeSyntaxError, report.errorMessage, report.stackTrace)
  if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
    return ErrorReport.make(
      ErrorTypes.ImportModuleError,
      `Error: Cannot load ${entry}: ${report.errorMessage}`,
      report.stackTrace
    )
  }
  return report
}

const print = (report: ErrorReport.ErrorReport): void => {
  const detail = report.stackTrace.length > 0 ? `\n    ${report.stackTrace.join("\n    ")}` : ""
  process.stderr.write(
    `${new Date().toISOString()}\tundefined\tERROR\tInit Error: ${report.errorType}: ${report.errorMessage}${detail}\n`
  )
}

/**
 * Post to `/runtime/init/error` with the runtime's own client (`NodeRuntimeApi`); never fails and never waits
 * more than a few seconds (the emulator may be gone).
 */
const reportInitError = (report: ErrorReport.ErrorReport): Promise<void> =>
  Effect.runPromise(
    Effect.flatMap(RuntimeConfig.fromEnv(process.env), (config) =>
      Effect.flatMap(RuntimeApi.RuntimeApi, (api) => api.reportInitError(report)).pipe(
        Effect.provide(NodeRuntimeApi.layer({ host: config.runtimeApiHost, port: config.runtimeApiPort }))
      )
    ).pipe(Effect.timeout("5 seconds"), Effect.ignore)
  )

const fail = async (report: ErrorReport.ErrorReport): Promise<never> => {
  print(report)
  await reportInitError(report)
  process.exit(1)
}

const main = async (): Promise<void> => {
  const entry = process.env[EntryEnv]
  if (entry === undefined || entry === "") {
    return fail(
      ErrorReport.make(ErrorTypes.HandlerNotFound, `${EntryEnv} is not set: it names the function's entry file`)
    )
  }
  let module: Record<string, unknown>
  try {
    module = (await import(Url.pathToFileURL(entry).href)) as Record<string, unknown>
  } catch (error) {
    return fail(classify(error, entry))
  }
  if ((globalThis as { [runMainCalled]?: boolean })[runMainCalled] === true) return
  const handler = [module.handler, module.default].find(Handler.isHandler)
  if (handler === undefined) {
    return fail(
      ErrorReport.make(
        ErrorTypes.HandlerNotFound,
        `${entry} is not a Lambda function: it neither starts the runtime ` +
          "(`if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)`) nor exports a `handler` " +
          "(or a default export) made with Handler.effect or Handler.stream"
      )
    )
  }
  const layer = Layer.isLayer(module.layer) ? (module.layer as Layer.Layer<unknown, unknown>) : undefined
  LambdaRuntime.runMain(handler as Handler.Handler<unknown, unknown>, layer === undefined ? undefined : { layer })
}

void main()
