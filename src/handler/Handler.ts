/**
 * How users describe a Lambda function: a function from the event to an `Effect` whose value is the reply
 * (buffered). The event is parsed as JSON and, when a `Schema` is given, decoded with it; the reply is
 * JSON unless it is a {@link RawReply}.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Handler } from "effect-lambda-runtime"
 *
 * const Order = Schema.Struct({ id: Schema.String })
 * export const handler = Handler.effect(Order, (order) => Effect.succeed({ ok: true, id: order.id }))
 * ```
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import type * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import * as ErrorTypes from "../internal/ErrorTypes.js"
import type { InvocationContext } from "../services/InvocationContext.js"
import * as ErrorReport from "../streaming/ErrorReport.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("effect-lambda-runtime/Handler")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A buffered reply ready for the wire: the body (a string is sent as UTF-8) and its content type.
 *
 * @since 0.1.0
 * @category models
 */
export interface Payload {
  readonly body: string | Uint8Array
  readonly contentType: string
}

/**
 * A streamed reply: the runtime pulls `stream` into a streamed `/response` (see `ChunkedUpload`).
 *
 * @since 0.1.0
 * @category models
 */
export class StreamReply {
  constructor(
    readonly stream: Stream.Stream<Uint8Array, unknown, unknown>,
    readonly contentType: string
  ) {}
}

/**
 * A Lambda function. `E` is its typed failure, `R` what it needs beyond {@link InvocationContext}
 * (provided by the runtime for each invocation).
 *
 * @since 0.1.0
 * @category models
 */
export interface Handler<out E = unknown, out R = never> {
  readonly [TypeId]: TypeId
  /** `Buffered`: the reply is one body. `Streamed`: the reply is a byte stream sent as it is produced. */
  readonly _tag: "Buffered" | "Streamed"
  /** Decode the event, run the function, encode the reply (or describe the stream). */
  readonly run: (event: Uint8Array) => Effect.Effect<Payload | StreamReply, E | EventError, R | InvocationContext>
  /** Turn a failed run into the error report Lambda gets. */
  readonly report: (cause: Cause.Cause<unknown>) => ErrorReport.ErrorReport
}

/**
 * The event could not be turned into the handler's input, or the reply could not be encoded.
 *
 * - `Json`: the event body is not valid JSON (reported as `Runtime.MalformedEvent`);
 * - `Schema`: the event does not match the handler's schema (reported as `Runtime.EventDecodeError`;
 *   the message names each failing path);
 * - `Encode`: the handler's value cannot be serialized to JSON (reported as `Runtime.SerializationError`).
 *
 * @since 0.1.0
 * @category errors
 */
export class EventError extends Data.TaggedError("EventError")<{
  readonly reason: "Json" | "Schema" | "Encode"
  readonly detail: string
}> {
  /** The `errorType` Lambda receives. */
  get errorType(): string {
    return this.reason === "Json"
      ? ErrorTypes.MalformedEvent
      : this.reason === "Schema"
        ? ErrorTypes.EventDecodeError
        : ErrorTypes.SerializationError
  }
  override get message(): string {
    return this.detail
  }
}

/**
 * A reply sent as given rather than as JSON. Make one with {@link raw}.
 *
 * @since 0.1.0
 * @category models
 */
export class RawReply implements Payload {
  constructor(
    readonly body: string | Uint8Array,
    readonly contentType: string
  ) {}
}

/**
 * Reply with these bytes (or this text, as UTF-8) and this content type instead of JSON.
 *
 * @since 0.1.0
 * @category constructors
 */
export const raw = (body: string | Uint8Array, contentType: string): RawReply => new RawReply(body, contentType)

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<E> {
  /** Content type of JSON replies (default `application/json`). */
  readonly contentType?: string
  /** Map a typed failure to a report; return `undefined` to use the default (`_tag`, `message`). */
  readonly mapError?: ErrorReport.Mapper<E>
}

const decoder = new TextDecoder("utf-8", { fatal: true })

const parseJson = (event: Uint8Array): Effect.Effect<unknown, EventError> => {
  try {
    return Effect.succeed(JSON.parse(decoder.decode(event)))
  } catch (error) {
    return Effect.fail(
      new EventError({
        reason: "Json",
        detail: `The event is not valid JSON: ${error instanceof Error ? error.message : String(error)}`
      })
    )
  }
}

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.length === 0 ? "(root)" : path.map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`)).join("")

/**
 * Describe a schema failure as one line per failing path: `at .order.id: Expected string, actual 1`.
 */
const schemaError = (issue: ParseResult.ParseIssue): EventError => {
  const issues = ParseResult.ArrayFormatter.formatIssueSync(issue)
  const detail = issues.map((issue) => `at ${formatPath(issue.path)}: ${issue.message}`).join("; ")
  return new EventError({ reason: "Schema", detail: `The event does not match the handler's schema: ${detail}` })
}

const encode = (value: unknown, contentType: string): Effect.Effect<Payload, EventError> => {
  if (value instanceof RawReply) return Effect.succeed(value)
  try {
    const json = JSON.stringify(value)
    return Effect.succeed({ body: json === undefined ? "null" : json, contentType })
  } catch (error) {
    return Effect.fail(
      new EventError({
        reason: "Encode",
        detail: `The reply cannot be serialized to JSON: ${error instanceof Error ? error.message : String(error)}`
      })
    )
  }
}

