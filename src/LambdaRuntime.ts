/**
 * Run a handler as the Lambda runtime of this process.
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Handler, LambdaRuntime } from "effect-lambda-runtime"
 *
 * export const handler = Handler.effect((event) => Effect.succeed(event))
 *
 * if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
 * ```
 *
 * What `runMain` does:
 * 1. reads the settings from the environment (a missing or malformed `AWS_LAMBDA_RUNTIME_API` is printed
 *    as a clear init error, exit code 1);
 * 2. builds the handler's Layer once (a failure is posted to `/runtime/init/error`, exit code 1);
 * 3. serves invocations until the Runtime API breaks (exit code 1) or SIGTERM/SIGINT (finalizers run,
 *    Layer releases included, bounded by `EFFECT_LAMBDA_SHUTDOWN_TIMEOUT_MS`, default 500; exit code 0);
 * 4. an exception thrown or a promise rejected outside any Effect is reported for the invocation in flight
 *    (or as an init error before the first invocation), then the process exits (129 / 128), as Lambda's
 *    Node.js runtime does.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import type * as Handler from "./handler/Handler.js"
import { UnhandledPromiseRejection } from "./internal/ErrorTypes.js"
import * as ShutdownExtension from "./internal/ShutdownExtension.js"
import * as Snapshot from "./internal/snapshot.js"
import * as WarmUpApi from "./internal/WarmUpApi.js"
import * as LambdaLogger from "./layers/LambdaLogger.js"
import * as NodeRuntimeApi from "./layers/NodeRuntimeApi.js"
import * as InvocationContext from "./services/InvocationContext.js"
import * as ResponseSink from "./services/ResponseSink.js"
import * as RuntimeApi from "./services/RuntimeApi.js"
import * as RuntimeConfig from "./services/RuntimeConfig.js"
import * as RuntimeLoop from "./services/RuntimeLoop.js"
import * as ErrorReport from "./streaming/ErrorReport.js"

// Loaded, not imported: an ES module import of a built-in makes Node read every export (node:fs's `promises`
// loads fs/promises).
const FileSystem = process.getBuiltinModule("node:fs")
const Url = process.getBuiltinModule("node:url")

/**
 * The runtime's own services on the live transport, from the environment.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<
  RuntimeLoop.RuntimeLoop | ResponseSink.ResponseSink | RuntimeApi.RuntimeApi | RuntimeConfig.RuntimeConfig,
  RuntimeConfig.RuntimeConfigError
> = RuntimeLoop.layer.pipe(
  Layer.provideMerge(ResponseSink.layer),
  Layer.provideMerge(NodeRuntimeApi.layerConfig),
  Layer.provideMerge(RuntimeConfig.layer)
)

/**
 * The handler's Layer failed to build. It has been logged and posted to `/runtime/init/error`.
 *
 * @since 0.1.0
 * @category errors
 */
