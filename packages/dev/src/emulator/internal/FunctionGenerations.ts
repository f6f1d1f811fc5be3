/**
 * The processes of a local function, one generation at a time: a generation is one `node` process with its
 * own Runtime API server. A generation is started on demand, replaced when it crashed, was killed or is
 * restarted, and stopped as Lambda stops an execution environment: SIGTERM (after the `SHUTDOWN` event to
 * the extensions registered for it) only when an extension registered, then SIGKILL after the grace period;
 * without extensions, SIGKILL at once.
 *
 * @internal
 */
import type * as Console from "effect/Console"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as LocalFunction from "../LocalFunction.js"
import * as RuntimeApiServer from "../RuntimeApiServer.js"
import * as FunctionEnvironment from "./FunctionEnvironment.js"
import { describeExit, fromPosted } from "./FunctionErrors.js"
import * as FunctionProcess from "./FunctionProcess.js"
import { LogTail, shownLines } from "./InvocationLog.js"

/** One process and its Runtime API server. @internal */
export interface Generation {
  readonly id: number
  readonly scope: Scope.CloseableScope
  readonly server: RuntimeApiServer.Service
  readonly process: FunctionProcess.FunctionProcess
  readonly log: LogTail
  /** Done once the process polled `/next`. */
  readonly ready: Deferred.Deferred<void>
  inFlight: number
  retiring: boolean
  closed: boolean
  exit: FunctionProcess.ExitInfo | undefined
  initErrorShown: boolean
}

/** @internal */
export interface Settings {
  readonly entry: string
  readonly functionName: string
  readonly functionArn: string
  readonly memoryMb: number
  readonly concurrency: number
  readonly region: string
  readonly cwd: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly shutdownGraceMs: number
}

/** @internal */
export interface Generations {
  /** The current generation, started if there is none (or it is dead or retiring). */
  readonly acquire: Effect.Effect<Generation>
  /** Retire the current generation (it is stopped once idle) and start a new one. */
  readonly restart: Effect.Effect<void>
  /** Retire a generation and stop its process now. */
  readonly stopNow: (gen: Generation, reason: RuntimeApiServer.ShutdownReason) => Effect.Effect<void>
  /** Retire a generation whose init failed: its process is stopped unless it exits by itself at once. */
  readonly retireFailed: (gen: Generation) => Effect.Effect<void>
  /** Stop a retiring or dead generation once no invocation runs on it. */
  readonly settleIdle: (gen: Generation) => Effect.Effect<void>
  /** The first `/init/error` the generation's process posted. */
  readonly initErrorOf: (gen: Generation) => Effect.Effect<LocalFunction.FunctionError | undefined>
  readonly notice: (text: string) => Effect.Effect<void>
}

/** @internal */
export const initErrorOf = (gen: Generation): Effect.Effect<LocalFunction.FunctionError | undefined> =>
  Effect.map(gen.server.initErrors, (errors) => {
    const first = errors[0]
    return first === undefined
      ? undefined
      : fromPosted(first.body, first.headers["lambda-runtime-function-error-type"] ?? first.report?.errorType)
  })

/**
 * Stop a generation's process as Lambda stops an execution environment.
 *
 * @internal
 */
export const stopProcess = (
  gen: Generation,
  reason: RuntimeApiServer.ShutdownReason,
  graceMs: number
): Effect.Effect<void> =>
  Effect.gen(function* () {
    if (!gen.process.isRunning()) return
    const extensions = yield* gen.server.extensions
    if (extensions.length === 0) return yield* Effect.asVoid(gen.process.kill)
    yield* gen.server.shutdown(reason, Date.now() + LocalFunction.Defaults.shutdownBudgetMs)
    yield* Effect.asVoid(gen.process.stop(graceMs))
  })

