/**
 * A Lambda function on this machine: the user's entry file run as a real `node` process (through `tsx` for
 * TypeScript) against its own {@link RuntimeApiServer}, with the environment Lambda sets, and invoked the way
 * Lambda invokes it.
 *
 * - **Processes.** The first process starts when the service is built. A process that crashes, or that is
 *   killed because an invocation timed out, is replaced by a fresh one on the next invocation (as Lambda
 *   resets the execution environment). `restart` replaces it at once (for file watching); invocations still in
 *   flight on the old process finish first.
 * - **Init errors** (a Layer that fails, a file that does not load, an entry that is not a function) are
 *   printed, and returned to the invocations that were waiting for that process.
 * - **Output.** The function's stdout and stderr lines are written to the `Console` (`log` and `error`),
 *   prefixed with `[name] `. Notices of the emulator (init errors, crashes, restarts) go to `Console.error`.
 * - **Timeouts.** Each invocation has `timeoutMs` (default 30 s) from the moment the runtime takes it; the
 *   runtime sees it as `Lambda-Runtime-Deadline-Ms`. When it passes without a complete reply the process is
 *   killed and the invoker gets `Sandbox.Timedout` ("Task timed out after N seconds"). A process that has not
 *   polled `/next` within `initTimeoutMs` (default 60 s) is killed the same way.
 * - **Concurrency.** Invocations beyond `concurrency` (default 1) wait in a queue. With a concurrency above 1
 *   the process gets `AWS_LAMBDA_MAX_CONCURRENCY` and serves that many at once.
 * - **Crashes.** A process that exits during an invocation fails it with `Runtime.ExitError` ("Runtime exited
 *   with error: exit status 1"). An invocation the dead process never took is retried once on a fresh process.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import * as FileSystem from "node:fs"
import * as Path from "node:path"
import * as RuntimeApiServer from "./RuntimeApiServer.js"
import * as FunctionProcess from "./internal/FunctionProcess.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The function's file: `.ts` (run through tsx) or `.js`/`.mjs`. */
  readonly entry: string
  /** Default: the entry's file name without its extension (other characters than `A-Za-z0-9_-` become `-`). */
  readonly functionName?: string
  /** Per-invocation timeout in milliseconds; default 30 000. */
  readonly timeoutMs?: number
  /** How many invocations run at once; default 1 (the others queue). */
  readonly concurrency?: number
  /** `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`; default 128. */
  readonly memoryMb?: number
  /**
   * How long a new process may take to poll `/next`; default 60 000 ms (Lambda allows 10 s, but locally the
   * TypeScript is compiled on the fly, on machines of any speed).
   */
  readonly initTimeoutMs?: number
  /** `AWS_REGION` unless the environment sets one; default `us-east-1`. */
  readonly region?: string
  /** The environment the function's own variables are added to; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** The process's working directory; default `process.cwd()`. */
  readonly cwd?: string
}

/**
 * The service could not be built from its options.
 *
 * @since 0.1.0
 * @category errors
 */
