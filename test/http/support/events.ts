/**
 * HTTP events for every front, built from the fixtures in test/fixtures/events (so every event keeps the
 * realistic fields of a real one) with the request parts a test chooses; and the decoding of each front's
 * reply (buffered JSON, or a streamed prelude + body) into one shape.
 */
import { Chunk, Effect, Stream } from "effect"
import { readFileSync } from "node:fs"
import * as Path from "node:path"
import type { TestRuntimeApi } from "../../../src/index.js"
import * as HttpPrelude from "../../../src/streaming/HttpPrelude.js"

const fixturesDir = Path.resolve(import.meta.dirname, "../../fixtures/events")

export type Json = Record<string, unknown>

/** A fixture, parsed fresh on each call (tests may change it). */
export const fixture = (name: string): Json => JSON.parse(readFileSync(Path.join(fixturesDir, `${name}.json`), "utf8"))

export const fronts = ["ApiGatewayV1", "ApiGatewayV2", "AlbSingle", "AlbMulti", "FunctionUrl"] as const
export type Front = (typeof fronts)[number]

/** The fronts that take a streamed (prelude) reply. */
export const streamingFronts = ["FunctionUrl", "ApiGatewayV1"] as const

export interface RequestSpec {
  readonly method: string
  /** The path as the client sent it (percent-encoded). */
  readonly path: string
  /** Decoded query pairs, in order (repeated keys allowed). */
  readonly query?: ReadonlyArray<readonly [string, string]>
  /** Header pairs, in order (repeated names allowed). Default: the fixture's headers. */
  readonly headers?: ReadonlyArray<readonly [string, string]>
  /** Cookie pairs sent by the client. Default: the fixture's cookies. */
  readonly cookies?: ReadonlyArray<readonly [string, string]>
  /** Text is sent as is; bytes base64-encoded. */
  readonly body?: string | Uint8Array
  readonly sourceIp?: string
}

const group = <A>(pairs: ReadonlyArray<readonly [string, A]>): Record<string, Array<A>> => {
  const out: Record<string, Array<A>> = {}
  for (const [key, value] of pairs) {
    const values = out[key]
    if (values === undefined) out[key] = [value]
    else values.push(value)
  }
  return out
}

const lastOf = <A>(groups: Record<string, Array<A>>): Record<string, A> => {
  const out: Record<string, A> = {}
  for (const key in groups) out[key] = groups[key]![groups[key]!.length - 1]!
  return out
}

const joinGroups = (groups: Record<string, Array<string>>, separator: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const key in groups) out[key] = groups[key]!.join(separator)
  return out
}

const pairsOf = (multi: unknown): Array<[string, string]> => {
  const out: Array<[string, string]> = []
  for (const [name, values] of Object.entries(multi as Record<string, Array<string>>)) {
    for (const value of values) out.push([name, value])
  }
  return out
}

const cookieHeader = (cookies: ReadonlyArray<readonly [string, string]>) =>
  cookies.map(([name, value]) => `${name}=${value}`).join("; ")

const bodyFields = (body: RequestSpec["body"]) =>
  body === undefined
    ? { body: undefined, isBase64Encoded: false }
    : typeof body === "string"
      ? { body, isBase64Encoded: false }
      : { body: Buffer.from(body).toString("base64"), isBase64Encoded: true }

const encodeQuery = (query: ReadonlyArray<readonly [string, string]>) =>
  query.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join("&")

const decodePath = (path: string) => path.split("/").map(decodeURIComponent).join("/")

const withoutCookieHeader = (headers: ReadonlyArray<readonly [string, string]>) =>
  headers.filter(([name]) => name.toLowerCase() !== "cookie")

