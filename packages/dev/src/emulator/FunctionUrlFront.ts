/**
 * What a Lambda Function URL does with HTTP, both ways (runtime-api.md §5, §6.3–6.4):
 *
 * - {@link event}: an HTTP request becomes a payload-2.0 event (`version: "2.0"`, `routeKey: "$default"`,
 *   `rawPath`, `rawQueryString`, `cookies` split out of the `Cookie` header, lower-case `headers` with repeated
 *   values comma-joined plus the `x-forwarded-for`/`-proto`/`-port` and `x-amzn-trace-id` a Function URL adds,
 *   `queryStringParameters`, `requestContext.http`, and a `domainName` of the form
 *   `<url-id>.lambda-url.<region>.on.aws`). The body is text when the content type is textual and the bytes are
 *   UTF-8, otherwise base64 with `isBase64Encoded: true`.
 * - {@link fromBuffered}: a buffered reply becomes an HTTP response. A JSON object with `statusCode` is the 2.0
 *   response object (`statusCode`, `headers`, `cookies` → one `Set-Cookie` each, `body`, `isBase64Encoded`);
 *   `content-type` defaults to `application/json`. Any other valid JSON (an object without `statusCode`, a
 *   string, a number…) is the shorthand: 200, `application/json`, the reply as the body. A reply that is not
 *   JSON at all is passed through with its own content type (a lenient choice of this emulator).
 * - {@link fromPrelude}: the prelude of a streamed reply (`HttpPrelude`) becomes the status and headers.
 *
 * @since 0.1.0
 */
import * as Crypto from "node:crypto"
import type * as HttpPrelude from "effect-lambda-runtime/HttpPrelude"

/**
 * An HTTP request as received by the emulator.
 *
 * @since 0.1.0
 * @category models
 */
export interface Request {
  readonly method: string
  /** The request target as received: path and query, still percent-encoded. */
  readonly url: string
  /** Header names and values in arrival order, as Node's `rawHeaders`: `[name, value, name, value, …]`. */
  readonly rawHeaders: ReadonlyArray<string>
  readonly body: Uint8Array
  readonly sourceIp: string
  /** E.g. `HTTP/1.1`. */
  readonly protocol: string
}

/**
 * Facts about the URL and the invocation that are not in the request.
 *
 * @since 0.1.0
 * @category models
 */
export interface Context {
  readonly requestId: string
  readonly timeEpochMs: number
  /** Default `"local"`. */
  readonly urlId?: string
  /** Default `"us-east-1"`. */
  readonly region?: string
  /** Default `"123456789012"`. */
  readonly accountId?: string
  /** The port the request came in on, for `x-forwarded-port`. */
  readonly port?: number
}

/**
 * The payload-2.0 event of a Function URL request.
 *
 * @since 0.1.0
 * @category models
 */
export interface Event {
  readonly version: "2.0"
  readonly routeKey: "$default"
  readonly rawPath: string
  readonly rawQueryString: string
  readonly cookies?: ReadonlyArray<string>
  readonly headers: Readonly<Record<string, string>>
  readonly queryStringParameters?: Readonly<Record<string, string>>
  readonly requestContext: {
    readonly accountId: string
    readonly apiId: string
    readonly domainName: string
    readonly domainPrefix: string
    readonly http: {
      readonly method: string
      readonly path: string
      readonly protocol: string
      readonly sourceIp: string
      readonly userAgent: string
    }
    readonly requestId: string
    readonly routeKey: "$default"
    readonly stage: "$default"
    readonly time: string
    readonly timeEpoch: number
  }
  readonly body?: string
  readonly isBase64Encoded: boolean
}

/**
 * An HTTP response to send: status, headers (a name may repeat, as `set-cookie` does), body.
 *
 * @since 0.1.0
 * @category models
 */
export interface Response {
  readonly status: number
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: Uint8Array
}

/**
 * A buffered reply that is not a valid Function URL response (a `statusCode` that is not an HTTP status, a
 * `body` that is not a string…): the client gets a 502.
 *
 * @since 0.1.0
 * @category models
 */
