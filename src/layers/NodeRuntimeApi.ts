/**
 * The live Runtime API client: HTTP/1.1 on raw keep-alive `net.Socket`s, one per worker.
 *
 * Measured against `node:http` with a reused agent, a hand-rolled exchange on a raw socket costs about a
 * third of the client CPU per invocation: the Runtime API is a local, trusted peer speaking a tiny subset
 * of HTTP. The bytes are `RuntimeApiWire`'s, the socket exchange `Http1Connection`'s; this module is the
 * service: what each call sends, retries, the answer guard, and what each answer means.
 *
 * Status handling (Runtime API §3.6): `/next` answered with anything but 200 fails with `StatusCode`;
 * a dropped connection on `/next` is retried a few times with backoff, then fails with `Transport`.
 * A POST answered with anything but 2xx fails with `StatusCode` (the loop decides what each code means).
 * A reply reaches the API at most once: a POST is retried (once, on a fresh connection) only when none of it
 * left (the connection never opened); one that is not answered within `answerTimeoutMs` fails with `Transport`.
 *
 * Pipelining (`pipelineNext`, on by default): a reply or an error report whose caller says its next call is `next`
 * (`PostOptions.thenNext`, as the loop does) carries the `GET /next` in the same write, on the same connection
 * (HTTP/1.1 pipelining; the API serves the two in order and answers `/next` when the next invocation comes), and the
 * next `next` call takes that answer. It saves a write, a wake-up and a round trip
 * per invocation. A pipelined `/next` that the API never served (the connection ended with the reply's answer, or
 * failed) is sent again as a plain `/next`; one whose answer the loop never asks for is closed with the client.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import {
  type Callback,
  ConnectionClosed,
  type Http1Connection,
  NotSent,
  NotServed,
  type Response
} from "../internal/Http1Connection.js"
import { Pool } from "../internal/Pool.js"
import * as Wire from "../internal/RuntimeApiWire.js"
import * as RuntimeApi from "../services/RuntimeApi.js"
import * as RuntimeConfig from "../services/RuntimeConfig.js"
import * as ErrorReport from "../streaming/ErrorReport.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly host: string
  readonly port: number
  /** Retries of `/next` after a dropped connection (default 3; backoff 50 ms, doubling). */
  readonly nextRetries?: number
  /**
   * How long a POST (and the end of a streamed reply) waits for the API's answer before the connection is
   * dropped (default 3000 ms; 0 waits forever).
   */
  readonly answerTimeoutMs?: number
  /**
   * Whether a reply or an error report with `thenNext` carries the next `/next` pipelined behind it (default true). Off, `/next` is
   * sent once the reply is answered, for a Runtime API that cannot serve pipelined requests
   * (`EFFECT_LAMBDA_PIPELINE_NEXT=false`).
   */
  readonly pipelineNext?: boolean
}

/** Bytes a streamed reply may have queued in user space before the stream is paused (about four 64 KiB chunks). */
const streamWriteBudget = 256 * 1024

/** A failed exchange: an answer that breaks the protocol (or its limits) is `Protocol`, anything else `Transport`. */
const transportError = (endpoint: string, cause: unknown): RuntimeApi.RuntimeApiError =>
  new RuntimeApi.RuntimeApiError({
    reason: cause instanceof Wire.ProtocolError ? "Protocol" : "Transport",
    endpoint,
    detail: cause instanceof Error ? cause.message : String(cause),
    cause
  })

const statusError = (endpoint: string, response: Response): RuntimeApi.RuntimeApiError =>
  new RuntimeApi.RuntimeApiError({
    reason: "StatusCode",
    endpoint,
    status: response.status,
    detail:
      response.body.length > 0 ? response.body.toString("utf8", 0, Math.min(response.body.length, 512)) : "no body"
  })

/**
 * One request of an exchange: the head, and the body until the exchange has an outcome (see `send`).
 *
 * The body is held here, not by the exchange's closures: when the closures of the async wait and of the connection's
 * callback held it, every large reply outlived its invocation into the young generation's next collections and was
 * promoted to the old one (Node 22, 1 MiB JSON replies: 0.9 MiB promoted and a full collection every ten invocations;
 * emptied here, 16 KiB and none; `bench/experiments/gc-per-invocation.mjs json-1mb`, issue 13).
 */
interface Request {
  readonly head: string
  body: string | Uint8Array | undefined
}

