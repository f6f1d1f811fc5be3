/**
 * API Gateway REST APIs, and HTTP APIs with payload format 1.0: the event, the buffered reply, the streamed
 * prelude (REST integrations with `responseTransferMode: STREAM`), and how each is translated.
 *
 * Request:
 * - method `httpMethod`; path `path` as API Gateway received it (still percent-encoded). When the event's
 *   `resource` and `pathParameters` show that `path` starts with segments that are not part of the API's own
 *   path (the stage, or a custom domain's base path mapping), they are removed, so the app sees the same path
 *   on the `execute-api` endpoint and on a custom domain;
 * - query: `multiValueQueryStringParameters` (else `queryStringParameters`), whose values API Gateway has
 *   decoded, encoded again with `encodeURIComponent` (repeated keys kept, in order);
 * - headers: `multiValueHeaders` (else `headers`), names lower-cased, repeated values joined with `", "`
 *   (`cookie` with `"; "`);
 * - body: `body`, base64-decoded when `isBase64Encoded`; remote address `requestContext.identity.sourceIp`.
 *
 * Reply: `{ statusCode, multiValueHeaders, body, isBase64Encoded }`. Only `multiValueHeaders` is sent (API
 * Gateway merges `headers` into it, so sending both would repeat values); `Set-Cookie` values are
 * `multiValueHeaders["set-cookie"]`. Streamed: the prelude `{ statusCode, multiValueHeaders }`.
 *
 * @since 0.1.0
 */
import type * as HttpPrelude from "../streaming/HttpPrelude.js"
import * as Request from "./internal/request.js"
import type * as Response from "./internal/response.js"

/**
 * `requestContext.identity` of a REST event.
 *
 * @since 0.1.0
 * @category models
 */
export interface Identity {
  readonly sourceIp?: string
  readonly userAgent?: string | null
  readonly [key: string]: unknown
}

/**
 * `requestContext` of a REST event.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestContext {
  readonly accountId?: string
  readonly apiId?: string
  readonly domainName?: string
  readonly domainPrefix?: string
  readonly httpMethod?: string
  readonly path?: string
  readonly protocol?: string
  readonly requestId?: string
  readonly requestTime?: string
  readonly requestTimeEpoch?: number
  readonly resourceId?: string
  readonly resourcePath?: string
  readonly stage?: string
  readonly identity?: Identity
  readonly authorizer?: Readonly<Record<string, unknown>> | null
  readonly [key: string]: unknown
}

/**
 * An API Gateway REST (payload 1.0) event, as received. Only the fields the translation reads are checked.
 *
 * @since 0.1.0
 * @category models
 */
export interface Event {
  readonly version?: string
  readonly resource?: string
  readonly path: string
  readonly httpMethod: string
  readonly headers?: Readonly<Record<string, string>> | null
  readonly multiValueHeaders?: Readonly<Record<string, ReadonlyArray<string>>> | null
  readonly queryStringParameters?: Readonly<Record<string, string>> | null
  readonly multiValueQueryStringParameters?: Readonly<Record<string, ReadonlyArray<string>>> | null
  readonly pathParameters?: Readonly<Record<string, string>> | null
  readonly stageVariables?: Readonly<Record<string, string>> | null
  readonly requestContext: RequestContext
  readonly body?: string | null
  readonly isBase64Encoded?: boolean
}

/**
 * The buffered reply.
 *
 * @since 0.1.0
 * @category models
 */
export interface Result {
  readonly statusCode: number
  readonly multiValueHeaders: Readonly<Record<string, ReadonlyArray<string>>>
  readonly body: string
  readonly isBase64Encoded: boolean
}

/** @internal */
export const is = (event: Readonly<Record<string, unknown>>, context: Readonly<Record<string, unknown>>): boolean =>
  typeof event.httpMethod === "string" &&
  typeof event.path === "string" &&
  (typeof context.resourcePath === "string" || typeof context.stage === "string")