export class LocalFunctionError extends Schema.TaggedError<LocalFunctionError>()("LocalFunctionError", {
  reason: Schema.Literal("EntryNotFound", "EntryNotAFile", "InvalidOption"),
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface InvokeRequest {
  /** The event (a string is sent as UTF-8). */
  readonly event: Uint8Array | string
  /** Default: a fresh UUID. */
  readonly requestId?: string
  /** `Lambda-Runtime-Client-Context`: the client context as JSON text. */
  readonly clientContext?: string
  /** `Lambda-Runtime-Aws-Tenant-Id`. */
  readonly tenantId?: string
}

/**
 * Why an invocation failed, with the error object an `Invoke` caller gets as its payload.
 *
 * @since 0.1.0
 * @category models
 */
export interface FunctionError {
  readonly errorType: string
  readonly errorMessage: string
  /** The error object as JSON bytes: what the runtime posted, or one the emulator made. */
  readonly payload: Uint8Array
}

/**
 * How a reply that started ended.
 *
 * @since 0.1.0
 * @category models
 */
export interface Completion {
  /** Set when the reply was cut: error trailers, a timeout, a crash, a reply over the size limit. */
  readonly error: FunctionError | undefined
  readonly durationMs: number
  /** The invocation's log (`START` … `REPORT`), last 4 KB, base64: Lambda's `LogResult`. */
  readonly logResult: string
}

/**
 * The function started a reply: its body arrives chunk by chunk (one chunk for a buffered reply). The body
 * must be read to its end (the function is paused while it is not); it never fails but stops early when the
 * reply is cut, and `completion` then says why.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResponseReply {
  readonly _tag: "Response"
  readonly requestId: string
  /** The reply's `Content-Type` (`application/json` when the runtime sent none). */
  readonly contentType: string
  /** Whether the runtime streamed it (`Lambda-Runtime-Function-Response-Mode: streaming`, chunked). */
  readonly streamed: boolean
  readonly body: Stream.Stream<Uint8Array>
  readonly completion: Effect.Effect<Completion>
}

/**
 * The invocation failed before any reply: `/error`, an init error, a timeout or a crash.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorReply {
  readonly _tag: "Error"
  readonly requestId: string
  readonly error: FunctionError
  readonly durationMs: number
  readonly logResult: string
}

/**
 * @since 0.1.0
 * @category models
 */
export type Reply = ResponseReply | ErrorReply

/**
 * The state of a freshly started process, from {@link Service}.ready.
 *
 * @since 0.1.0
 * @category models
 */
export type Readiness =
  | { readonly _tag: "Ready"; readonly pid: number }
  | { readonly _tag: "InitError"; readonly error: FunctionError }
  | { readonly _tag: "Exited"; readonly description: string }

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly functionName: string
  /** The entry file, absolute. */
  readonly entry: string
  readonly timeoutMs: number
  readonly concurrency: number
  /** The function's ARN as the runtime sees it. */
  readonly functionArn: string
  /**
   * Invoke the function; succeeds as soon as the reply starts (or the invocation failed). Interrupting the
   * caller does not stop the invocation: it runs to its end and its reply is discarded.
   */
  readonly invoke: (request: InvokeRequest) => Effect.Effect<Reply>
  /** Waits until the current process (started if there is none) polls `/next`, fails its init, or exits. */
  readonly ready: Effect.Effect<Readiness>
  /** Replace the process with a fresh one (invocations in flight on the old one finish first). */
  readonly restart: Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class LocalFunction extends Context.Tag("effect-lambda-runtime/LocalFunction")<LocalFunction, Service>() {}

/**
 * Defaults of the {@link Options}.
 *
 * @since 0.1.0
 * @category constants
 */
export const Defaults = {
  timeoutMs: 30_000,
  concurrency: 1,
  memoryMb: 128,
  initTimeoutMs: 60_000,
  region: "us-east-1",
  accountId: "123456789012"
} as const

const encoder = new TextEncoder()
const decoder = new TextDecoder()

const errorPayload = (errorType: string, errorMessage: string): Uint8Array =>
  encoder.encode(JSON.stringify({ errorType, errorMessage }))

const made = (errorType: string, errorMessage: string): FunctionError => ({
  errorType,
  errorMessage,
  payload: errorPayload(errorType, errorMessage)
})

/** An error object as posted by the runtime (`/error`, `/init/error`, or a trailer's body). */
const fromPosted = (body: Uint8Array, fallbackType: string | undefined): FunctionError => {
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(body))
  } catch {
    value = undefined
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const fields = value as Record<string, unknown>
    const errorType = typeof fields.errorType === "string" ? fields.errorType : (fallbackType ?? "Runtime.Unknown")
    const errorMessage = typeof fields.errorMessage === "string" ? fields.errorMessage : ""
    return { errorType, errorMessage, payload: body }
  }
  const text = decoder.decode(body)
  return made(fallbackType ?? "Runtime.Unknown", text)
}

const TrailerNames = {
  errorType: "lambda-runtime-function-error-type",
  errorBody: "lambda-runtime-function-error-body"
} as const