/** A `/next` pipelined behind a reply on `connection`: its outcome once read, or who waits for it. */
class PipelinedNext {
  outcome: Response | Error | undefined
  wake: ((outcome: Response | Error) => void) | undefined
  constructor(readonly connection: Http1Connection) {}
  readonly settle: Callback = (error, response) => {
    const outcome = error ?? response!
    const wake = this.wake
    this.wake = undefined
    if (wake === undefined) this.outcome = outcome
    else wake(outcome)
  }
}

/**
 * Build the client. The sockets are closed when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options) =>
  Effect.gen(function* () {
    const pool = yield* Effect.acquireRelease(
      Effect.sync(() => new Pool(options.host, options.port, options.answerTimeoutMs ?? 3_000)),
      (pool) => Effect.sync(() => pool.close())
    )
    const common = Wire.commonFields(options.host, options.port)
    const nextRequest: Request = { head: Wire.getHead(RuntimeApi.Paths.next, common), body: undefined }
    const retries = options.nextRetries ?? 3
    const pipelineNext = options.pipelineNext ?? true
    /** `/next` requests pipelined behind replies, oldest first, whose answers no `next` call has taken yet. */
    const pipelined: Array<PipelinedNext> = []

    /**
     * One exchange on a pooled connection. Its outcome (the answer, or the error) is turned by `then` into the effect
     * the fiber resumes with: retries and the meaning of the answer are decided there, so a call is a single step of
     * the fiber. No closure of the exchange holds the request's body itself (see `Request`); `then` runs within the
     * callback, so it can let go of the body before the fiber resumes.
     */
    const exchange = <A>(
      endpoint: string,
      request: Request,
      guarded: boolean,
      then: (outcome: Response | RuntimeApi.RuntimeApiError) => Effect.Effect<A, RuntimeApi.RuntimeApiError>,
      withNext = false
    ) =>
      Effect.async<A, RuntimeApi.RuntimeApiError>((resume) => {
        if (pool.closed) {
          resume(then(transportError(endpoint, new ConnectionClosed("the client is shut down"))))
          return
        }
        const connection = pool.acquire()
        // The pipelined `/next` keeps the connection until its own answer: whoever takes it gives the connection back.
        const ahead = withNext ? new PipelinedNext(connection) : undefined
        if (ahead !== undefined) pipelined.push(ahead)
        let done = false
        connection.exchange(
          request.head,
          request.body,
          (error, response) => {
            done = true
            if (error !== undefined) {
              pool.discard(connection)
              resume(then(transportError(endpoint, error)))
            } else {
              if (ahead === undefined) pool.release(connection)
              resume(then(response!))
            }
          },
          guarded,
          ahead === undefined ? undefined : { head: nextRequest.head, callback: ahead.settle }
        )
        // A POST (guarded) is never cancelled: once any of it may have left it runs to its answer or its answer
        // guard, and its callback gives the connection back; an interrupted caller only stops waiting (the loop sends
        // replies uninterruptibly anyway). No canceler also keeps this wait a single step of the fiber. An interrupted
        // `/next` drops its connection.
        if (guarded) return
        return Effect.sync(() => {
          if (!done) pool.discard(connection)
        })
      })

    const toInvocation = (response: Response): Effect.Effect<RuntimeApi.Invocation, RuntimeApi.RuntimeApiError> => {
      if (response.status !== 200) return Effect.fail(statusError("/runtime/invocation/next", response))
      const requestId = response.headers[Wire.RequestIdHeader]
      if (requestId === undefined || requestId === "") {
        return Effect.fail(
          new RuntimeApi.RuntimeApiError({
            reason: "Protocol",
            endpoint: "/runtime/invocation/next",
            status: 200,
            detail: "the invocation has no Lambda-Runtime-Aws-Request-Id header"
          })
        )
      }
      return Effect.succeed({ requestId, headers: response.headers, body: response.body })
    }

    /**
     * The answer of a `/next` pipelined behind a reply. One the API never served (or that never left) is sent again as
     * a plain `/next`; one that failed after it was sent is its first attempt, retried as a plain `/next`'s would be.
     * An interrupted wait drops the connection, as a plain `/next` does.
     */
    const pipelinedAnswer = (ahead: PipelinedNext): Effect.Effect<RuntimeApi.Invocation, RuntimeApi.RuntimeApiError> =>
      Effect.async<RuntimeApi.Invocation, RuntimeApi.RuntimeApiError>((resume) => {
        const take = (outcome: Response | Error) => {
          if (outcome instanceof Error) {
            pool.discard(ahead.connection)
            resume(
              outcome instanceof NotServed || outcome instanceof NotSent
                ? nextAttempt(0)
                : nextFailed(transportError("/runtime/invocation/next", outcome), 0)
            )
          } else {
            pool.release(ahead.connection)
            resume(toInvocation(outcome))
          }
        }
        if (ahead.outcome !== undefined) return take(ahead.outcome)
        ahead.wake = take
        return Effect.sync(() => {
          if (ahead.wake === undefined) return
          ahead.wake = undefined
          pool.discard(ahead.connection)
        })
      })

    /** `/next`, attempt `attempt`: a dropped connection is retried (with backoff) up to `retries` times. */
    const nextAttempt = (attempt: number): Effect.Effect<RuntimeApi.Invocation, RuntimeApi.RuntimeApiError> =>
      exchange("/runtime/invocation/next", nextRequest, false, (outcome) =>
        outcome instanceof RuntimeApi.RuntimeApiError ? nextFailed(outcome, attempt) : toInvocation(outcome)
      )

    /** After attempt `attempt` of `/next` failed: retried (with backoff) while the connection is what failed. */
    const nextFailed = (
      error: RuntimeApi.RuntimeApiError,
      attempt: number
    ): Effect.Effect<RuntimeApi.Invocation, RuntimeApi.RuntimeApiError> => {
      if (error.reason !== "Transport" || attempt >= retries || pool.closed) return Effect.fail(error)
      return Effect.zipRight(
        Effect.logWarning(`Runtime API: ${error.message}; retrying /next (${attempt + 1}/${retries})`),
        Effect.zipRight(Effect.sleep(50 * 2 ** attempt), nextAttempt(attempt + 1))
      )
    }

    /**
     * A POST: 2xx is success, another status a `StatusCode` failure; sent again (once) only when none of it left.
     * The body travels in `request`, emptied once the exchange has an outcome that is not sent again.
     */
    const send = (
      endpoint: string,
      request: Request,
      retried: boolean,
      withNext: boolean
    ): Effect.Effect<void, RuntimeApi.RuntimeApiError> =>
      exchange(
        endpoint,
        request,
        true,
        (outcome) => {
          const failed = outcome instanceof RuntimeApi.RuntimeApiError
          // Only a request that provably never left may be sent again: a reply reaches the API at most once.
          if (
            failed &&
            !retried &&
            outcome.reason === "Transport" &&
            outcome.cause instanceof NotSent &&
            !pool.closed
          ) {
            return send(endpoint, request, true, false)
          }
          request.body = undefined
          if (failed) return Effect.fail(outcome)
          return outcome.status >= 200 && outcome.status < 300
            ? Effect.void
            : Effect.fail(statusError(endpoint, outcome))
        },
        withNext
      )

    /** `send` with a request of its own each time the effect runs; `withNext`: `/next` pipelined behind it. */
    const post = (endpoint: string, head: string, body: string | Uint8Array, withNext: boolean) =>
      Effect.suspend(() => send(endpoint, { head, body }, false, withNext))

    const postError = (
      endpoint: string,
      path: string,
      report: ErrorReport.ErrorReport,
      extra: string,
      withNext: boolean
    ) => {
      const body = Buffer.from(ErrorReport.toJson(report), "utf8")
      const type = ErrorReport.headerSafeType(report.errorType)
      return post(
        endpoint,
        Wire.errorHead(path, common, body.length, type, ErrorReport.xrayErrorCause(report), extra),
        body,
        withNext
      )
    }

    const openStream = (
      invocation: RuntimeApi.Invocation,
      contentType: string
    ): Effect.Effect<RuntimeApi.StreamWriter, RuntimeApi.RuntimeApiError> =>
      Effect.sync(() => {
        const endpoint = "/runtime/invocation/response"
        const connection = pool.acquire()
        let head: string | undefined = Wire.streamHead(
          RuntimeApi.Paths.response(invocation.requestId),
          common,
          contentType,
          Wire.invocationIdField(invocation.headers)
        )
        let ended = false
        let outcome: { readonly error: Error | undefined; readonly response: Response | undefined } | undefined
        let notify: (() => void) | undefined
        const socket = connection.begin((error, response) => {
          outcome = { error, response }
          const wake = notify
          notify = undefined
          wake?.()
        })
        const writeHead = () => {
          if (head !== undefined) {
            socket.write(head, "latin1")
            head = undefined
          }
        }
        let settled = false
        const settle = (): Effect.Effect<void, RuntimeApi.RuntimeApiError> => {
          settled = true
          const { error, response } = outcome!
          if (error !== undefined || response === undefined) {
            pool.discard(connection)
            return Effect.fail(transportError(endpoint, error ?? new ConnectionClosed("no response")))
          }
          if (ended) pool.release(connection)
          else pool.discard(connection)
          return response.status >= 200 && response.status < 300
            ? Effect.void
            : Effect.fail(statusError(endpoint, response))
        }
        const awaitOutcome = Effect.async<void, RuntimeApi.RuntimeApiError>((resume) => {
          if (outcome !== undefined) return resume(settle())
          notify = () => resume(settle())
          return Effect.sync(() => {
            notify = undefined
            if (outcome === undefined) pool.discard(connection)
          })
        })
        const earlyAnswer = (): RuntimeApi.RuntimeApiError => {
          const response = outcome?.response
          return response === undefined
            ? transportError(endpoint, outcome?.error ?? new ConnectionClosed("connection closed mid-stream"))
            : new RuntimeApi.RuntimeApiError({
                reason: "StatusCode",
                endpoint,
                status: response.status,
                detail: `answered before the end of the streamed body: ${response.body.toString("utf8", 0, 512)}`
              })
        }
        const writer: RuntimeApi.StreamWriter = {
          write: (chunk) => {
            // `writable` is false as soon as the socket errored (a reset), even before it is destroyed.
            if (outcome !== undefined || !socket.writable) return false
            socket.cork()
            writeHead()
            socket.write(Wire.chunkSizeLine(chunk.length), "latin1")
            socket.write(chunk)
            socket.write(Wire.CRLF, "latin1")
            socket.uncork()
            // Backpressure against our own budget rather than the socket's 16 KiB high-water mark, which a single
            // 64 KiB chunk always exceeds: waiting for `drain` after every chunk halved throughput (bench: stream).
            return socket.writableLength < streamWriteBudget
          },
          drained: Effect.async<void, RuntimeApi.RuntimeApiError>((resume) => {
            if (outcome !== undefined || !socket.writable) return resume(Effect.fail(earlyAnswer()))
            if (!socket.writableNeedDrain || socket.writableLength < streamWriteBudget) return resume(Effect.void)
            const onDrain = () => {
              notify = undefined
              resume(Effect.void)
            }
            socket.once("drain", onDrain)
            notify = () => {
              socket.off("drain", onDrain)
              resume(Effect.fail(earlyAnswer()))
            }
            return Effect.sync(() => {
              socket.off("drain", onDrain)
              notify = undefined
            })
          }),
          end: (trailers) =>
            Effect.suspend(() => {
              if (outcome === undefined && !socket.destroyed) {
                socket.cork()
                writeHead()
                socket.write(Wire.lastChunk(trailers), "latin1")
                socket.uncork()
                ended = true
                // The API answers as soon as it has read the end; one that never does must not hang the loop.
                connection.guard()
              }
              return awaitOutcome
            }),
          // Once the exchange is settled the connection is back in the pool (or gone): never touch it again.
          abort: Effect.sync(() => {
            if (!settled) pool.discard(connection)
          })
        }
        return writer
      })

    return RuntimeApi.RuntimeApi.of({
      openStream,
      next: Effect.suspend(() => {
        const ahead = pipelined.shift()
        return ahead === undefined ? nextAttempt(0) : pipelinedAnswer(ahead)
      }),
      reply: (invocation, body, contentType, options) =>
        post(
          "/runtime/invocation/response",
          Wire.postHead(
            RuntimeApi.Paths.response(invocation.requestId),
            common,
            contentType,
            typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.length,
            Wire.invocationIdField(invocation.headers)
          ),
          body,
          pipelineNext && options?.thenNext === true
        ),
      reportError: (invocation, report, options) =>
        postError(
          "/runtime/invocation/error",
          RuntimeApi.Paths.error(invocation.requestId),
          report,
          Wire.invocationIdField(invocation.headers),
          pipelineNext && options?.thenNext === true
        ),
      reportInitError: (report) => postError("/runtime/init/error", RuntimeApi.Paths.initError, report, "", false)
    })
  })

/**
 * The live client for the given address.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<RuntimeApi.RuntimeApi> =>
  Layer.scoped(RuntimeApi.RuntimeApi, make(options))

/**
 * The live client for `AWS_LAMBDA_RUNTIME_API`, from {@link RuntimeConfig.RuntimeConfig}.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<RuntimeApi.RuntimeApi, never, RuntimeConfig.RuntimeConfig> = Layer.scoped(
  RuntimeApi.RuntimeApi,
  Effect.flatMap(RuntimeConfig.RuntimeConfig, (config) =>
    make({
      host: config.runtimeApiHost,
      port: config.runtimeApiPort,
      answerTimeoutMs: config.answerTimeoutMs,
      pipelineNext: config.pipelineNext
    })
  )
)
