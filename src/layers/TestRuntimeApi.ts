/**
 * An in-memory Runtime API for unit tests: queue invocations, read the replies. No HTTP, no environment.
 *
 * ```ts
 * import { assert, it } from "@effect/vitest"
 * import { Effect } from "effect"
 * import { TestRuntimeApi } from "effect-lambda-runtime"
 * import { handler } from "./my-function.js"
 *
 * it.effect("replies with the order", () =>
 *   Effect.gen(function* () {
 *     const result = yield* TestRuntimeApi.invoke(handler, { id: "42" })
 *     assert.deepStrictEqual(result, TestRuntimeApi.json({ id: "42" }))
 *   }))
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import type * as Handler from "../handler/Handler.js"
import * as InvocationContext from "../services/InvocationContext.js"
import * as ResponseSink from "../services/ResponseSink.js"
import * as RuntimeApi from "../services/RuntimeApi.js"
import * as RuntimeConfig from "../services/RuntimeConfig.js"
import * as RuntimeLoop from "../services/RuntimeLoop.js"
import type * as ErrorReport from "../streaming/ErrorReport.js"

/**
 * What the runtime sent back for one invocation (or at init).
 *
 * @since 0.1.0
 * @category models
 */
export type Reply =
  | {
      readonly _tag: "Response"
      readonly requestId: string
      readonly body: Uint8Array
      readonly contentType: string
    }
  | {
      readonly _tag: "Stream"
      readonly requestId: string
      readonly contentType: string
      readonly chunks: ReadonlyArray<Uint8Array>
      /** The error trailers, when the stream ended in error. */
      readonly trailers: RuntimeApi.ErrorTrailers | undefined
    }
  | { readonly _tag: "Error"; readonly requestId: string; readonly report: ErrorReport.ErrorReport }
  | { readonly _tag: "InitError"; readonly report: ErrorReport.ErrorReport }

/**
 * Inspection side of the in-memory Runtime API.
 *
 * @since 0.1.0
 * @category tags
 */
export class TestRuntimeApi extends Context.Tag("effect-lambda-runtime/TestRuntimeApi")<
  TestRuntimeApi,
  {
    /** Queue an invocation for the next `/next`. */
    readonly offer: (invocation: RuntimeApi.Invocation) => Effect.Effect<void>
    /** Every reply so far, in order. */
    readonly replies: Effect.Effect<ReadonlyArray<Reply>>
    /** Wait for the reply to one request id. */
    readonly awaitReply: (requestId: string) => Effect.Effect<Reply>
  }
>() {}

let counter = 0

/** An in-memory streamed reply: every chunk is accepted at once; `end` records it. */
/** A buffered reply's bytes (a string reply is UTF-8). */
const bytesOf = (body: string | Uint8Array): Uint8Array => (typeof body === "string" ? Buffer.from(body, "utf8") : body)

const memoryStream = (
  invocation: RuntimeApi.Invocation,
  contentType: string,
  record: (reply: Reply) => Effect.Effect<void>
): RuntimeApi.StreamWriter => {
  const chunks: Array<Uint8Array> = []
  let ended = false
  return {
    write: (chunk) => {
      chunks.push(new Uint8Array(chunk))
      return true
    },
    drained: Effect.void,
    end: (trailers) =>
      Effect.suspend(() => {
        if (ended) return Effect.dieMessage("streamed reply ended twice")
        ended = true
        return record({ _tag: "Stream", requestId: invocation.requestId, contentType, chunks, trailers })
      }),
    abort: Effect.sync(() => {
      ended = true
    })
  }
}

/**
 * Build an invocation as `/next` would deliver it. `event` is JSON-encoded unless it is bytes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const invocation = (
  event: unknown,
  fields: {
    readonly requestId?: string
    readonly deadlineMs?: number
    readonly headers?: Readonly<Record<string, string>>
  } = {}
): RuntimeApi.Invocation => {
  const requestId = fields.requestId ?? `test-request-${++counter}`
  const body = event instanceof Uint8Array ? event : Buffer.from(JSON.stringify(event) ?? "null", "utf8")
  return {
    requestId,
    headers: {
      [InvocationContext.Headers.requestId]: requestId,
      [InvocationContext.Headers.deadline]: String(fields.deadlineMs ?? Date.now() + 30_000),
      [InvocationContext.Headers.functionArn]: "arn:aws:lambda:us-east-1:123456789012:function:test-function",
      ...fields.headers
    },
    body
  }
}

/**
 * The in-memory Runtime API, with the given invocations already queued. `next` blocks when the queue is
 * empty, like the real long poll.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  invocations: Iterable<RuntimeApi.Invocation> = []
): Layer.Layer<RuntimeApi.RuntimeApi | TestRuntimeApi> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const pending = yield* Queue.unbounded<RuntimeApi.Invocation>()
      yield* Queue.offerAll(pending, invocations)
      const replies = yield* Ref.make<ReadonlyArray<Reply>>([])
      const waiters = new Map<string, Deferred.Deferred<Reply>>()
      const waiter = (requestId: string) => {
        let deferred = waiters.get(requestId)
        if (deferred === undefined) {
          deferred = Deferred.unsafeMake<Reply>(undefined as never)
          waiters.set(requestId, deferred)
        }
        return deferred
      }
      const record = (reply: Reply) =>
        Effect.zipRight(
          Ref.update(replies, (all) => [...all, reply]),
          reply._tag === "InitError" ? Effect.void : Deferred.succeed(waiter(reply.requestId), reply)
        )
      const api = RuntimeApi.RuntimeApi.of({
        next: Queue.take(pending),
        reply: (invocation, body, contentType) =>
          record({ _tag: "Response", requestId: invocation.requestId, body: bytesOf(body), contentType }),
        openStream: (invocation, contentType) => Effect.sync(() => memoryStream(invocation, contentType, record)),
        reportError: (invocation, report) => record({ _tag: "Error", requestId: invocation.requestId, report }),
        reportInitError: (report) => record({ _tag: "InitError", report })
      })
      return Context.make(RuntimeApi.RuntimeApi, api).pipe(
        Context.add(TestRuntimeApi, {
          offer: (invocation) => Queue.offer(pending, invocation),
          replies: Ref.get(replies),
          awaitReply: (requestId) => Deferred.await(waiter(requestId))
        })
      )
    })
  )

/**
 * The outcome of {@link invoke}.
 *
 * @since 0.1.0
 * @category models
 */