/** A REST (payload 1.0) event, as on the `execute-api` endpoint: `path` without the stage, proxy resource. */
const restEvent = (spec: RequestSpec): Json => {
  const event = fixture("apigw-rest")
  const context = event.requestContext as Json
  let headers: ReadonlyArray<readonly [string, string]> = spec.headers ?? pairsOf(event.multiValueHeaders)
  if (spec.cookies !== undefined) {
    headers = withoutCookieHeader(headers)
    if (spec.cookies.length > 0) headers = [...headers, ["Cookie", cookieHeader(spec.cookies)]]
  }
  const multiHeaders = group(headers)
  const query = spec.query ?? []
  const multiQuery = group(query)
  const resource = spec.path === "/" ? "/" : "/{proxy+}"
  return {
    ...event,
    httpMethod: spec.method,
    path: spec.path,
    resource,
    pathParameters: spec.path === "/" ? null : { proxy: decodePath(spec.path.slice(1)) },
    headers: lastOf(multiHeaders),
    multiValueHeaders: multiHeaders,
    queryStringParameters: query.length === 0 ? null : lastOf(multiQuery),
    multiValueQueryStringParameters: query.length === 0 ? null : multiQuery,
    requestContext: {
      ...context,
      httpMethod: spec.method,
      path: `/${context.stage}${spec.path}`,
      resourcePath: resource,
      identity: { ...(context.identity as Json), sourceIp: spec.sourceIp ?? "203.0.113.42" }
    },
    ...bodyFields(spec.body),
    body: bodyFields(spec.body).body ?? null
  }
}

/** A payload 2.0 event: HTTP API, or Function URL (`fixtureName` = "function-url"). */
const v2Event = (fixtureName: string, spec: RequestSpec): Json => {
  const event = fixture(fixtureName)
  const context = event.requestContext as Json
  const templateCookies = (event.cookies as Array<string> | undefined) ?? []
  const cookies =
    spec.cookies?.map(([name, value]) => `${name}=${value}`) ?? (spec.headers === undefined ? templateCookies : [])
  const headerPairs: ReadonlyArray<readonly [string, string]> =
    spec.headers ?? Object.entries(event.headers as Record<string, string>)
  const headers = joinGroups(
    group(withoutCookieHeader(headerPairs).map(([n, v]) => [n.toLowerCase(), v] as const)),
    ","
  )
  const query = spec.query ?? []
  const { body, isBase64Encoded } = bodyFields(spec.body)
  const out: Json = {
    ...event,
    rawPath: spec.path,
    rawQueryString: encodeQuery(query),
    headers,
    requestContext: {
      ...context,
      http: {
        ...(context.http as Json),
        method: spec.method,
        path: decodePath(spec.path),
        sourceIp: spec.sourceIp ?? "203.0.113.42"
      }
    },
    isBase64Encoded
  }
  if (cookies.length > 0) out.cookies = cookies
  else delete out.cookies
  if (query.length > 0) out.queryStringParameters = joinGroups(group(query), ",")
  else delete out.queryStringParameters
  if (body !== undefined) out.body = body
  return out
}

/** An ALB event: query keys and values URL-encoded "as received", header names lower-case. */
const albEvent = (multi: boolean, spec: RequestSpec): Json => {
  const event = fixture(multi ? "alb-multi" : "alb-single")
  const templateHeaders = multi ? pairsOf(event.multiValueHeaders) : Object.entries(event.headers as Json)
  let headers: Array<readonly [string, string]> = [...(spec.headers ?? (templateHeaders as Array<[string, string]>))]
  if (spec.cookies !== undefined) {
    headers = withoutCookieHeader(headers)
    if (spec.cookies.length > 0) headers.push(["cookie", cookieHeader(spec.cookies)])
  }
  if (spec.sourceIp !== undefined) {
    const index = headers.findIndex(([name]) => name.toLowerCase() === "x-forwarded-for")
    if (index === -1) headers.push(["x-forwarded-for", spec.sourceIp])
    else headers[index] = [headers[index]![0], `${headers[index]![1]}, ${spec.sourceIp}`]
  }
  const grouped = group(headers.map(([n, v]) => [n.toLowerCase(), v] as const))
  const query = group((spec.query ?? []).map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)] as const))
  const { body, isBase64Encoded } = bodyFields(spec.body)
  const out: Json = {
    requestContext: event.requestContext,
    httpMethod: spec.method,
    path: spec.path,
    body: body ?? "",
    isBase64Encoded
  }
  if (multi) {
    out.multiValueQueryStringParameters = query
    out.multiValueHeaders = grouped
  } else {
    out.queryStringParameters = lastOf(query)
    out.headers = lastOf(grouped)
  }
  return out
}

