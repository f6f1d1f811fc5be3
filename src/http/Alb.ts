/**
 * Application Load Balancer targets: the event, the reply, and how each is translated.
 *
 * A target group sends either single-value fields (`headers`, `queryStringParameters`) or, with multi-value
 * headers enabled, multi-value fields (`multiValueHeaders`, `multiValueQueryStringParameters`); the reply must
 * use the same family, so it follows the request.
 *
 * Request:
 * - method `httpMethod`, path `path`;
 * - query: the query parameters, which ALB passes URL-encoded as it received them, joined back as they came
 *   (`key=value&…`). In single-value mode ALB keeps only the last value of a repeated key;
 * - headers: names lower-cased, repeated values joined with `", "` (`cookie` with `"; "`);
 * - body: `body`, base64-decoded when `isBase64Encoded`; remote address: the last address of
 *   `x-forwarded-for`, the one ALB itself appended (earlier entries come from the client and can be forged).
 *
 * Reply: `{ statusCode, statusDescription: "200 OK", multiValueHeaders | headers, body, isBase64Encoded }`.
 * In single-value mode only one `Set-Cookie` can be sent: the last one is (and a warning is logged); enable
 * multi-value headers on the target group to send several. ALB cannot stream: in streaming mode its events
 * still get this buffered reply.
 *
 * @since 0.1.0
 */
import * as Request from "./internal/request.js"
import * as Response from "./internal/response.js"

/**
 * `requestContext` of an ALB event.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestContext {
  readonly elb: { readonly targetGroupArn: string }
}

/**
 * An ALB event, as received. Only the fields the translation reads are checked.
 *
 * @since 0.1.0
 * @category models
 */
export interface Event {
  readonly requestContext: RequestContext
  readonly httpMethod: string
  readonly path: string
  readonly queryStringParameters?: Readonly<Record<string, string>>
  readonly multiValueQueryStringParameters?: Readonly<Record<string, ReadonlyArray<string>>>
  readonly headers?: Readonly<Record<string, string>>
  readonly multiValueHeaders?: Readonly<Record<string, ReadonlyArray<string>>>
  readonly body?: string
  readonly isBase64Encoded?: boolean
}

/**
 * The reply: `headers` in single-value mode, `multiValueHeaders` in multi-value mode.
 *
 * @since 0.1.0
 * @category models
 */
export type Result = {
  readonly statusCode: number
  readonly statusDescription: string
  readonly body: string
  readonly isBase64Encoded: boolean
} & (
  | { readonly headers: Readonly<Record<string, string>> }
  | { readonly multiValueHeaders: Readonly<Record<string, ReadonlyArray<string>>> }
)

/** @internal */
export const is = (event: Readonly<Record<string, unknown>>, context: Readonly<Record<string, unknown>>): boolean =>
  Request.isRecord(context.elb) &&
  typeof context.elb.targetGroupArn === "string" &&
  typeof event.httpMethod === "string" &&
  typeof event.path === "string"

/**
 * Whether the target group has multi-value headers enabled (the event carries the multi-value fields).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isMultiValue = (event: Event): boolean => Request.isRecord(event.multiValueHeaders)

const joinQuery = (
  multi: Readonly<Record<string, unknown>> | undefined,
  single: Readonly<Record<string, unknown>> | undefined
): string => {
  let query = ""
  if (Request.isRecord(multi)) {
    for (const key in multi) {
      const values = multi[key]
      if (!Array.isArray(values)) continue
      for (const value of values) {
        if (typeof value === "string") query += (query.length === 0 ? "" : "&") + key + "=" + value
      }
    }
  } else if (Request.isRecord(single)) {
    for (const key in single) {
      const value = single[key]
      if (typeof value === "string") query += (query.length === 0 ? "" : "&") + key + "=" + value
    }
  }
  return query
}

const lastForwardedFor = (header: string | undefined): string | undefined => {
  if (header === undefined) return undefined
  const comma = header.lastIndexOf(",")
  const address = (comma === -1 ? header : header.slice(comma + 1)).trim()
  return address.length === 0 ? undefined : address
}

/** @internal */
export const toRequest = <A>(event: Event): Request.LambdaServerRequest<A> => {
  const headers = Request.headersFrom(event.headers, event.multiValueHeaders)
  return Request.make<A>({
    source: event,
    method: event.httpMethod,
    path: event.path,
    query: joinQuery(event.multiValueQueryStringParameters, event.queryStringParameters),
    headers: headers.build(),
    remoteAddress: lastForwardedFor(headers.get("x-forwarded-for")),
    body: event.body,
    isBase64Encoded: event.isBase64Encoded
  })
}

/** @internal */
export const toResult = (
  event: Event,
  head: Response.Head,
  body: { readonly body: string; readonly isBase64Encoded: boolean }
): Result => {
  const statusDescription = Response.statusLine(head)
  if (isMultiValue(event)) {
    const multiValueHeaders: Record<string, ReadonlyArray<string>> = {}
    for (const name in head.headers) multiValueHeaders[name] = [head.headers[name]!]
    if (head.cookies.length > 0) multiValueHeaders["set-cookie"] = head.cookies
    return {
      statusCode: head.statusCode,
      statusDescription,
      multiValueHeaders,
      body: body.body,
      isBase64Encoded: body.isBase64Encoded
    }
  }
  const last = head.cookies[head.cookies.length - 1]
  return {
    statusCode: head.statusCode,
    statusDescription,
    headers: last === undefined ? head.headers : { ...head.headers, "set-cookie": last },
    body: body.body,
    isBase64Encoded: body.isBase64Encoded
  }
}
