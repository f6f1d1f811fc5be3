/**
 * The body of `effect-lambda dev`: start the function, serve it with the emulator, print the banner, report
 * readiness, restart on changes with `--watch`, and run until interrupted (Ctrl-C).
 *
 * A function whose init fails does not end the command: the init error is printed and the emulator keeps serving
 * (each request answers with the init error; the next request, or a `--watch` restart, tries init again). An entry
 * with a syntax error is reported once, before the banner, and is not started until it parses.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import * as FileSystem from "node:fs"
import * as Path from "node:path"
import * as Emulator from "../../emulator/Emulator.js"
import * as ErrorTypes from "../../emulator/internal/ErrorTypes.js"
import * as LocalFunction from "../../emulator/LocalFunction.js"
import { banner } from "./banner.js"
import { CliExit, Code } from "./exit.js"
import * as GuardedFunction from "./guardedFunction.js"
import * as CliOptions from "./options.js"
import { writeErr, writeOut } from "./output.js"
import * as Syntax from "./syntax.js"

/** @internal */
export interface DevOptions extends CliOptions.Common {
  readonly port: Option.Option<number>
  readonly stream: boolean
  readonly watch: boolean
  readonly concurrency: Option.Option<number>
  readonly tries: ReadonlyArray<string>
}

const describeInitError = (entry: string, error: LocalFunction.FunctionError): string =>
  error.errorType === ErrorTypes.HandlerNotFound
    ? `${entry} is not a Lambda function: ${error.errorMessage.replace(/^.*? is not a Lambda function: /, "")}`
    : `${entry} failed to start: ${error.errorType}: ${error.errorMessage}`

const isWatched = (file: string): boolean =>
  /\.(?:[cm]?[jt]s|tsx|jsx|json)$/.test(file) && !/(?:^|[/\\])(?:node_modules|\.git|dist)(?:[/\\]|$)/.test(file)

const showSyntaxProblem = (problem: Syntax.SyntaxProblem) => writeErr(`✗ ${problem.text}\n`)

/** @internal */
export const run = (program: string, options: DevOptions): Effect.Effect<void, CliExit> =>
  Effect.gen(function* () {
    const { entry, watch } = options
    const stillServing = watch
      ? "each request answers with this error; saving a fix restarts the function"
      : "each request answers with this error and tries to start the function again"
    const initial = yield* Syntax.check(entry)
    if (Option.isSome(initial)) yield* showSyntaxProblem(initial.value)
    const guarded = yield* GuardedFunction.make(
      CliOptions.functionOptions(options, Option.getOrUndefined(options.concurrency)),
      initial,
      showSyntaxProblem
    )
    const fn = guarded.service
    const emulator = yield* Emulator.make({
      ...Option.match(options.port, { onNone: () => ({}), onSome: (port) => ({ port }) }),
      functionUrl: options.stream ? "streamed" : "buffered"
    }).pipe(Effect.provideService(LocalFunction.LocalFunction, fn))
    yield* writeOut(banner(program, fn, emulator, options.tries, watch))

    const reportReady = Effect.gen(function* () {
      const startedAt = Date.now()
      const readiness = yield* fn.ready
      const seconds = ((Date.now() - startedAt) / 1000).toFixed(1)
      switch (readiness._tag) {
        case "Ready":
          return yield* writeOut(
            `✓ ${fn.functionName} is ready (started in ${seconds} s, pid ${readiness.pid}). Ctrl-C stops.\n`
          )
        case "InitError":
          if (readiness.error.errorType === GuardedFunction.SyntaxErrorType) {
            return yield* writeErr(
              `✗ ${fn.functionName} does not start until the syntax error above is fixed: ${stillServing}.\n`
            )
          }
          return yield* writeErr(
            `✗ ${describeInitError(entry, readiness.error)}\n  ${program} dev keeps serving: ${stillServing}.\n`
          )
        case "Exited":
          return yield* writeErr(
            `✗ ${entry} exited during init (${readiness.description})\n  ${program} dev keeps serving: ${stillServing}.\n`
          )
      }
    })
    yield* reportReady

    if (watch) {
      const directory = Path.dirname(fn.entry)
      const runFork = yield* FiberSet.makeRuntime<never>()
      let timer: NodeJS.Timeout | undefined
      let changed: string | undefined
      const restart = Effect.gen(function* () {
        yield* writeOut(`· ${changed ?? "a file"} changed: restarting ${fn.functionName}\n`)
        yield* fn.restart
        yield* reportReady
      })
      yield* Effect.acquireRelease(
        Effect.sync(() =>
          FileSystem.watch(directory, { recursive: true }, (_event, file) => {
            if (file === null || !isWatched(file)) return
            changed = Path.join(Path.relative(process.cwd(), directory), file)
            if (timer !== undefined) clearTimeout(timer)
            timer = setTimeout(() => runFork(restart), 150)
          })
        ),
        (watcher) =>
          Effect.sync(() => {
            if (timer !== undefined) clearTimeout(timer)
            watcher.close()
          })
      )
    }
    return yield* Effect.never
  }).pipe(
    Effect.scoped,
    Effect.catchTags({
      LocalFunctionError: (error) =>
        Effect.fail(new CliExit({ code: Code.usage, message: `${program} dev: ${error.message}\n` })),
      EmulatorError: (error) =>
        Effect.fail(
          new CliExit({
            code: Code.usage,
            message:
              error.reason === "PortInUse"
                ? `${program} dev: port ${error.port} is already in use (another ${program} dev?). Choose another with --port, or --port 0 for any free port.\n`
                : `${program} dev: ${error.message}\n`
          })
        )
    })
  )
