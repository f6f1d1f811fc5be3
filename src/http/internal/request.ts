/**
 * The `HttpServerRequest` an app sees for a Lambda HTTP event: built from the event's fields without a socket
 * or a web `Request` (no URL parsing, no header re-validation, no body copy until a route reads the body).
 *
 * @internal
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Multipart from "@effect/platform/Multipart"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

/**
 * The request body as the event carries it: a string, base64 or not. Bytes and text are derived lazily, once.
 *
 * @internal
 */
export class Body {
  private cachedBytes: Uint8Array | undefined
  private cachedText: string | undefined
  constructor(
    private readonly raw: string,
    private readonly base64: boolean
  ) {}

  get isEmpty(): boolean {
    return this.raw.length === 0
  }

  get bytes(): Uint8Array {
    if (this.cachedBytes === undefined) this.cachedBytes = Buffer.from(this.raw, this.base64 ? "base64" : "utf8")
    return this.cachedBytes
  }

  get text(): string {
    if (this.cachedText === undefined) {
      if (this.base64) {
        const bytes = this.bytes
        this.cachedText = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")
      } else {
        this.cachedText = this.raw
      }
    }
    return this.cachedText
  }

  /** The bytes as an `ArrayBuffer`; a copy only when the bytes are a view into a larger (pooled) buffer. */
  get arrayBuffer(): ArrayBuffer {
    const bytes = this.bytes
    const buffer = bytes.buffer as ArrayBuffer
    return bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength
      ? buffer
      : buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  }
}

/** @internal */
export const emptyBody: Body = new Body("", false)

/**
 * Per-request state shared by every copy of the request (`modify`): whether the reply is streamed, and what
 * the app answered (set once, by the response callback).
 *
 * @internal
 */
export interface Exchange<A> {
  stream: boolean
  reply: A | undefined
}

/**
 * An `HttpServerRequest` made from a Lambda HTTP event.
 *
 * @internal
 */
export class LambdaServerRequest<A = unknown> extends Inspectable.Class implements HttpServerRequest.HttpServerRequest {
  readonly [HttpServerRequest.TypeId]: HttpServerRequest.TypeId = HttpServerRequest.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  private cachedCookies: Record<string, string> | undefined

  constructor(
    /** The parsed event. */
    readonly source: unknown,
    readonly method: HttpMethod,
    readonly url: string,
    readonly originalUrl: string,
    readonly headers: Headers.Headers,
    readonly remoteAddress: Option.Option<string>,
    readonly body: Body,
    readonly exchange: Exchange<A>
  ) {
    super()
  }

  get cookies(): Record<string, string> {
    if (this.cachedCookies === undefined) this.cachedCookies = Cookies.parseHeader(this.headers.cookie ?? "")
    return this.cachedCookies
  }

  modify(options: {
    readonly url?: string
    readonly headers?: Headers.Headers
    readonly remoteAddress?: string
  }): LambdaServerRequest<A> {
    return new LambdaServerRequest(
      this.source,
      this.method,
      options.url ?? this.url,
      this.originalUrl,
      options.headers ?? this.headers,
      options.remoteAddress === undefined ? this.remoteAddress : Option.some(options.remoteAddress),
      this.body,
      this.exchange
    )
  }

  private decodeError(cause: unknown): HttpServerError.RequestError {
    return new HttpServerError.RequestError({ request: this, reason: "Decode", cause })
  }

  get text(): Effect.Effect<string, HttpServerError.RequestError> {
    return Effect.sync(() => this.body.text)
  }