const fromTrailers = (trailers: Readonly<Record<string, string>>): FunctionError | undefined => {
  const errorType = trailers[TrailerNames.errorType]
  const errorBody = trailers[TrailerNames.errorBody]
  if (errorType === undefined && errorBody === undefined) return undefined
  if (errorBody === undefined) return made(errorType ?? "Runtime.Unknown", "")
  const decoded = Buffer.from(errorBody, "base64")
  const posted = fromPosted(new Uint8Array(decoded), errorType)
  return errorType === undefined ? posted : { ...posted, errorType }
}

const describeExit = (info: FunctionProcess.ExitInfo): string =>
  info.signal !== null
    ? `signal: ${info.signal === "SIGKILL" ? "killed" : info.signal}`
    : info.code === null
      ? "could not start"
      : `exit status ${info.code}`

const exitError = (requestId: string, info: FunctionProcess.ExitInfo): FunctionError =>
  info.code === 0 && info.signal === null
    ? made("Runtime.ExitError", `RequestId: ${requestId} Error: Runtime exited without providing a reason`)
    : made("Runtime.ExitError", `RequestId: ${requestId} Error: Runtime exited with error: ${describeExit(info)}`)

const timedOut = (requestId: string, ms: number): FunctionError =>
  made("Sandbox.Timedout", `RequestId: ${requestId} Error: Task timed out after ${(ms / 1000).toFixed(2)} seconds`)

/** The tail of a process's output, with a running offset, for `LogResult`. */
class LogTail {
  private text = ""
  private base = 0
  get offset(): number {
    return this.base + this.text.length
  }
  push(line: string): void {
    this.text += `${line}\n`
    if (this.text.length > 65_536) {
      const drop = this.text.length - 32_768
      this.text = this.text.slice(drop)
      this.base += drop
    }
  }
  since(offset: number): string {
    return this.text.slice(Math.max(0, offset - this.base))
  }
}

const logResult = (requestId: string, output: string, durationMs: number, memoryMb: number): string => {
  const duration = durationMs.toFixed(2)
  const log =
    `START RequestId: ${requestId} Version: $LATEST\n${output}END RequestId: ${requestId}\n` +
    `REPORT RequestId: ${requestId}\tDuration: ${duration} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\t` +
    `Memory Size: ${memoryMb} MB\n`
  const bytes = Buffer.from(log, "utf8")
  return bytes.subarray(Math.max(0, bytes.length - 4096)).toString("base64")
}

interface Generation {
  readonly id: number
  readonly scope: Scope.CloseableScope
  readonly server: RuntimeApiServer.Service
  readonly process: FunctionProcess.FunctionProcess
  readonly log: LogTail
  readonly ready: Deferred.Deferred<void>
  inFlight: number
  retiring: boolean
  closed: boolean
  exit: FunctionProcess.ExitInfo | undefined
  initErrorShown: boolean
}

interface Exited {
  readonly _tag: "Exited"
  readonly info: FunctionProcess.ExitInfo
}

type Phase1 =
  | { readonly _tag: "Delivered"; readonly delivery: RuntimeApiServer.Delivery }
  | Exited
  | { readonly _tag: "InitTimeout" }

type Phase2 = { readonly _tag: "Reply"; readonly reply: RuntimeApiServer.Reply } | Exited | { readonly _tag: "Timeout" }

type Phase3 =
  | { readonly _tag: "Outcome"; readonly outcome: RuntimeApiServer.Outcome }
  | Exited
  | { readonly _tag: "Timeout" }

const initErrorOf = (gen: Generation): Effect.Effect<FunctionError | undefined> =>
  Effect.map(gen.server.initErrors, (errors) => {
    const first = errors[0]
    return first === undefined
      ? undefined
      : fromPosted(first.body, first.headers["lambda-runtime-function-error-type"] ?? first.report?.errorType)
  })

interface Handoff {
  readonly reply: Deferred.Deferred<Reply>
  abandoned: boolean
  drained: boolean
}