/** @internal */
export const encodeQuery = (
  multi: Readonly<Record<string, unknown>> | null | undefined,
  single: Readonly<Record<string, unknown>> | null | undefined
): string => {
  let query = ""
  if (Request.isRecord(multi)) {
    for (const key in multi) {
      const values = multi[key]
      if (!Array.isArray(values)) continue
      const name = encodeURIComponent(key)
      for (const value of values) {
        if (typeof value !== "string") continue
        query += (query.length === 0 ? "" : "&") + name + "=" + encodeURIComponent(value)
      }
    }
  } else if (Request.isRecord(single)) {
    for (const key in single) {
      const value = single[key]
      if (typeof value !== "string") continue
      query += (query.length === 0 ? "" : "&") + encodeURIComponent(key) + "=" + encodeURIComponent(value)
    }
  }
  return query
}

const safeDecode = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

/**
 * The decoded segments the resource template stands for (`/items/{id}` + `{ id: "7" }` → `["items", "7"]`),
 * or `undefined` when a parameter is missing.
 */
const expand = (resource: string, parameters: Readonly<Record<string, unknown>> | null | undefined) => {
  const out: Array<string> = []
  for (const part of resource.split("/").slice(1)) {
    if (part.length > 2 && part[0] === "{" && part[part.length - 1] === "}") {
      const greedy = part[part.length - 2] === "+"
      const name = part.slice(1, greedy ? -2 : -1)
      const value = Request.isRecord(parameters) ? parameters[name] : undefined
      if (typeof value !== "string") return undefined
      if (greedy) out.push(...value.split("/"))
      else out.push(value)
    } else {
      out.push(part)
    }
  }
  return out
}

/**
 * `path` without the leading segments that are not part of the API's resource path (a stage, a base path
 * mapping), when `resource` + `pathParameters` prove it; `path` unchanged otherwise.
 *
 * @internal
 */
export const relativePath = (
  path: string,
  resource: string | undefined,
  parameters: Readonly<Record<string, unknown>> | null | undefined
): string => {
  if (resource === undefined || resource.length === 0 || resource[0] !== "/" || path[0] !== "/") return path
  const expected = expand(resource, parameters)
  if (expected === undefined) return path
  const actual = path.split("/").slice(1)
  const extra = actual.length - expected.length
  if (extra <= 0) return path
  for (let i = 0; i < expected.length; i++) {
    if (safeDecode(actual[extra + i]!) !== expected[i]) return path
  }
  return "/" + actual.slice(extra).join("/")
}

/** @internal */
export const toRequest = <A>(event: Event): Request.LambdaServerRequest<A> => {
  const context = event.requestContext
  return Request.make<A>({
    source: event,
    method: event.httpMethod,
    path: relativePath(event.path, event.resource, event.pathParameters),
    query: encodeQuery(event.multiValueQueryStringParameters, event.queryStringParameters),
    headers: Request.headersFrom(event.headers, event.multiValueHeaders).build(),
    remoteAddress: Request.isRecord(context.identity) ? stringOrUndefined(context.identity.sourceIp) : undefined,
    body: event.body,
    isBase64Encoded: event.isBase64Encoded
  })
}

const stringOrUndefined = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined)

/** @internal */
export const multiValueHeaders = (head: Response.Head): Record<string, ReadonlyArray<string>> => {
  const out: Record<string, ReadonlyArray<string>> = {}
  for (const name in head.headers) out[name] = [head.headers[name]!]
  if (head.cookies.length > 0) out["set-cookie"] = head.cookies
  return out
}

/** @internal */
export const toResult = (head: Response.Head, body: { readonly body: string; readonly isBase64Encoded: boolean }) =>
  ({
    statusCode: head.statusCode,
    multiValueHeaders: multiValueHeaders(head),
    body: body.body,
    isBase64Encoded: body.isBase64Encoded
  }) satisfies Result

/** @internal */
export const toPrelude = (head: Response.Head): HttpPrelude.Prelude => ({
  statusCode: head.statusCode,
  multiValueHeaders: multiValueHeaders(head)
})
