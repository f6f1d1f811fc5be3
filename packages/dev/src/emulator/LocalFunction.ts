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
 *   printed, and returned to the invocations that were waiting for that process; they do not end the
 *   function: the next invocation starts a fresh process and tries init again (as Lambda does).
 * - **Output.** The function's stdout and stderr lines are written to the `Console` (`log` and `error`),
 *   prefixed with `[name] `. A log record that spans lines (sent as one line with `\r` separators, Lambda's
 *   convention) is shown as lines, each continuation indented under the prefix. Notices of the emulator
 *   (init errors, crashes, restarts) go to `Console.error`.
 * - **Timeouts.** Each invocation has `timeoutMs` (default 30 s) from the moment it is queued for a running
 *   process (for a process still starting: from its first `/next` poll); the runtime sees it as
 *   `Lambda-Runtime-Deadline-Ms`. When it passes without a complete reply (taken by the runtime or not) the
 *   process is stopped and the invoker gets `Sandbox.Timedout` ("Task timed out after N seconds"). A process
 *   that has not polled `/next` within `initTimeoutMs` (default 60 s) is stopped the same way.
 * - **Shutdown.** A process is stopped (at a timeout, a restart, when the scope closes) as Lambda stops an
 *   execution environment: when an extension registered through the Extensions API, the `SHUTDOWN` event
 *   goes to the extensions registered for it, then SIGTERM, then SIGKILL after
 *   {@link Defaults}.shutdownGraceMs; without any extension, SIGKILL at once.
 * - **Concurrency.** Invocations beyond `concurrency` (default 1) wait in a queue. With a concurrency above 1
 *   the process gets `AWS_LAMBDA_MAX_CONCURRENCY` and serves that many at once.
 * - **Crashes.** A process that exits during an invocation fails it with `Runtime.ExitError` ("Runtime exited
 *   with error: exit status 1"). An invocation the dead process never took is retried once on a fresh process.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import * as internal from "./internal/LocalFunction.js"

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
  /**
   * How long a process that got SIGTERM (an extension registered) may take to exit before SIGKILL; default
   * {@link Defaults}.shutdownGraceMs (Lambda's grace for a runtime with an internal extension).
   */
  readonly shutdownGraceMs?: number
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
 * Defaults of the {@link Options}, and the shutdown timing: with an extension registered, the process gets
 * SIGTERM and `shutdownGraceMs` (Lambda's grace for a runtime with an internal extension) before SIGKILL; the
 * `SHUTDOWN` event's `deadlineMs` is `shutdownBudgetMs` away (Lambda's shutdown budget).
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
  accountId: "123456789012",
  shutdownGraceMs: 500,
  shutdownBudgetMs: 2_000
} as const

/**
 * Start the function (its first process starts now) in the current scope. Closing the scope stops every
 * process (see the shutdown rule in the module's description) and interrupts the invocations in flight.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options: Options) => Effect.Effect<Service, LocalFunctionError, Scope.Scope> = internal.make

/**
 * The function as a scoped layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<LocalFunction, LocalFunctionError> =>
  Layer.scoped(LocalFunction, make(options))