export class InitError extends Data.TaggedError("InitError")<{ readonly report: ErrorReport.ErrorReport }> {
  override get message(): string {
    return `init failed: ${this.report.errorType}: ${this.report.errorMessage}`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<R, E> {
  /** What the handler needs, built once before the first invocation. */
  readonly layer?: Layer.Layer<R, E>
}

const shutdownBudgetMs = (): number => {
  const raw = Number(process.env.EFFECT_LAMBDA_SHUTDOWN_TIMEOUT_MS)
  return Number.isFinite(raw) && raw >= 0 ? raw : 500
}

/**
 * Whether the module owning `meta` is the process's entry point (`node file.js`, `tsx file.ts`, a bundle), or
 * the function entry named by `EFFECT_LAMBDA_ENTRY` (set by the `effect-lambda` CLI's bootstrap, which imports
 * the user's file). Lets one file both export its handler (for tests) and run it.
 *
 * In a bundle all modules share the bundle's `import.meta.url`, so this is true in each of them; {@link runMain}
 * makes that harmless (only the entry module's call runs).
 *
 * @since 0.1.0
 * @category utils
 */
export const isMain = (meta: { readonly url: string }): boolean => {
  const entries = [process.argv[1], process.env.EFFECT_LAMBDA_ENTRY]
  let self: string
  try {
    self = FileSystem.realpathSync(Url.fileURLToPath(meta.url))
  } catch {
    return false
  }
  return entries.some((entry) => {
    if (entry === undefined || entry === "") return false
    try {
      return self === FileSystem.realpathSync(entry)
    } catch {
      return false
    }
  })
}

/** Set on `globalThis` by `runMain`, so a bootstrap that imported the user's file knows the runtime started. */
const runMainCalled: unique symbol = Symbol.for("effect-lambda-runtime/LambdaRuntime/runMain")

/**
 * The whole runtime as one Effect: init, serve, shut down. Fails with the reason it stopped.
 *
 * @since 0.1.0
 * @category constructors
 */
export const program = <E, R, LE>(
  handler: Handler.Handler<E, R>,
  options?: Options<R, LE>
): Effect.Effect<never, unknown, RuntimeLoop.RuntimeLoop | RuntimeApi.RuntimeApi> =>
  Effect.gen(function* () {
    const api = yield* RuntimeApi.RuntimeApi
    const loop = yield* RuntimeLoop.RuntimeLoop
    const userScope = yield* Scope.make()
    const budget = shutdownBudgetMs()
    yield* Effect.addFinalizer((exit) =>
      Scope.close(userScope, exit).pipe(
        Effect.disconnect,
        Effect.timeoutOption(budget),
        Effect.flatMap((done) =>
          done._tag === "None"
            ? Effect.logWarning(`Shutdown: finalizers still running after ${budget} ms`)
            : Effect.void
        )
      )
    )
    const userLayer = options?.layer as Layer.Layer<R, LE> | undefined
    const context = yield* (
      userLayer === undefined
        ? Effect.succeed(Context.empty() as Context.Context<R>)
        : Layer.buildWithScope(userLayer, userScope)
    ).pipe(
      Effect.catchAllCause((cause) => {
        const report = ErrorReport.fromCause(cause)
        return Effect.logError(`Init Error: ${report.errorType}: ${report.errorMessage}`, cause).pipe(
          Effect.zipRight(Effect.ignore(api.reportInitError(report))),
          Effect.zipRight(Effect.fail(new InitError({ report })))
        )
      })
    )
    const runtime = yield* Effect.runtime<never>()
    yield* Effect.acquireRelease(
      Effect.sync(() => installCrashHandlers(runtime, api, loop)),
      (uninstall) => Effect.sync(uninstall)
    )
    return yield* Effect.provide(loop.run(handler), context)
  }).pipe(Effect.scoped)

const installCrashHandlers = (
  runtime: Runtime.Runtime<never>,
  api: RuntimeApi.Service,
  loop: RuntimeLoop.Service
): (() => void) => {
  let crashing = false
  const crash = (report: ErrorReport.ErrorReport, label: string, cause: unknown, code: number) => {
    if (crashing) return
    crashing = true
    const inFlight = loop.inFlight()
    const post =
      inFlight.length === 0
        ? Effect.void
        : Effect.forEach(inFlight, (invocation) => api.reportError(invocation, report), { discard: true })
    const exitSoon = setTimeout(() => process.exit(code), 2_000)
    const log = Effect.logFatal(`${label}: ${report.errorType}: ${report.errorMessage}`, Cause.die(cause))
    // Logged once per invocation in flight, under its request id (or once under `-` outside any invocation).
    const logs =
      inFlight.length === 0
        ? log
        : Effect.forEach(
            inFlight,
            (invocation) => {
              const context = InvocationContext.fromHeaders(invocation.requestId, invocation.headers)
              return context instanceof InvocationContext.MalformedInvocation
                ? log
                : Effect.provideService(log, InvocationContext.InvocationContext, context)
            },
            { discard: true }
          )
    Runtime.runCallback(runtime)(Effect.zipRight(logs, Effect.ignore(post)), {
      onExit: () => {
        clearTimeout(exitSoon)
        process.exit(code)
      }
    })
  }
  const onException = (error: unknown) => crash(ErrorReport.fromDefect(error), "Uncaught Exception", error, 129)
  const onRejection = (reason: unknown) => {
    const base = ErrorReport.fromDefect(reason)
    crash(
      ErrorReport.make(UnhandledPromiseRejection, `${base.errorType}: ${base.errorMessage}`, base.stackTrace),
      "Unhandled Promise Rejection",
      reason,
      128
    )
  }
  process.on("uncaughtException", onException)
  process.on("unhandledRejection", onRejection)
  return () => {
    process.off("uncaughtException", onException)
    process.off("unhandledRejection", onRejection)
  }
}

/** Shared by every copy of this module in the process (a bundle may hold two). */
interface Registry {
  pending: Array<{ readonly site: string; readonly start: (fromSnapshot: boolean) => void }>
  started: string | undefined
}
const registryKey: unique symbol = Symbol.for("effect-lambda-runtime/LambdaRuntime/registry")
const registry = (): Registry => {
  const holder = globalThis as { [registryKey]?: Registry }
  let registry = holder[registryKey]
  if (registry === undefined) {
    registry = { pending: [], started: undefined }
    holder[registryKey] = registry
  }
  return registry
}

/** Where `runMain` was called from: the first stack frame outside this module. */
const callSite = (): string => {
  const lines = (new Error().stack ?? "").split("\n").slice(1)
  const own = lines[0] ?? ""
  const file = /\((.*):\d+:\d+\)$|at (.*):\d+:\d+$/.exec(own.trim())
  const self = file?.[1] ?? file?.[2]
  for (const line of lines) {
    const trimmed = line.trim()
    if (self === undefined || !trimmed.includes(self)) return trimmed.replace(/^at /, "")
  }
  // Everything is one file (a bundle): the caller is the frame after runMain's own two.
  return (lines[2] ?? lines[lines.length - 1] ?? "unknown").trim().replace(/^at /, "")
}

/**
 * Run `handler` as this process's Lambda runtime. Never returns; the process exits as described in the
 * module documentation.
 *
 * One process runs one runtime. In a bundle every module shares one `import.meta.url`, so
 * `isMain(import.meta)` is true in every module and a function file that imports another one calls `runMain`
 * twice while the bundle loads. The runtime therefore starts on the next turn of the event loop, once the
 * modules are evaluated, with the handler of the last `runMain` call (the entry module is evaluated after
 * what it imports); the calls it ignores are logged with both call sites. A `runMain` after the runtime
 * started is an error: it is logged, naming both call sites, and ignored.
 *
 * In a process that builds a V8 startup snapshot (`node --build-snapshot`, what `effect-lambda build --snapshot`
 * runs) the runtime does not start: it starts in each process started from the snapshot (`node --snapshot-blob`),
 * with Effect's default `Random` and `Clock` renewed there (those of the build would be shared by every process).
 *
 * @since 0.1.0
 * @category running
 */
export const runMain = <E, R, LE>(handler: Handler.Handler<E, R>, options?: Options<R, LE>): void => {
  ;(globalThis as { [runMainCalled]?: boolean })[runMainCalled] = true
  const site = callSite()
  const state = registry()
  if (state.started !== undefined) {
    process.stderr.write(
      `effect-lambda-runtime: runMain called at ${site}, but the runtime already runs (started by runMain at ` +
        `${state.started}). One process runs one runtime: this call is ignored.\n`
    )
    return
  }
  state.pending.push({ site, start: (fromSnapshot) => start(handler, options, fromSnapshot) })
  if (state.pending.length > 1) return
  // Inside a startup snapshot build, the runtime starts in each process started from the snapshot instead.
  if (Snapshot.isBuilding()) Snapshot.onStart(() => startChosen(state, true))
  else setImmediate(() => startChosen(state, false))
}

const startChosen = (state: Registry, fromSnapshot: boolean): void => {
  const calls = state.pending
  state.pending = []
  const chosen = calls[calls.length - 1]!
  state.started = chosen.site
  if (calls.length > 1) {
    process.stderr.write(
      `effect-lambda-runtime: runMain was called ${calls.length} times while the modules loaded ` +
        `(${calls.map((call) => call.site).join("; ")}). In a bundle every module's isMain(import.meta) is true; ` +
        `only the last call, the entry module's, runs: ${chosen.site}.\n`
    )
  }
  chosen.start(fromSnapshot)
}

/** The runtime for the settings in `env`: init, serve until interrupted, shut down. Logs its own failures. */
const serve = <E, R, LE>(
  handler: Handler.Handler<E, R>,
  options: Options<R, LE> | undefined,
  env: Record<string, string | undefined>
): Effect.Effect<never, unknown> => {
  const main = Effect.suspend(() => {
    const settings = RuntimeConfig.fromEnv(env)
    return Effect.matchCauseEffect(settings, {
      onFailure: (cause) => {
        const error = Cause.squash(cause)
        return Effect.zipRight(
          Effect.logFatal(`Init Error: ${error instanceof Error ? error.message : String(error)}`),
          Effect.failCause(cause)
        ).pipe(Effect.provide(LambdaLogger.layer({ format: "Text", level: "INFO" })))
      },
      onSuccess: (config) => {
        // The runtime's own services are built by direct calls (no Layer graph to evaluate at start).
        const served = Effect.flatMap(
          NodeRuntimeApi.make({
            host: config.runtimeApiHost,
            port: config.runtimeApiPort,
            answerTimeoutMs: config.answerTimeoutMs,
            pipelineNext: config.pipelineNext
          }),
          (api) => {
            const sink = ResponseSink.make(api, { maxStreamedBytes: config.maxStreamedBytes })
            const loop = RuntimeLoop.make(api, sink, config)
            return Effect.zipRight(
              config.shutdownExtension
                ? ShutdownExtension.register({
                    host: config.runtimeApiHost,
                    port: config.runtimeApiPort,
                    answerTimeoutMs: config.answerTimeoutMs
                  })
                : Effect.void,
              program(handler, options)
            ).pipe(
              Effect.provideService(RuntimeApi.RuntimeApi, api),
              Effect.provideService(ResponseSink.ResponseSink, sink),
              Effect.provideService(RuntimeLoop.RuntimeLoop, loop),
              Effect.provideService(RuntimeConfig.RuntimeConfig, config)
            )
          }
        )
        return Effect.scoped(served).pipe(
          Effect.tapErrorCause((cause) =>
            Cause.isInterruptedOnly(cause) || Option.exists(Cause.failureOption(cause), (e) => e instanceof InitError)
              ? Effect.void
              : Effect.logFatal("Runtime stopped", cause)
          ),
          LambdaLogger.withLogger({ format: config.logFormat, level: config.logLevel })
        )
      }
    })
  })
  return Effect.zipRight(FiberRef.set(FiberRef.unhandledErrorLogLevel, Option.none()), main) as Effect.Effect<
    never,
    unknown
  >
}

const start = <E, R, LE>(
  handler: Handler.Handler<E, R>,
  options: Options<R, LE> | undefined,
  fromSnapshot: boolean
): void => {
  const main = serve(handler, options, process.env)
  runProcess(fromSnapshot ? Snapshot.withFreshServices(main) : main)
}

/**
 * Serve `invocations` invocations of `handler` through the runtime's live path, then stop: the same start, socket
 * transport, loop and replies as `runMain`, against a Runtime API of its own on 127.0.0.1 (each event is a small
 * JSON object, each reply is discarded). Nothing is left open when the promise resolves.
 *
 * It is what a V8 startup snapshot build runs (`effect-lambda build --snapshot`) so that the code the runtime runs
 * for every invocation is compiled before the snapshot is taken: a process started from the snapshot then does not
 * compile it again on its first invocation.
 *
 * @since 0.1.0
 * @category running
 */
export const warmUp = async <E>(handler: Handler.Handler<E, never>, invocations = 20): Promise<void> => {
  const api = await WarmUpApi.start(invocations)
  const env = {
    AWS_LAMBDA_RUNTIME_API: api.address,
    EFFECT_LAMBDA_SHUTDOWN_EXTENSION: "false",
    AWS_LAMBDA_LOG_LEVEL: "FATAL"
  }
  const fiber = Effect.runFork(serve(handler, undefined, env))
  try {
    await api.served
  } finally {
    await Effect.runPromise(Fiber.interrupt(fiber))
    await api.close()
  }
}

/**
 * The process glue: run the runtime's fiber; SIGTERM/SIGINT interrupt it (so every finalizer runs) and the
 * process exits 0; a failure other than an interruption exits 1. The runtime logs its own failures.
 */
const runProcess = (effect: Effect.Effect<never, unknown>): void => {
  const fiber = Effect.runFork(effect)
  let signalled = false
  const onSignal = () => {
    signalled = true
    stopListening()
    fiber.unsafeInterruptAsFork(fiber.id())
  }
  const stopListening = () => {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  fiber.addObserver((exit) => {
    stopListening()
    const code = Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause) ? 1 : 0
    if (signalled || code !== 0) process.exit(code)
  })
}

/**
 * Run a handler on Lambda's managed Node.js runtime (`nodejs22.x`, `nodejs24.x`) instead of this runtime's own
 * loop: `export const handler = await LambdaRuntime.toHandler(handler, { layer })`. See `ManagedRuntime`.
 *
 * @since 0.1.0
 * @category running
 */
export { toHandler } from "./ManagedRuntime.js"