  get json(): Effect.Effect<unknown, HttpServerError.RequestError> {
    return Effect.try({ try: () => JSON.parse(this.body.text) as unknown, catch: (cause) => this.decodeError(cause) })
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpServerError.RequestError> {
    return Effect.try({
      try: () => UrlParams.fromInput(new URLSearchParams(this.body.text)),
      catch: (cause) => this.decodeError(cause)
    })
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpServerError.RequestError> {
    return Effect.sync(() => this.body.arrayBuffer)
  }

  get stream(): Stream.Stream<Uint8Array, HttpServerError.RequestError> {
    return this.body.isEmpty ? Stream.empty : Stream.suspend(() => Stream.succeed(this.body.bytes))
  }

  get multipart(): HttpServerRequest.HttpServerRequest["multipart"] {
    return Multipart.toPersisted(this.multipartStream)
  }

  get multipartStream(): Stream.Stream<Multipart.Part, Multipart.MultipartError> {
    return Stream.pipeThroughChannel(
      Stream.mapError(this.stream, (cause) => new Multipart.MultipartError({ reason: "InternalError", cause })),
      Multipart.makeChannel(this.headers)
    )
  }

  get upgrade(): HttpServerRequest.HttpServerRequest["upgrade"] {
    return Effect.fail(
      new HttpServerError.RequestError({
        request: this,
        reason: "Decode",
        description: "a Lambda HTTP request cannot be upgraded"
      })
    )
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpServerRequest",
      method: this.method,
      url: this.originalUrl
    })
  }
}

/** The prototype of platform `Headers` records, so that a record can be made one without `setPrototypeOf`. */
const headersProto: object = Object.getPrototypeOf(Headers.empty)

/**
 * Accumulates request headers: names lower-cased; repeated values joined with `", "`, except `cookie`
 * (joined with `"; "`, as a user agent sends one `Cookie` header).
 *
 * @internal
 */
export class HeaderBuilder {
  private readonly record: Record<string, string> = Object.create(headersProto)

  add(name: string, value: string): void {
    const key = name.toLowerCase()
    const previous = this.record[key]
    this.record[key] = previous === undefined ? value : previous + (key === "cookie" ? "; " : ", ") + value
  }

  addAll(name: string, values: ReadonlyArray<unknown>): void {
    for (const value of values) if (typeof value === "string") this.add(name, value)
  }

  get(name: string): string | undefined {
    return this.record[name]
  }

  build(): Headers.Headers {
    return this.record as Headers.Headers
  }
}

/** @internal */
export type StringRecord = Readonly<Record<string, unknown>> | null | undefined

/** @internal */
export const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * Headers from a single-value map (`headers`) or a multi-value map (`multiValueHeaders`); the multi-value map
 * wins when present, since it holds every value.
 *
 * @internal
 */
export const headersFrom = (single: unknown, multi: unknown): HeaderBuilder => {
  const builder = new HeaderBuilder()
  if (isRecord(multi)) {
    for (const name in multi) {
      const values = multi[name]
      if (Array.isArray(values)) builder.addAll(name, values)
      else if (typeof values === "string") builder.add(name, values)
    }
  } else if (isRecord(single)) {
    for (const name in single) {
      const value = single[name]
      if (typeof value === "string") builder.add(name, value)
    }
  }
  return builder
}

const methods: ReadonlySet<string> = new Set(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])

/**
 * The method, upper-cased. Methods outside `HttpMethod` (`TRACE`, extension methods) are passed on as given:
 * a router answers them 404.
 *
 * @internal
 */
export const method = (value: string): HttpMethod => {
  const upper = methods.has(value) ? value : value.toUpperCase()
  return upper as HttpMethod
}

/**
 * Build the request. `path` must start with `/` (one is added otherwise); `query` is the raw query string,
 * without `?`. GET and HEAD never carry a body.
 *
 * @internal
 */
export const make = <A>(fields: {
  readonly source: unknown
  readonly method: string
  readonly path: string
  readonly query: string
  readonly headers: Headers.Headers
  readonly remoteAddress: string | undefined
  readonly body: unknown
  readonly isBase64Encoded: unknown
}): LambdaServerRequest<A> => {
  const verb = method(fields.method)
  const path = fields.path.length > 0 && fields.path[0] === "/" ? fields.path : "/" + fields.path
  const url = fields.query.length > 0 ? path + "?" + fields.query : path
  const body =
    verb === "GET" || verb === "HEAD" || typeof fields.body !== "string" || fields.body.length === 0
      ? emptyBody
      : new Body(fields.body, fields.isBase64Encoded === true)
  return new LambdaServerRequest<A>(
    fields.source,
    verb,
    url,
    url,
    fields.headers,
    fields.remoteAddress === undefined || fields.remoteAddress === ""
      ? Option.none()
      : Option.some(fields.remoteAddress),
    body,
    { stream: false, reply: undefined }
  )
}