const validate = (options: Options) =>
  Effect.gen(function* () {
    const invalid = (detail: string) => new LocalFunctionError({ reason: "InvalidOption", detail })
    const entry = Path.resolve(options.cwd ?? process.cwd(), options.entry)
    const stat = yield* Effect.sync(() => FileSystem.statSync(entry, { throwIfNoEntry: false }))
    if (stat === undefined) {
      return yield* new LocalFunctionError({ reason: "EntryNotFound", detail: `no such file: ${options.entry}` })
    }
    if (!stat.isFile()) {
      return yield* new LocalFunctionError({ reason: "EntryNotAFile", detail: `not a file: ${options.entry}` })
    }
    const positive = (name: string, value: number | undefined, fallback: number) =>
      value === undefined
        ? Effect.succeed(fallback)
        : Number.isFinite(value) && value > 0
          ? Effect.succeed(value)
          : Effect.fail(invalid(`${name} must be a positive number, got ${value}`))
    const timeoutMs = yield* positive("timeout", options.timeoutMs, Defaults.timeoutMs)
    const concurrency = yield* positive("concurrency", options.concurrency, Defaults.concurrency)
    if (!Number.isInteger(concurrency)) return yield* invalid(`concurrency must be an integer, got ${concurrency}`)
    const memoryMb = yield* positive("memory", options.memoryMb, Defaults.memoryMb)
    const initTimeoutMs = yield* positive("init timeout", options.initTimeoutMs, Defaults.initTimeoutMs)
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
    return { entry, timeoutMs, concurrency, memoryMb, initTimeoutMs, functionName }
  })

