/**
 * The local function behind `effect-lambda dev`, guarded by the syntax check of its entry: while the entry does not
 * parse, no process is started (its init could only fail with the same error), every invocation answers Lambda's
 * `Runtime.UserCodeSyntaxError`, and each invocation or restart checks the entry again; once it parses, the real
 * `LocalFunction` starts and takes over.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Crypto from "node:crypto"
import * as Path from "node:path"
import * as ErrorTypes from "../../emulator/internal/ErrorTypes.js"
import * as LocalFunction from "../../emulator/LocalFunction.js"
import * as Syntax from "./syntax.js"

/** @internal */
export interface GuardedFunction {
  readonly service: LocalFunction.Service
  /** What keeps the function from starting (a syntax error), if anything. */
  readonly problem: Effect.Effect<Option.Option<Syntax.SyntaxProblem>>
}

/** The error type Lambda's Node.js runtime reports for an entry that does not parse. */
export const SyntaxErrorType = ErrorTypes.UserCodeSyntaxError

/** Why the function cannot start: a syntax error, or (rarely) the function's options, e.g. an entry deleted since. */
interface Problem extends Syntax.SyntaxProblem {
  readonly errorType: string
}

const functionError = (problem: Problem): LocalFunction.FunctionError => ({
  errorType: problem.errorType,
  errorMessage: problem.message,
  payload: new TextEncoder().encode(JSON.stringify({ errorType: problem.errorType, errorMessage: problem.message }))
})

const notRunning: Problem = { errorType: ErrorTypes.Unknown, text: "", message: "the function is not running" }

const asProblem = (syntax: Option.Option<Syntax.SyntaxProblem>): Option.Option<Problem> =>
  Option.map(syntax, (found) => ({ ...found, errorType: SyntaxErrorType }))

const defaultName = (entry: string): string =>
  Path.basename(entry)
    .replace(/\.[^.]+$/, "")
    .replace(/[^A-Za-z0-9_-]+/g, "-")
    .slice(0, 64) || "function"

/**
 * Start the function in the current scope unless `initial` (the entry's syntax check) found an error.
 * `onProblem` is called with a syntax error found later (at a restart), once per restart.
 *
 * @internal
 */
export const make = (
  options: LocalFunction.Options,
  initial: Option.Option<Syntax.SyntaxProblem>,
  onProblem: (problem: Syntax.SyntaxProblem) => Effect.Effect<void>
): Effect.Effect<GuardedFunction, LocalFunction.LocalFunctionError, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const lock = yield* Effect.makeSemaphore(1)
    let real: LocalFunction.Service | undefined
    let problem = asProblem(initial)
    const startReal = LocalFunction.make(options).pipe(
      Scope.extend(scope),
      Effect.tap((fn) =>
        Effect.sync(() => {
          real = fn
        })
      )
    )
    if (Option.isNone(problem)) yield* startReal

    const name = options.functionName ?? defaultName(options.entry)
    const fallback = {
      functionName: name,
      entry: Path.resolve(options.entry),
      timeoutMs: options.timeoutMs ?? LocalFunction.Defaults.timeoutMs,
      concurrency: options.concurrency ?? LocalFunction.Defaults.concurrency,
      functionArn: `arn:aws:lambda:${options.region ?? LocalFunction.Defaults.region}:${LocalFunction.Defaults.accountId}:function:${name}`
    }

    /** Check the entry again; start the real function when it parses and none runs yet. */
    const recheck = (restartRunning: boolean) =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          // A fix after a syntax error is a change of the entry: a running function restarts with it.
          const wasBroken = Option.isSome(problem)
          problem = asProblem(yield* Syntax.check(options.entry))
          if (Option.isSome(problem)) return problem
          if (real === undefined) {
            const started = yield* Effect.either(startReal)
            if (started._tag === "Left") {
              const message = started.left.message
              problem = Option.some({ errorType: ErrorTypes.Unknown, text: message, message })
            }
          } else if (restartRunning || wasBroken) {
            yield* real.restart
          }
          return problem
        })
      )

    const invoke = (request: LocalFunction.InvokeRequest): Effect.Effect<LocalFunction.Reply> =>
      Effect.gen(function* () {
        const current = real !== undefined && Option.isNone(problem) ? Option.none() : yield* recheck(false)
        if (Option.isNone(current) && real !== undefined) return yield* real.invoke(request)
        const error = functionError(Option.getOrElse(current, () => notRunning))
        return {
          _tag: "Error",
          requestId: request.requestId ?? Crypto.randomUUID(),
          error,
          durationMs: 0,
          logResult: ""
        } satisfies LocalFunction.ErrorReply
      })

    const ready: Effect.Effect<LocalFunction.Readiness> = Effect.suspend(() =>
      real !== undefined && Option.isNone(problem)
        ? real.ready
        : Effect.succeed({
            _tag: "InitError",
            error: functionError(Option.getOrElse(problem, () => notRunning))
          } as const)
    )

    const restart: Effect.Effect<void> = Effect.gen(function* () {
      const found = yield* recheck(true)
      if (Option.isSome(found)) yield* onProblem(found.value)
    })

    const service: LocalFunction.Service = {
      get functionName() {
        return real?.functionName ?? fallback.functionName
      },
      get entry() {
        return real?.entry ?? fallback.entry
      },
      get timeoutMs() {
        return real?.timeoutMs ?? fallback.timeoutMs
      },
      get concurrency() {
        return real?.concurrency ?? fallback.concurrency
      },
      get functionArn() {
        return real?.functionArn ?? fallback.functionArn
      },
      invoke,
      ready,
      restart
    }
    return { service, problem: Effect.sync(() => problem) }
  })
