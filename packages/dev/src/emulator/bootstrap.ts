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
 *    error's name, as Lambda's Node.js runtime reports them), and the process exits with code 1.
 *
 * @since 0.1.0
 */
import * as Layer from "effect/Layer"
import * as Http from "node:http"
import * as Url from "node:url"
import * as Handler from "effect-lambda-runtime/Handler"
import * as LambdaRuntime from "effect-lambda-runtime/LambdaRuntime"

/**
 * The environment variable naming the function's entry file (an absolute path).
 *
 * @since 0.1.0
 * @category constants
 */
export const EntryEnv = "EFFECT_LAMBDA_ENTRY"

/** The global flag `LambdaRuntime.runMain` sets (see `src/LambdaRuntime.ts`). */
const runMainCalled = Symbol.for("effect-lambda-runtime/LambdaRuntime/runMain")

interface Failure {
  readonly errorType: string
  readonly errorMessage: string
  readonly stackTrace: ReadonlyArray<string>
}

const stackOf = (error: unknown): ReadonlyArray<string> =>
  error instanceof Error && typeof error.stack === "string"
    ? error.stack
        .split("\n")
        .slice(1)
        .map((l) => l.trim())
    : []

const classify = (error: unknown, entry: string): Failure => {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof SyntaxError) {
    return { errorType: "Runtime.UserCodeSyntaxError", errorMessage: `${message}`, stackTrace: stackOf(error) }
  }
  if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
    return {
      errorType: "Runtime.ImportModuleError",
      errorMessage: `Error: Cannot load ${entry}: ${message}`,
      stackTrace: stackOf(error)
    }
  }
  return {
    errorType: error instanceof Error ? error.name : typeof error,
    errorMessage: message,
    stackTrace: stackOf(error)
  }
}

const print = (failure: Failure): void => {
  const detail = failure.stackTrace.length > 0 ? `\n    ${failure.stackTrace.join("\n    ")}` : ""
  process.stderr.write(
    `${new Date().toISOString()}\tundefined\tERROR\tInit Error: ${failure.errorType}: ${failure.errorMessage}${detail}\n`
  )
}

/** Post to `/runtime/init/error`; never fails (the emulator may be gone). */
const reportInitError = (failure: Failure): Promise<void> =>
  new Promise((resolve) => {
    const api = process.env.AWS_LAMBDA_RUNTIME_API ?? ""
    const colon = api.lastIndexOf(":")
    if (colon <= 0) return resolve()
    const body = Buffer.from(JSON.stringify(failure), "utf8")
    const request = Http.request(
      {
        host: api.slice(0, colon),
        port: Number(api.slice(colon + 1)),
        method: "POST",
        path: "/2018-06-01/runtime/init/error",
        headers: {
          "content-type": "application/json",
          "content-length": String(body.length),
          "lambda-runtime-function-error-type": failure.errorType.replace(/[^\x20-\x7e]/g, "?")
        }
      },
      (response) => {
        response.resume()
        response.on("end", () => resolve())
        response.on("error", () => resolve())
      }
    )
    request.on("error", () => resolve())
    request.end(body)
  })

const fail = async (failure: Failure): Promise<never> => {
  print(failure)
  await reportInitError(failure)
  process.exit(1)
}

const main = async (): Promise<void> => {
  const entry = process.env[EntryEnv]
  if (entry === undefined || entry === "") {
    return fail({
      errorType: "Runtime.HandlerNotFound",
      errorMessage: `${EntryEnv} is not set: it names the function's entry file`,
      stackTrace: []
    })
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
    return fail({
      errorType: "Runtime.HandlerNotFound",
      errorMessage:
        `${entry} is not a Lambda function: it neither starts the runtime ` +
        "(`if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)`) nor exports a `handler` " +
        "(or a default export) made with Handler.effect or Handler.stream",
      stackTrace: []
    })
  }
  const layer = Layer.isLayer(module.layer) ? (module.layer as Layer.Layer<unknown, unknown>) : undefined
  LambdaRuntime.runMain(handler as Handler.Handler<unknown, unknown>, layer === undefined ? undefined : { layer })
}

void main()