export interface InvalidResponse {
  readonly _tag: "InvalidResponse"
  readonly reason: string
}

const textTypes =
  /^(?:text\/|application\/(?:json|javascript|xml|yaml|x-www-form-urlencoded|graphql)\b)|\+(?:json|xml|yaml)\b/i

/**
 * Whether a body of this content type is sent as text (else base64) in events, and is readable in logs.
 *
 * @since 0.1.0
 * @category utils
 */
export const isTextual = (contentType: string | undefined): boolean =>
  contentType !== undefined && textTypes.test(contentType.trim())

const utf8 = new TextDecoder("utf-8", { fatal: true })

const decodeText = (bytes: Uint8Array): string | undefined => {
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}

const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

/** `12/Mar/2020:19:03:58 +0000`, the format of `requestContext.time`. */
const clfTime = (ms: number): string => {
  const d = new Date(ms)
  const two = (n: number) => String(n).padStart(2, "0")
  return `${two(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
}

const decodeComponent = (text: string): string => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/**
 * The payload-2.0 event for `request`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const event = (request: Request, context: Context): Event => {
  const question = request.url.indexOf("?")
  const rawPath = question === -1 ? request.url : request.url.slice(0, question)
  const rawQueryString = question === -1 ? "" : request.url.slice(question + 1)
  const headers: Record<string, string> = {}
  const cookies: Array<string> = []
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!.toLowerCase()
    const value = request.rawHeaders[i + 1]!
    if (name === "cookie") {
      for (const cookie of value.split(";")) {
        const trimmed = cookie.trim()
        if (trimmed.length > 0) cookies.push(trimmed)
      }
      continue
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`
  }
  headers["x-forwarded-for"] ??= request.sourceIp
  headers["x-forwarded-proto"] ??= "http"
  if (context.port !== undefined) headers["x-forwarded-port"] ??= String(context.port)
  headers["x-amzn-trace-id"] ??= `Root=1-${Math.floor(context.timeEpochMs / 1000)
    .toString(16)
    .padStart(8, "0")}-${Crypto.randomBytes(12).toString("hex")}`
  const query: Record<string, string> = {}
  for (const pair of rawQueryString.split("&")) {
    if (pair.length === 0) continue
    const equals = pair.indexOf("=")
    const key = decodeComponent(equals === -1 ? pair : pair.slice(0, equals))
    const value = equals === -1 ? "" : decodeComponent(pair.slice(equals + 1))
    query[key] = query[key] === undefined ? value : `${query[key]},${value}`
  }
  const urlId = context.urlId ?? "local"
  const region = context.region ?? "us-east-1"
  const domainName = `${urlId}.lambda-url.${region}.on.aws`
  let body: string | undefined
  let isBase64Encoded = false
  if (request.body.length > 0) {
    const text = isTextual(headers["content-type"]) ? decodeText(request.body) : undefined
    if (text === undefined) {
      body = Buffer.from(request.body.buffer, request.body.byteOffset, request.body.length).toString("base64")
      isBase64Encoded = true
    } else {
      body = text
    }
  }
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: context.accountId ?? "123456789012",
      apiId: urlId,
      domainName,
      domainPrefix: urlId,
      http: {
        method: request.method,
        path: rawPath,
        protocol: request.protocol,
        sourceIp: request.sourceIp,
        userAgent: headers["user-agent"] ?? ""
      },
      requestId: context.requestId,
      routeKey: "$default",
      stage: "$default",
      time: clfTime(context.timeEpochMs),
      timeEpoch: context.timeEpochMs
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded
  }
}

/**
 * A URL id (`<url-id>.lambda-url.<region>.on.aws`) derived from the function name, stable across runs.
 *
 * @since 0.1.0
 * @category utils
 */
export const urlId = (functionName: string): string =>
  Crypto.createHash("sha256").update(functionName).digest("hex").slice(0, 32)

/** Headers the emulator sets itself: a function's values for these are dropped. */
const hopByHop = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"])

