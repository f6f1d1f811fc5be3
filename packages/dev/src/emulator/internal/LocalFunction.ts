/**
 * A local function's construction: its options checked, its generations of processes, and the service's
 * operations (`invoke` with its queue for the concurrency, `ready`, `restart`).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import type * as Scope from "effect/Scope"
import * as Crypto from "node:crypto"
import * as FileSystem from "node:fs"
import * as Path from "node:path"
import * as LocalFunction from "../LocalFunction.js"
import * as ErrorTypes from "./ErrorTypes.js"
import { describeExit, made } from "./FunctionErrors.js"
import * as FunctionGenerations from "./FunctionGenerations.js"
import * as InvocationAttempt from "./InvocationAttempt.js"

const validate = (options: LocalFunction.Options) =>
  Effect.gen(function* () {
    const invalid = (detail: string) => new LocalFunction.LocalFunctionError({ reason: "InvalidOption", detail })
    const entry = Path.resolve(options.cwd ?? process.cwd(), options.entry)
    const stat = yield* Effect.sync(() => FileSystem.statSync(entry, { throwIfNoEntry: false }))
    if (stat === undefined) {
      return yield* new LocalFunction.LocalFunctionError({
        reason: "EntryNotFound",
        detail: `no such file: ${options.entry}`
      })
    }
    if (!stat.isFile()) {
      return yield* new LocalFunction.LocalFunctionError({
        reason: "EntryNotAFile",
        detail: `not a file: ${options.entry}`
      })
    }
    const positive = (name: string, value: number | undefined, fallback: number) =>
      value === undefined
        ? Effect.succeed(fallback)
        : Number.isFinite(value) && value > 0
          ? Effect.succeed(value)
          : Effect.fail(invalid(`${name} must be a positive number, got ${value}`))
    const timeoutMs = yield* positive("timeout", options.timeoutMs, LocalFunction.Defaults.timeoutMs)
    const concurrency = yield* positive("concurrency", options.concurrency, LocalFunction.Defaults.concurrency)
    if (!Number.isInteger(concurrency)) return yield* invalid(`concurrency must be an integer, got ${concurrency}`)
    const memoryMb = yield* positive("memory", options.memoryMb, LocalFunction.Defaults.memoryMb)
    const initTimeoutMs = yield* positive("init timeout", options.initTimeoutMs, LocalFunction.Defaults.initTimeoutMs)
    const shutdownGraceMs = yield* positive(
      "shutdown grace",
      options.shutdownGraceMs,
      LocalFunction.Defaults.shutdownGraceMs
    )
    const functionName =
      options.functionName ??
      (Path.basename(entry)
        .replace(/\.[^.]+$/, "")
        .replace(/[^A-Za-z0-9_-]+/g, "-")
        .slice(0, 64) ||
        "function")
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(functionName)) {
      return yield* invalid(`function name ${JSON.stringify(functionName)} must be 1-64 letters, digits, - or _`)
    }
    return { entry, timeoutMs, concurrency, memoryMb, initTimeoutMs, shutdownGraceMs, functionName }
  })

/** @internal */
export const make = (
  options: LocalFunction.Options
): Effect.Effect<LocalFunction.Service, LocalFunction.LocalFunctionError, Scope.Scope> =>
  Effect.gen(function* () {
    const { entry, timeoutMs, concurrency, memoryMb, initTimeoutMs, shutdownGraceMs, functionName } =
      yield* validate(options)
    const region = options.region ?? LocalFunction.Defaults.region
    const functionArn = `arn:aws:lambda:${region}:${LocalFunction.Defaults.accountId}:function:${functionName}`
    const console = yield* Console.consoleWith(Effect.succeed)
    const fibers = yield* FiberSet.make()
    const permits = yield* Effect.makeSemaphore(concurrency)
    const generations = yield* FunctionGenerations.make(
      {
        entry,
        functionName,
        functionArn,
        memoryMb,
        concurrency,
        region,
        cwd: options.cwd ?? process.cwd(),
        env: options.env ?? process.env,
        shutdownGraceMs
      },
      console,
      fibers
    )
    const context: InvocationAttempt.AttemptContext = {
      generations,
      fibers,
      functionArn,
      timeoutMs,
      initTimeoutMs,
      memoryMb
    }

    const run = (request: LocalFunction.InvokeRequest, handoff: InvocationAttempt.Handoff, requestId: string) =>
      permits.withPermits(1)(
        Effect.gen(function* () {
          const startedAt = Date.now()
          for (let tries = 0; tries < 2; tries++) {
            const gen = yield* generations.acquire
            gen.inFlight++
            const result = yield* InvocationAttempt.attempt(
              context,
              gen,
              request,
              requestId,
              startedAt,
              handoff,
              tries === 1
            ).pipe(
              Effect.ensuring(
                Effect.suspend(() => {
                  gen.inFlight--
                  return generations.settleIdle(gen)
                })
              )
            )
            if (result === "done") return
          }
        }).pipe(
          // An invocation is never lost: whatever went wrong here, its invoker gets an answer.
          Effect.catchAllCause((cause) =>
            Cause.isInterruptedOnly(cause)
              ? Effect.failCause(cause)
              : Effect.zipRight(
                  generations.notice(`the emulator could not run an invocation: ${Cause.pretty(cause)}`),
                  InvocationAttempt.hand(fibers, handoff, {
                    _tag: "Error",
                    requestId,
                    error: made(
                      ErrorTypes.Unknown,
                      `the emulator could not run the invocation: ${String(Cause.squash(cause))}`
                    ),
                    durationMs: 0,
                    logResult: ""
                  })
                )
          )
        )
      )

    const invoke = (request: LocalFunction.InvokeRequest): Effect.Effect<LocalFunction.Reply> =>
      Effect.gen(function* () {
        const handoff: InvocationAttempt.Handoff = {
          reply: yield* Deferred.make<LocalFunction.Reply>(),
          abandoned: false,
          drained: false
        }
        yield* FiberSet.run(fibers, run(request, handoff, request.requestId ?? Crypto.randomUUID()))
        return yield* Effect.uninterruptibleMask((restore) =>
          restore(Deferred.await(handoff.reply)).pipe(
            Effect.onInterrupt(() => InvocationAttempt.abandon(fibers, handoff))
          )
        )
      })

    const ready: Effect.Effect<LocalFunction.Readiness> = Effect.gen(function* () {
      const gen = yield* generations.acquire
      const initError = Effect.flatMap(generations.initErrorOf(gen), (error) =>
        error === undefined ? Effect.never : Effect.succeed<LocalFunction.Readiness>({ _tag: "InitError", error })
      )
      return yield* Effect.raceAll<Effect.Effect<LocalFunction.Readiness>>([
        Effect.as(Deferred.await(gen.ready), { _tag: "Ready", pid: gen.process.pid } as const),
        Effect.zipRight(gen.server.awaitInitError, initError),
        Effect.flatMap(gen.process.exited, (info) =>
          Effect.map(
            generations.initErrorOf(gen),
            (error): LocalFunction.Readiness =>
              error !== undefined ? { _tag: "InitError", error } : { _tag: "Exited", description: describeExit(info) }
          )
        )
      ])
    })

    yield* generations.acquire

    return LocalFunction.LocalFunction.of({
      functionName,
      entry,
      timeoutMs,
      concurrency,
      functionArn,
      invoke,
      ready,
      restart: generations.restart
    })
  })