/**
 * Start the function (its first process starts now) in the current scope. Closing the scope stops every
 * process (SIGTERM, then SIGKILL after a second) and interrupts the invocations in flight.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service, LocalFunctionError, Scope.Scope> =>
  Effect.gen(function* () {
    const settings = yield* validate(options)
    const { entry, timeoutMs, concurrency, memoryMb, initTimeoutMs, functionName } = settings
    const region = options.region ?? Defaults.region
    const functionArn = `arn:aws:lambda:${region}:${Defaults.accountId}:function:${functionName}`
    const cwd = options.cwd ?? process.cwd()
    const console = yield* Console.consoleWith(Effect.succeed)
    const fibers = yield* FiberSet.make()
    const lock = yield* Effect.makeSemaphore(1)
    const permits = yield* Effect.makeSemaphore(concurrency)
    const prefix = `[${functionName}] `
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
          const stop = Effect.zipRight(Effect.ignore(gen.process.stop(1_000)), closeGeneration(gen))
          return Effect.asVoid(FiberSet.run(fibers, stop))
        }
        return Effect.void
      })

    const retire = (gen: Generation, how: "kill" | "drain") =>
      Effect.suspend(() => {
        gen.retiring = true
        if (current === gen) current = undefined
        return how === "kill" ? Effect.asVoid(gen.process.kill) : settleIdle(gen)
      })

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
        const server = yield* RuntimeApiServer.make().pipe(Effect.orDie)
        const env = FunctionProcess.environment({
          entry,
          functionName,
          runtimeApi: server.address,
          memoryMb,
          concurrency,
          region,
          base: options.env ?? process.env
        })
        const fn = yield* FunctionProcess.spawn({
          entry,
          env,
          cwd,
          onLine: (stream, line) => {
            log.push(line)
            // Lambda's log lines keep a record's inner newlines as \r: show them as lines.
            const shown = prefix + line.replaceAll("\r", `\n${prefix}  `)
            if (stream === "stdout") console.unsafe.log(shown)
            else console.unsafe.error(shown)
          }
        })
        const ready = yield* Deferred.make<void>()
        const generation: Generation = {
          id: nextId++,
          scope,
          server,
          process: fn,
          log,
          ready,
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

    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        current = undefined
        return Effect.forEach(
          [...generations],
          (gen) =>
            Effect.zipRight(
              Effect.suspend(() => {
                gen.retiring = true
                return gen.process.isRunning() ? Effect.ignore(gen.process.stop(1_000)) : Effect.void
              }),
              closeGeneration(gen)
            ),
          { concurrency: "unbounded", discard: true }
        )
      })
    )

    const nextHeaders = (request: InvokeRequest): Record<string, string> => {
      const headers: Record<string, string> = { "Lambda-Runtime-Invoked-Function-Arn": functionArn }
      if (request.clientContext !== undefined) headers["Lambda-Runtime-Client-Context"] = request.clientContext
      if (request.tenantId !== undefined) headers["Lambda-Runtime-Aws-Tenant-Id"] = request.tenantId
      return headers
    }

    const drainOnce = (handoff: Handoff, reply: Reply) =>
      Effect.suspend(() => {
        if (reply._tag !== "Response" || handoff.drained) return Effect.void
        handoff.drained = true
        return FiberSet.run(fibers, Stream.runDrain(reply.body)).pipe(Effect.asVoid)
      })

    const hand = (handoff: Handoff, reply: Reply) =>
      Effect.suspend(() => {
        Deferred.unsafeDone(handoff.reply, Exit.succeed(reply))
        return handoff.abandoned ? drainOnce(handoff, reply) : Effect.void
      })

    /** One attempt on one process. `retry`: the process died before it took the invocation. */
    const attempt = (
      gen: Generation,
      request: InvokeRequest,
      requestId: string,
      startedAt: number,
      handoff: Handoff,
      lastAttempt: boolean
    ): Effect.Effect<"done" | "retry"> =>
      Effect.gen(function* () {
        const logFrom = gen.log.offset
        const elapsed = () => Date.now() - startedAt
        const logOf = () => logResult(requestId, gen.log.since(logFrom), elapsed(), memoryMb)
        const fail = (error: FunctionError) =>
          hand(handoff, { _tag: "Error", requestId, error, durationMs: elapsed(), logResult: logOf() })
        const exited = Effect.map(gen.process.exited, (info): Exited => ({ _tag: "Exited", info }))
        const enqueued = yield* gen.server.enqueue({
          event: request.event,
          requestId,
          timeoutMs,
          headers: nextHeaders(request),
          live: true
        })
        const watchdog = Deferred.await(gen.ready).pipe(
          Effect.timeout(initTimeoutMs),
          Effect.option,
          Effect.flatMap((ready) =>
            Option.isSome(ready) ? Effect.never : Effect.succeed({ _tag: "InitTimeout" } as const)
          )
        )
        const first: Phase1 = yield* Effect.raceAll<Effect.Effect<Phase1>>([
          Effect.map(enqueued.delivered, (delivery) => ({ _tag: "Delivered", delivery }) as const),
          exited,
          watchdog
        ])
        if (first._tag === "InitTimeout") {
          yield* notice(`the function did not start within ${initTimeoutMs / 1000} s; killing it`)
          yield* retire(gen, "kill")
          yield* fail(
            made(
              "Sandbox.Timedout",
              `RequestId: ${requestId} Error: Init did not complete within ${(initTimeoutMs / 1000).toFixed(2)} seconds`
            )
          )
          return "done"
        }
        if (first._tag === "Exited") {
          const initError = yield* initErrorOf(gen)
          if (initError !== undefined) {
            yield* fail(initError)
            return "done"
          }
          if (!lastAttempt) return "retry"
          yield* fail(exitError(requestId, first.info))
          return "done"
        }
        const remaining = Math.max(0, first.delivery.deadlineMs - Date.now())
        const timer = Effect.as(Effect.sleep(remaining), { _tag: "Timeout" } as const)
        const onTimeout = Effect.zipRight(
          notice(`${requestId}: timed out after ${timeoutMs / 1000} s; the function process is killed`),
          retire(gen, "kill")
        )
        const second: Phase2 = yield* Effect.raceAll<Effect.Effect<Phase2>>([
          Effect.map(enqueued.reply, (reply) => ({ _tag: "Reply", reply }) as const),
          exited,
          timer
        ])
        if (second._tag === "Timeout") {
          yield* onTimeout
          yield* fail(timedOut(requestId, timeoutMs))
          return "done"
        }
        if (second._tag === "Exited") {
          yield* fail(exitError(requestId, second.info))
          return "done"
        }
        const reply = second.reply
        if (reply._tag === "Error") {
          const error = fromPosted(reply.body, reply.headers[TrailerNames.errorType] ?? reply.report?.errorType)
          yield* fail(error)
          return "done"
        }
        const completion = yield* Deferred.make<Completion>()
        yield* hand(handoff, {
          _tag: "Response",
          requestId,
          contentType: reply.headers["content-type"] ?? "application/json",
          streamed: reply.streamed,
          body: reply.body.pipe(Stream.catchAll(() => Stream.empty)),
          completion: Deferred.await(completion)
        })
        const third: Phase3 = yield* Effect.raceAll<Effect.Effect<Phase3>>([
          Effect.map(enqueued.outcome, (outcome) => ({ _tag: "Outcome", outcome }) as const),
          exited,
          timer
        ])
        let error: FunctionError | undefined
        switch (third._tag) {
          case "Timeout": {
            yield* onTimeout
            error = timedOut(requestId, timeoutMs)
            break
          }
          case "Exited": {
            error = exitError(requestId, third.info)
            break
          }
          case "Outcome": {
            const outcome = third.outcome
            if (outcome.status === 413) {
              error = made(
                "Function.ResponseSizeTooLarge",
                `Response payload size exceeded maximum allowed payload size (${
                  reply.headers["lambda-runtime-function-response-mode"] === "streaming"
                    ? RuntimeApiServer.Limits.streamedResponseBytes
                    : RuntimeApiServer.Limits.bufferedResponseBytes
                } bytes).`
              )
            } else if (outcome.status !== 202) {
              error = made("Runtime.InvalidResponse", `the runtime's reply was answered ${outcome.status}`)
            } else if (outcome._tag === "Response") {
              error = fromTrailers(outcome.trailers)
            }
          }
        }
        yield* Deferred.succeed(completion, { error, durationMs: elapsed(), logResult: logOf() })
        return "done"
      })

    const run = (request: InvokeRequest, handoff: Handoff) =>
      permits.withPermits(1)(
        Effect.gen(function* () {
          const requestId = request.requestId ?? Crypto.randomUUID()
          const startedAt = Date.now()
          for (let tries = 0; tries < 2; tries++) {
            const gen = yield* acquire
            gen.inFlight++
            const result = yield* attempt(gen, request, requestId, startedAt, handoff, tries === 1).pipe(
              Effect.ensuring(
                Effect.suspend(() => {
                  gen.inFlight--
                  return settleIdle(gen)
                })
              )
            )
            if (result === "done") return
          }
        })
      )

    const invoke = (request: InvokeRequest): Effect.Effect<Reply> =>
      Effect.gen(function* () {
        const handoff: Handoff = { reply: yield* Deferred.make<Reply>(), abandoned: false, drained: false }
        yield* FiberSet.run(fibers, run(request, handoff))
        return yield* Effect.uninterruptibleMask((restore) =>
          restore(Deferred.await(handoff.reply)).pipe(
            Effect.onInterrupt(() =>
              Effect.suspend(() => {
                handoff.abandoned = true
                return Effect.flatMap(Deferred.poll(handoff.reply), (polled) =>
                  Option.isNone(polled)
                    ? Effect.void
                    : Effect.flatMap(Effect.exit(polled.value), (exit) =>
                        Exit.isSuccess(exit) ? drainOnce(handoff, exit.value) : Effect.void
                      )
                )
              })
            )
          )
        )
      })

    const ready: Effect.Effect<Readiness> = Effect.gen(function* () {
      const gen = yield* acquire
      return yield* Effect.raceAll<Effect.Effect<Readiness>>([
        Effect.as(Deferred.await(gen.ready), { _tag: "Ready", pid: gen.process.pid } as const),
        Effect.flatMap(gen.process.exited, (info) =>
          Effect.map(
            initErrorOf(gen),
            (error): Readiness =>
              error !== undefined ? { _tag: "InitError", error } : { _tag: "Exited", description: describeExit(info) }
          )
        )
      ])
    })

    const restart: Effect.Effect<void> = Effect.gen(function* () {
      const old = yield* lock.withPermits(1)(
        Effect.sync(() => {
          const gen = current
          current = undefined
          return gen
        })
      )
      if (old !== undefined) yield* retire(old, "drain")
      yield* acquire
    })

    yield* acquire

    return LocalFunction.of({
      functionName,
      entry,
      timeoutMs,
      concurrency,
      functionArn,
      invoke,
      ready,
      restart
    })
  })

/**
 * The function as a scoped layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<LocalFunction, LocalFunctionError> =>
  Layer.scoped(LocalFunction, make(options))