const isStatus = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 100 && value <= 599

const headerValue = (value: unknown): string | undefined =>
  typeof value === "string"
    ? value
    : typeof value === "number" || typeof value === "boolean"
      ? String(value)
      : undefined

const encoder = new TextEncoder()

/**
 * The HTTP response for a buffered reply (see the module documentation for the rules).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromBuffered = (payload: Uint8Array, contentType: string | undefined): Response | InvalidResponse => {
  const text = decodeText(payload)
  let value: unknown
  let json = false
  if (text !== undefined && text.trim().length > 0) {
    try {
      value = JSON.parse(text)
      json = true
    } catch {
      json = false
    }
  }
  if (!json) {
    return {
      status: 200,
      headers: [["content-type", contentType ?? "application/octet-stream"]],
      body: payload
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || !("statusCode" in value)) {
    return { status: 200, headers: [["content-type", "application/json"]], body: payload }
  }
  const fields = value as Record<string, unknown>
  if (!isStatus(fields.statusCode)) {
    return { _tag: "InvalidResponse", reason: `statusCode ${JSON.stringify(fields.statusCode)} is not an HTTP status` }
  }
  const headers: Array<readonly [string, string]> = []
  if (fields.headers !== undefined && fields.headers !== null) {
    if (typeof fields.headers !== "object" || Array.isArray(fields.headers)) {
      return { _tag: "InvalidResponse", reason: "headers is not an object" }
    }
    for (const [name, raw] of Object.entries(fields.headers)) {
      const v = headerValue(raw)
      if (v === undefined) return { _tag: "InvalidResponse", reason: `header ${JSON.stringify(name)} is not a string` }
      if (!hopByHop.has(name.toLowerCase())) headers.push([name.toLowerCase(), v])
    }
  }
  if (fields.cookies !== undefined && fields.cookies !== null) {
    if (!Array.isArray(fields.cookies) || !fields.cookies.every((c) => typeof c === "string")) {
      return { _tag: "InvalidResponse", reason: "cookies is not an array of strings" }
    }
    for (const cookie of fields.cookies as ReadonlyArray<string>) headers.push(["set-cookie", cookie])
  }
  if (!headers.some(([name]) => name === "content-type")) headers.push(["content-type", "application/json"])
  let body: Uint8Array = new Uint8Array(0)
  if (fields.body !== undefined && fields.body !== null) {
    if (typeof fields.body !== "string") return { _tag: "InvalidResponse", reason: "body is not a string" }
    body =
      fields.isBase64Encoded === true ? new Uint8Array(Buffer.from(fields.body, "base64")) : encoder.encode(fields.body)
  }
  return { status: fields.statusCode, headers, body }
}

/**
 * The status and headers a streamed reply's prelude asks for (`cookies` → one `Set-Cookie` each; the
 * emulator's own framing headers dropped).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromPrelude = (
  prelude: HttpPrelude.Prelude
): { readonly status: number; readonly headers: ReadonlyArray<readonly [string, string]> } => {
  const headers: Array<readonly [string, string]> = []
  for (const [name, value] of Object.entries(prelude.headers ?? {})) {
    if (!hopByHop.has(name.toLowerCase())) headers.push([name.toLowerCase(), value])
  }
  for (const [name, values] of Object.entries(prelude.multiValueHeaders ?? {})) {
    if (hopByHop.has(name.toLowerCase()) || prelude.headers?.[name] !== undefined) continue
    for (const value of values) headers.push([name.toLowerCase(), value])
  }
  for (const cookie of prelude.cookies ?? []) headers.push(["set-cookie", cookie])
  return { status: prelude.statusCode, headers }
}

/**
 * What a client gets when the function failed (an error, a timeout, an invalid reply): a 502 with a generic
 * JSON body. The error's details are in the emulator's log, never in the response.
 *
 * @since 0.1.0
 * @category constructors
 */
export const badGateway: Response = {
  status: 502,
  headers: [["content-type", "application/json"]],
  body: encoder.encode(JSON.stringify({ message: "Internal Server Error" }))
}
