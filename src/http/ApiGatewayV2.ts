/**
 * API Gateway HTTP APIs with payload format 2.0: the event, the buffered reply, and how each is translated.
 * Function URLs use the same shapes (see `FunctionUrl`).
 *
 * Request:
 * - method `requestContext.http.method`; path `rawPath` and query `rawQueryString`, both exactly as received;
 * - headers: `headers` (API Gateway has already lower-cased names and joined repeated values with commas);
 *   the `cookies` array becomes one `cookie` header, joined with `"; "`;
 * - body: `body`, base64-decoded when `isBase64Encoded`; remote address `requestContext.http.sourceIp`.
 *
 * Reply: `{ statusCode, headers, cookies?, body, isBase64Encoded }`. Every `Set-Cookie` value goes to
 * `cookies` (one entry per cookie: joining them would break `Expires=` dates), every other header to
 * `headers`. HTTP APIs cannot stream: in streaming mode their events still get this buffered reply.
 *
 * @since 0.1.0
 */
import * as Request from "./internal/request.js"
import type * as Response from "./internal/response.js"

/**
 * `requestContext.http` of a payload 2.0 event.
 *
 * @since 0.1.0
 * @category models
 */
export interface Http {
  readonly method: string
  readonly path?: string
  readonly protocol?: string
  readonly sourceIp?: string
  readonly userAgent?: string
}

/**
 * `requestContext` of a payload 2.0 event.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestContext {
  readonly accountId?: string
  readonly apiId?: string
  readonly domainName?: string
  readonly domainPrefix?: string
  readonly http: Http
  readonly requestId?: string
  readonly routeKey?: string
  readonly stage?: string
  readonly time?: string
  readonly timeEpoch?: number
  readonly authorizer?: Readonly<Record<string, unknown>>
  readonly [key: string]: unknown
}

/**
 * A payload 2.0 event (HTTP API or Function URL), as received. Only the fields the translation reads are
 * checked.
 *
 * @since 0.1.0
 * @category models
 */
export interface Event {
  readonly version: "2.0"
  readonly routeKey?: string
  readonly rawPath: string
  readonly rawQueryString?: string
  readonly cookies?: ReadonlyArray<string>
  readonly headers?: Readonly<Record<string, string>>
  readonly queryStringParameters?: Readonly<Record<string, string>>
  readonly pathParameters?: Readonly<Record<string, string>>
  readonly stageVariables?: Readonly<Record<string, string>>
  readonly requestContext: RequestContext
  readonly body?: string
  readonly isBase64Encoded?: boolean
}

/**
 * The buffered reply (payload 2.0 response; also the buffered Function URL reply).
 *
 * @since 0.1.0
 * @category models
 */
export interface Result {
  readonly statusCode: number
  readonly headers: Readonly<Record<string, string>>
  readonly cookies?: ReadonlyArray<string>
  readonly body: string
  readonly isBase64Encoded: boolean
}

/** @internal */
export const is = (event: Readonly<Record<string, unknown>>, context: Readonly<Record<string, unknown>>): boolean =>
  event.version === "2.0" &&
  typeof event.rawPath === "string" &&
  Request.isRecord(context.http) &&
  typeof context.http.method === "string"

/** @internal */
export const toRequest = <A>(event: Event): Request.LambdaServerRequest<A> => {
  const headers = Request.headersFrom(event.headers, undefined)
  const cookies = event.cookies
  if (Array.isArray(cookies) && cookies.length > 0) headers.addAll("cookie", cookies)
  const http = event.requestContext.http
  return Request.make<A>({
    source: event,
    method: http.method,
    path: event.rawPath,
    query: typeof event.rawQueryString === "string" ? event.rawQueryString : "",
    headers: headers.build(),
    remoteAddress: typeof http.sourceIp === "string" ? http.sourceIp : undefined,
    body: event.body,
    isBase64Encoded: event.isBase64Encoded
  })
}

/** @internal */
export const toResult = (
  head: Response.Head,
  body: { readonly body: string; readonly isBase64Encoded: boolean }
): Result =>
  head.cookies.length > 0
    ? {
        statusCode: head.statusCode,
        headers: head.headers,
        cookies: head.cookies,
        body: body.body,
        isBase64Encoded: body.isBase64Encoded
      }
    : { statusCode: head.statusCode, headers: head.headers, body: body.body, isBase64Encoded: body.isBase64Encoded }
