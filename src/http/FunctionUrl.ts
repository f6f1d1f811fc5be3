/**
 * Lambda Function URLs: payload 2.0 events whose `requestContext.domainName` is the URL's own domain,
 * `<url-id>.lambda-url.<region>.on.aws`.
 *
 * The request is read as for HTTP APIs (see `ApiGatewayV2`). Buffered (invoke mode `BUFFERED`), the reply is
 * the payload 2.0 response. Streamed (invoke mode `RESPONSE_STREAM`), it is the HTTP integration response: the
 * prelude `{ statusCode, headers, cookies? }` (`Set-Cookie` values in `cookies`), 8 NUL bytes, then the body
 * bytes as the app produces them.
 *
 * @since 0.1.0
 */
import type * as HttpPrelude from "../streaming/HttpPrelude.js"
import * as ApiGatewayV2 from "./ApiGatewayV2.js"
import type * as Request from "./internal/request.js"
import type * as Response from "./internal/response.js"

/**
 * A Function URL event: the payload 2.0 shape.
 *
 * @since 0.1.0
 * @category models
 */
export type Event = ApiGatewayV2.Event

/**
 * The buffered reply: the payload 2.0 response.
 *
 * @since 0.1.0
 * @category models
 */
export type Result = ApiGatewayV2.Result

const domain = /\.lambda-url\.[a-z0-9-]+\.on\.aws$/

/**
 * Whether a domain name is a Function URL's (`<url-id>.lambda-url.<region>.on.aws`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isFunctionUrlDomain = (domainName: unknown): boolean =>
  typeof domainName === "string" && domain.test(domainName)

/** @internal */
export const toRequest = <A>(event: Event): Request.LambdaServerRequest<A> => ApiGatewayV2.toRequest<A>(event)

/** @internal */
export const toResult = ApiGatewayV2.toResult

/** @internal */
export const toPrelude = (head: Response.Head): HttpPrelude.Prelude =>
  head.cookies.length > 0
    ? { statusCode: head.statusCode, headers: head.headers, cookies: head.cookies }
    : { statusCode: head.statusCode, headers: head.headers }