export type Result =
  | { readonly _tag: "Response"; readonly contentType: string; readonly body: Uint8Array; readonly text: string }
  | {
      readonly _tag: "Stream"
      readonly contentType: string
      /** The chunks as the runtime wrote them (empty chunks are never written). */
      readonly chunks: ReadonlyArray<Uint8Array>
      /** All chunks joined. */
      readonly body: Uint8Array
      /** The report decoded from the error trailers, when the stream ended in error. */
      readonly error: ErrorReport.ErrorReport | undefined
    }
  | { readonly _tag: "Error"; readonly report: ErrorReport.ErrorReport }

/**
 * Decode the report carried by error trailers (the base64 JSON body).
 *
 * @since 0.1.0
 * @category testing
 */
export const decodeTrailers = (trailers: RuntimeApi.ErrorTrailers): ErrorReport.ErrorReport => {
  const decoded: unknown = JSON.parse(
    Buffer.from(trailers["Lambda-Runtime-Function-Error-Body"], "base64").toString("utf8")
  )
  const fields = decoded as Partial<ErrorReport.ErrorReport>
  return {
    errorType: String(fields.errorType ?? trailers["Lambda-Runtime-Function-Error-Type"]),
    errorMessage: String(fields.errorMessage ?? ""),
    stackTrace: Array.isArray(fields.stackTrace) ? fields.stackTrace.map(String) : []
  }
}

/**
 * The expected {@link Result} of a JSON reply, for `assert.deepStrictEqual`.
 *
 * @since 0.1.0
 * @category testing
 */
export const json = (value: unknown, contentType = "application/json"): Result => {
  const text = JSON.stringify(value) ?? "null"
  return { _tag: "Response", contentType, body: new Uint8Array(Buffer.from(text, "utf8")), text }
}

/**
 * Invoke a handler once with `event`, in memory, through the same loop, sink and error rules as the live
 * runtime. Returns the reply (for a streaming handler: the chunks, the content type and the report decoded
 * from the error trailers) or the error report.
 *
 * @since 0.1.0
 * @category testing
 */
export const invoke = <E, R>(
  handler: Handler.Handler<E, R>,
  event: unknown,
  options: { readonly deadlineMs?: number; readonly settings?: Partial<RuntimeConfig.Settings> } = {}
): Effect.Effect<Result, never, R> =>
  Effect.gen(function* () {
    const replies: Array<Reply> = []
    const api = RuntimeApi.RuntimeApi.of({
      next: Effect.never,
      reply: (invocation, body, contentType) =>
        Effect.sync(() => {
          replies.push({ _tag: "Response", requestId: invocation.requestId, body: bytesOf(body), contentType })
        }),
      openStream: (invocation, contentType) =>
        Effect.sync(() =>
          memoryStream(invocation, contentType, (reply) =>
            Effect.sync(() => {
              replies.push(reply)
            })
          )
        ),
      reportError: (invocation, report) =>
        Effect.sync(() => {
          replies.push({ _tag: "Error", requestId: invocation.requestId, report })
        }),
      reportInitError: () => Effect.void
    })
    const settings = { ...RuntimeConfig.defaults, ...options.settings }
    const loop = RuntimeLoop.make(api, ResponseSink.make(api, settings), settings)
    yield* Effect.orDie(
      loop.handleOne(
        handler,
        invocation(event, options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs })
      )
    )
    const reply = replies[0]
    if (reply === undefined || replies.length !== 1) {
      return yield* Effect.dieMessage(`expected exactly one reply, got ${replies.length}`)
    }
    if (reply._tag === "Response") {
      const body = new Uint8Array(reply.body)
      return { _tag: "Response", contentType: reply.contentType, body, text: Buffer.from(body).toString("utf8") }
    }
    if (reply._tag === "Error") return { _tag: "Error", report: reply.report }
    if (reply._tag === "Stream") {
      return {
        _tag: "Stream",
        contentType: reply.contentType,
        chunks: reply.chunks,
        body: new Uint8Array(Buffer.concat(reply.chunks)),
        error: reply.trailers === undefined ? undefined : decodeTrailers(reply.trailers)
      }
    }
    return yield* Effect.dieMessage("unexpected init error")
  })