/** @internal */
export const make = (
  settings: Settings,
  console: Console.Console,
  fibers: FiberSet.FiberSet
): Effect.Effect<Generations, never, Scope.Scope> =>
  Effect.gen(function* () {
    const lock = yield* Effect.makeSemaphore(1)
    const prefix = `[${settings.functionName}] `
    const notice = (text: string) => Effect.sync(() => console.unsafe.error(`! ${text}`))
    let current: Generation | undefined
    let nextId = 1
    const generations = new Set<Generation>()

    const closeGeneration = (gen: Generation) =>
      Effect.suspend(() => {
        if (gen.closed) return Effect.void
        gen.closed = true
        generations.delete(gen)
        return Scope.close(gen.scope, Exit.void)
      })

    const settleIdle = (gen: Generation) =>
      Effect.suspend(() => {
        if (gen.inFlight > 0 || gen.closed) return Effect.void
        if (gen.exit !== undefined) return closeGeneration(gen)
        if (gen.retiring) {
          const stop = Effect.zipRight(stopProcess(gen, "spindown", settings.shutdownGraceMs), closeGeneration(gen))
          return Effect.asVoid(FiberSet.run(fibers, stop))
        }
        return Effect.void
      })

    const retire = (gen: Generation) =>
      Effect.sync(() => {
        gen.retiring = true
        if (current === gen) current = undefined
      })

    const stopNow = (gen: Generation, reason: RuntimeApiServer.ShutdownReason) =>
      Effect.zipRight(retire(gen), stopProcess(gen, reason, settings.shutdownGraceMs))

    const retireFailed = (gen: Generation) =>
      Effect.zipRight(
        retire(gen),
        FiberSet.run(
          fibers,
          gen.process.exited.pipe(
            Effect.timeout("1 second"),
            Effect.catchAll(() => stopProcess(gen, "failure", settings.shutdownGraceMs))
          )
        )
      ).pipe(Effect.asVoid)

    const showInitError = (gen: Generation) =>
      Effect.flatMap(initErrorOf(gen), (error) =>
        Effect.suspend(() => {
          if (error === undefined || gen.initErrorShown) return Effect.void
          gen.initErrorShown = true
          return notice(`init failed: ${error.errorType}: ${error.errorMessage}`)
        })
      )

    const watch = (gen: Generation) =>
      Effect.gen(function* () {
        const initErrors = yield* Effect.fork(Effect.zipRight(gen.server.awaitInitError, showInitError(gen)))
        const polls = yield* Effect.fork(
          gen.server.nextPolls.pipe(
            Effect.repeat({ until: (n) => n > 0, schedule: Schedule.spaced("20 millis") }),
            Effect.zipRight(Deferred.succeed(gen.ready, undefined))
          )
        )
        const info = yield* gen.process.exited
        yield* Fiber.interrupt(initErrors)
        yield* Fiber.interrupt(polls)
        yield* showInitError(gen)
        gen.exit = info
        if (current === gen) current = undefined
        if (!gen.retiring && !gen.initErrorShown) {
          yield* notice(
            `the function process exited (${describeExit(info)}); a new one starts with the next invocation`
          )
        }
        yield* settleIdle(gen)
      })

    const start = Effect.gen(function* () {
      const scope = yield* Scope.make()
      const log = new LogTail()
      const gen = yield* Effect.gen(function* () {
        const server = yield* RuntimeApiServer.make({
          functionArn: settings.functionArn,
          handler: FunctionEnvironment.handlerOf(settings.entry)
        }).pipe(Effect.orDie)
        const env = FunctionEnvironment.environment({
          entry: settings.entry,
          functionName: settings.functionName,
          runtimeApi: server.address,
          memoryMb: settings.memoryMb,
          concurrency: settings.concurrency,
          region: settings.region,
          base: settings.env
        })
        const fn = yield* FunctionProcess.spawn({
          entry: settings.entry,
          env,
          cwd: settings.cwd,
          onLine: (stream, line) => {
            log.push(line)
            for (const shown of shownLines(prefix, line)) {
              if (stream === "stdout") console.unsafe.log(shown)
              else console.unsafe.error(shown)
            }
          }
        })
        const generation: Generation = {
          id: nextId++,
          scope,
          server,
          process: fn,
          log,
          ready: yield* Deferred.make<void>(),
          inFlight: 0,
          retiring: false,
          closed: false,
          exit: undefined,
          initErrorShown: false
        }
        return generation
      }).pipe(Scope.extend(scope))
      generations.add(gen)
      yield* FiberSet.run(fibers, watch(gen))
      return gen
    })

    const alive = (gen: Generation | undefined): gen is Generation =>
      gen !== undefined && gen.exit === undefined && !gen.retiring && gen.process.isRunning()

    const acquire: Effect.Effect<Generation> = lock.withPermits(1)(
      Effect.suspend(() => {
        if (alive(current)) return Effect.succeed(current)
        return Effect.tap(start, (gen) =>
          Effect.sync(() => {
            current = gen
          })
        )
      })
    )

    const restart: Effect.Effect<void> = Effect.gen(function* () {
      const old = yield* lock.withPermits(1)(
        Effect.sync(() => {
          const gen = current
          current = undefined
          return gen
        })
      )
      if (old !== undefined) {
        yield* retire(old)
        yield* settleIdle(old)
      }
      yield* acquire
    })

    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        current = undefined
        return Effect.forEach(
          [...generations],
          (gen) =>
            Effect.zipRight(
              Effect.suspend(() => {
                gen.retiring = true
                return stopProcess(gen, "spindown", settings.shutdownGraceMs)
              }),
              closeGeneration(gen)
            ),
          { concurrency: "unbounded", discard: true }
        )
      })
    )

    return { acquire, restart, stopNow, retireFailed, settleIdle, initErrorOf, notice }
  })
