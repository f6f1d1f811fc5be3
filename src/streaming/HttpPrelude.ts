/**
 * The HTTP integration response format of streamed Function URL and API Gateway (`STREAM`) replies:
 * a JSON prelude `{ statusCode, headers, cookies }` (plus `multiValueHeaders` for API Gateway), then 8 NUL
 * bytes, then the raw body. The reply's content type is {@link ContentType}.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/**
 * Content type that tells Function URLs and API Gateway to parse a prelude.
 *
 * @since 0.1.0
 * @category constants
 */
export const ContentType = "application/vnd.awslambda.http-integration-response"

/**
 * The 8 NUL bytes between the prelude and the body.
 *
 * @since 0.1.0
 * @category constants
 */
export const Delimiter: Uint8Array = new Uint8Array(8)

/**
 * @since 0.1.0
 * @category models
 */
export interface Prelude {
  readonly statusCode: number
  readonly headers?: Readonly<Record<string, string>>
  readonly multiValueHeaders?: Readonly<Record<string, ReadonlyArray<string>>>
  readonly cookies?: ReadonlyArray<string>
}

/**
 * The prelude and the delimiter as one byte array (sent as the first chunk of the body). The JSON can never
 * contain a NUL byte: `JSON.stringify` escapes U+0000 as `\u0000`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (prelude: Prelude): Uint8Array => {
  const json = Buffer.from(JSON.stringify(prelude), "utf8")
  const out = new Uint8Array(json.length + Delimiter.length)
  out.set(json, 0)
  return out
}

/**
 * The whole streamed body: the prelude first (even when `body` is empty), then the body's chunks.
 *
 * @since 0.1.0
 * @category encoding
 */
export const stream = <E, R>(
  prelude: Prelude,
  body: Stream.Stream<Uint8Array, E, R>
): Stream.Stream<Uint8Array, E, R> =>
  Stream.concat(
    Stream.sync(() => encode(prelude)),
    body
  )

/**
 * The bytes did not start with a valid prelude.
 *
 * @since 0.1.0
 * @category errors
 */
export class PreludeError extends Schema.TaggedError<PreludeError>()("PreludeError", {
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid HTTP integration response prelude: ${this.reason}`
  }
}

const isStringRecord = (value: unknown): value is Record<string, string> =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((v) => typeof v === "string")

const parsePrelude = (json: Buffer): Prelude | PreludeError => {
  let value: unknown
  try {
    value = JSON.parse(json.toString("utf8"))
  } catch (error) {
    return new PreludeError({ reason: `not JSON (${error instanceof Error ? error.message : String(error)})` })
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return new PreludeError({ reason: "not a JSON object" })
  }
  const fields = value as Record<string, unknown>
  const statusCode = fields.statusCode ?? 200
  if (typeof statusCode !== "number" || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 999) {
    return new PreludeError({ reason: `statusCode ${JSON.stringify(fields.statusCode)} is not an HTTP status` })
  }
  if (fields.headers !== undefined && !isStringRecord(fields.headers)) {
    return new PreludeError({ reason: "headers is not an object of strings" })
  }
  if (
    fields.cookies !== undefined &&
    !(Array.isArray(fields.cookies) && fields.cookies.every((c) => typeof c === "string"))
  ) {
    return new PreludeError({ reason: "cookies is not an array of strings" })
  }
  const multi = fields.multiValueHeaders
  if (
    multi !== undefined &&
    !(
      typeof multi === "object" &&
      multi !== null &&
      Object.values(multi).every((v) => Array.isArray(v) && v.every((s) => typeof s === "string"))
    )
  ) {
    return new PreludeError({ reason: "multiValueHeaders is not an object of string arrays" })
  }
  return {
    statusCode,
    ...(fields.headers === undefined ? {} : { headers: fields.headers as Record<string, string> }),
    ...(multi === undefined ? {} : { multiValueHeaders: multi as Record<string, ReadonlyArray<string>> }),
    ...(fields.cookies === undefined ? {} : { cookies: fields.cookies as ReadonlyArray<string> })
  }
}

/**
 * Split a streamed HTTP integration response into its prelude and its body stream. The prelude is read up to
 * the first run of 8 NUL bytes (split across chunks or not); everything after is the body, passed on chunk by
 * chunk as it arrives. Fails with {@link PreludeError} when the stream ends before the delimiter or when the
 * prelude is not valid. `maxPreludeBytes` (default 64 KiB) bounds what is buffered while looking for it.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = <E, R>(
  bytes: Stream.Stream<Uint8Array, E, R>,
  options: { readonly maxPreludeBytes?: number } = {}
): Effect.Effect<
  { readonly prelude: Prelude; readonly body: Stream.Stream<Uint8Array, E, R> },
  E | PreludeError,
  R | Scope.Scope
> =>
  Effect.gen(function* () {
    const max = options.maxPreludeBytes ?? 64 * 1024
    const pull = yield* Stream.toPull(bytes)
    let buffered = Buffer.alloc(0)
    for (;;) {
      const next = yield* Effect.either(pull)
      if (Either.isLeft(next)) {
        if (Option.isSome(next.left)) return yield* Effect.fail(next.left.value)
        return yield* Effect.fail(new PreludeError({ reason: "the stream ended before the 8-byte NUL delimiter" }))
      }
      for (const chunk of next.right) {
        if (chunk.length > 0) buffered = buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffered, chunk])
      }
      const nul = buffered.indexOf(0)
      if (nul === -1) {
        if (buffered.length > max) {
          return yield* Effect.fail(new PreludeError({ reason: `no delimiter within the first ${max} bytes` }))
        }
        continue
      }
      if (buffered.length < nul + Delimiter.length) continue
      for (let i = nul; i < nul + Delimiter.length; i++) {
        if (buffered[i] !== 0) {
          return yield* Effect.fail(new PreludeError({ reason: "the prelude is followed by fewer than 8 NUL bytes" }))
        }
      }
      const prelude = parsePrelude(buffered.subarray(0, nul))
      if (prelude instanceof PreludeError) return yield* Effect.fail(prelude)
      const rest = buffered.subarray(nul + Delimiter.length)
      const tail = Stream.repeatEffectChunkOption(pull)
      return { prelude, body: rest.length > 0 ? Stream.concat(Stream.make(new Uint8Array(rest)), tail) : tail }
    }
  })