const makeReport =
  <E>(mapError: ErrorReport.Mapper<E> | undefined) =>
  (cause: Cause.Cause<unknown>): ErrorReport.ErrorReport =>
    ErrorReport.fromCause(cause, (error) => {
      if (error instanceof EventError) return ErrorReport.make(error.errorType, error.message)
      return mapError === undefined ? undefined : mapError(error as E)
    })

/**
 * Whether the first argument is a schema. `effect/Schema`'s own guard would load the Schema module into every
 * function, with or without a schema; its type id is a registered symbol, so the check needs nothing from it.
 */
const SchemaTypeId = Symbol.for("effect/Schema")
const isSchema = (u: unknown): u is Schema.Schema<unknown, unknown, never> =>
  (typeof u === "function" || (typeof u === "object" && u !== null)) &&
  SchemaTypeId in u &&
  typeof (u as Record<symbol, unknown>)[SchemaTypeId] === "object"

/** Event bytes → the handler's input: parsed JSON, decoded with the schema (compiled once) when there is one. */
const eventInput = (
  schema: Schema.Schema<unknown, unknown, never> | undefined
): ((event: Uint8Array) => Effect.Effect<unknown, EventError>) => {
  if (schema === undefined) return parseJson
  const decode = ParseResult.decodeUnknown(schema)
  return (event) =>
    Effect.flatMap(parseJson(event), (json) => Effect.mapError(decode(json, { errors: "all" }), schemaError))
}

/**
 * A buffered handler. Without a schema it receives the parsed JSON event (`unknown`); with one, the decoded
 * event. Its value is the reply: JSON-encoded, or sent as is when it is a {@link RawReply}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const effect: {
  <A, E, R>(
    f: (event: unknown) => Effect.Effect<A, E, R>,
    options?: Options<E>
  ): Handler<E, Exclude<R, InvocationContext>>
  <Event, I, A, E, R>(
    schema: Schema.Schema<Event, I, never>,
    f: (event: Event) => Effect.Effect<A, E, R>,
    options?: Options<E>
  ): Handler<E, Exclude<R, InvocationContext>>
} = (...args: Array<unknown>): Handler<unknown, never> => {
  const hasSchema = isSchema(args[0])
  const f = (hasSchema ? args[1] : args[0]) as (event: unknown) => Effect.Effect<unknown, unknown, InvocationContext>
  const options = ((hasSchema ? args[2] : args[1]) ?? {}) as Options<unknown>
  const contentType = options.contentType ?? "application/json"
  const input = eventInput(hasSchema ? (args[0] as Schema.Schema<unknown, unknown, never>) : undefined)
  return {
    [TypeId]: TypeId,
    _tag: "Buffered",
    run: (event) => Effect.flatMap(Effect.flatMap(input(event), f), (value) => encode(value, contentType)),
    report: makeReport(options.mapError)
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StreamOptions<E> {
  /** Content type of the streamed reply (default `application/octet-stream`). */
  readonly contentType?: string
  /** Map a typed failure to a report; return `undefined` to use the default (`_tag`, `message`). */
  readonly mapError?: ErrorReport.Mapper<E>
}

/**
 * A streaming handler: the event (parsed JSON, or decoded with `schema`) becomes a `Stream` of bytes that the
 * runtime sends as a streamed reply, pulling it only as fast as the connection takes it. A failure before the
 * first byte is reported to `/error`; after it, the reply ends with Lambda's error trailers. The stream's
 * finalizers run when it ends, fails, is interrupted (deadline, shutdown) or the connection breaks.
 *
 * @since 0.1.0
 * @category constructors
 */
export const stream: {
  <E, R>(
    f: (event: unknown) => Stream.Stream<Uint8Array, E, R>,
    options?: StreamOptions<E>
  ): Handler<E, Exclude<R, InvocationContext>>
  <Event, I, E, R>(
    schema: Schema.Schema<Event, I, never>,
    f: (event: Event) => Stream.Stream<Uint8Array, E, R>,
    options?: StreamOptions<E>
  ): Handler<E, Exclude<R, InvocationContext>>
} = (...args: Array<unknown>): Handler<unknown, never> => {
  const hasSchema = isSchema(args[0])
  const f = (hasSchema ? args[1] : args[0]) as (event: unknown) => Stream.Stream<Uint8Array, unknown, unknown>
  const options = ((hasSchema ? args[2] : args[1]) ?? {}) as StreamOptions<unknown>
  const contentType = options.contentType ?? "application/octet-stream"
  const input = eventInput(hasSchema ? (args[0] as Schema.Schema<unknown, unknown, never>) : undefined)
  return {
    [TypeId]: TypeId,
    _tag: "Streamed",
    run: (event) => Effect.flatMap(input(event), (value) => Effect.sync(() => new StreamReply(f(value), contentType))),
    report: makeReport(options.mapError)
  }
}

/**
 * Whether a value is a {@link Handler}.
 *
 * @since 0.1.0
 * @category guards
 */
export const isHandler = (value: unknown): value is Handler<unknown, unknown> =>
  typeof value === "object" && value !== null && TypeId in value