export const eventFor = (front: Front, spec: RequestSpec): Json => {
  switch (front) {
    case "ApiGatewayV1":
      return restEvent(spec)
    case "ApiGatewayV2":
      return v2Event("apigw-http", spec)
    case "FunctionUrl":
      return v2Event("function-url", spec)
    case "AlbSingle":
      return albEvent(false, spec)
    case "AlbMulti":
      return albEvent(true, spec)
  }
}

/** A front's reply, decoded into one shape. */
export interface Reply {
  readonly status: number
  /** Every header but `set-cookie`; single values. */
  readonly headers: Record<string, string>
  readonly cookies: ReadonlyArray<string>
  readonly body: Uint8Array
  readonly text: string
  /** Buffered replies only. */
  readonly isBase64Encoded: boolean | undefined
  /** ALB only. */
  readonly statusDescription: string | undefined
  /** Streamed replies: the body chunks as written (after the prelude). */
  readonly chunks: ReadonlyArray<Uint8Array> | undefined
  /** Streamed replies: the error report of the trailers. */
  readonly error: unknown
  /** The JSON reply, or the prelude. */
  readonly raw: Json
}

const splitHeaders = (
  headers: Record<string, string> | undefined,
  multi: Record<string, Array<string>> | undefined,
  cookies: Array<string> | undefined
) => {
  const single: Record<string, string> = {}
  const setCookies: Array<string> = [...(cookies ?? [])]
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name === "set-cookie") setCookies.push(value)
    else single[name] = value
  }
  for (const [name, values] of Object.entries(multi ?? {})) {
    if (name === "set-cookie") setCookies.push(...values)
    else {
      if (values.length !== 1) throw new Error(`header ${name} has ${values.length} values`)
      single[name] = values[0]!
    }
  }
  return { headers: single, cookies: setCookies }
}

const fromJson = (
  raw: Json,
  chunks: ReadonlyArray<Uint8Array> | undefined,
  body: Uint8Array,
  error: unknown
): Reply => {
  const { headers, cookies } = splitHeaders(
    raw.headers as Record<string, string> | undefined,
    raw.multiValueHeaders as Record<string, Array<string>> | undefined,
    raw.cookies as Array<string> | undefined
  )
  return {
    status: raw.statusCode as number,
    headers,
    cookies,
    body,
    text: Buffer.from(body).toString("utf8"),
    isBase64Encoded: raw.isBase64Encoded as boolean | undefined,
    statusDescription: raw.statusDescription as string | undefined,
    chunks,
    error,
    raw
  }
}

/** Decode what `TestRuntimeApi.invoke` returned for an HTTP handler. Dies on an error report. */
export const decodeReply = (result: TestRuntimeApi.Result): Effect.Effect<Reply> =>
  Effect.gen(function* () {
    if (result._tag === "Error") return yield* Effect.dieMessage(`error report: ${JSON.stringify(result.report)}`)
    if (result._tag === "Response") {
      assertJson(result.contentType)
      const raw = JSON.parse(result.text) as Json
      const body = raw.isBase64Encoded
        ? new Uint8Array(Buffer.from(raw.body as string, "base64"))
        : new Uint8Array(Buffer.from(raw.body as string, "utf8"))
      return fromJson(raw, undefined, body, undefined)
    }
    if (result.contentType !== HttpPrelude.ContentType) {
      return yield* Effect.dieMessage(`streamed with content type ${result.contentType}`)
    }
    const { body, prelude } = yield* HttpPrelude.decode(Stream.rechunk(Stream.fromIterable(result.chunks), 1)).pipe(
      Effect.orDie
    )
    const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(body))
    return fromJson(prelude as unknown as Json, chunks, new Uint8Array(Buffer.concat(chunks)), result.error)
  }).pipe(Effect.scoped)

const assertJson = (contentType: string) => {
  if (contentType !== "application/json") throw new Error(`buffered reply with content type ${contentType}`)
}

export const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "utf8"))
