/**
 * The Lambda event behind the HTTP request being served, and the front it came from. `HttpHandler` provides
 * it to the app for every request, next to the `HttpServerRequest` (and the runtime's `InvocationContext`):
 *
 * ```ts
 * import * as HttpRouter from "@effect/platform/HttpRouter"
 * import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
 * import * as Effect from "effect/Effect"
 * import { HttpHandler, InvocationContext, LambdaEvent } from "effect-lambda-runtime"
 *
 * const router = HttpRouter.empty.pipe(
 *   HttpRouter.get("/whoami", Effect.gen(function* () {
 *     const { source, event } = yield* LambdaEvent.LambdaEvent
 *     const { requestId } = yield* InvocationContext.InvocationContext
 *     const stage = source === "ApiGatewayV1" ? event.requestContext.stage : undefined
 *     return yield* HttpServerResponse.json({ source, requestId, stage })
 *   }))
 * )
 * export const handler = HttpHandler.make(router)
 * ```
 *
 * Detection, first match wins:
 * 1. `requestContext.elb.targetGroupArn` → `Alb`;
 * 2. `version: "2.0"` with `requestContext.http.method` → `FunctionUrl` when `requestContext.domainName` is
 *    `<id>.lambda-url.<region>.on.aws`, else `ApiGatewayV2`;
 * 3. `httpMethod` with `requestContext.resourcePath` or `requestContext.stage` → `ApiGatewayV1` (REST APIs, and
 *    HTTP APIs with payload format 1.0).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Alb from "./Alb.js"
import * as ApiGatewayV1 from "./ApiGatewayV1.js"
import * as ApiGatewayV2 from "./ApiGatewayV2.js"
import type * as FunctionUrl from "./FunctionUrl.js"
import { isFunctionUrlDomain } from "./FunctionUrl.js"
import { isRecord } from "./internal/request.js"

/**
 * The HTTP fronts Lambda has.
 *
 * @since 0.1.0
 * @category models
 */
export type Source = "ApiGatewayV1" | "ApiGatewayV2" | "Alb" | "FunctionUrl"

/**
 * The raw event, tagged with its front.
 *
 * @since 0.1.0
 * @category models
 */
export type Event =
  | { readonly source: "ApiGatewayV1"; readonly event: ApiGatewayV1.Event }
  | { readonly source: "ApiGatewayV2"; readonly event: ApiGatewayV2.Event }
  | { readonly source: "Alb"; readonly event: Alb.Event }
  | { readonly source: "FunctionUrl"; readonly event: FunctionUrl.Event }

/**
 * The event of the request being served.
 *
 * @since 0.1.0
 * @category tags
 */
export class LambdaEvent extends Context.Tag("effect-lambda-runtime/LambdaEvent")<LambdaEvent, Event>() {}

/**
 * Recognize an HTTP event (a parsed JSON value) by its shape. Returns the tagged event, or a sentence saying
 * what the value is not.
 *
 * @since 0.1.0
 * @category constructors
 */
export const detect = (value: unknown): Event | string => {
  if (!isRecord(value)) {
    return `the event is ${value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`}, not an object`
  }
  const context = value.requestContext
  if (!isRecord(context)) {
    return Array.isArray(value.Records)
      ? "the event is a batch of records (SQS, SNS, S3, …), not an HTTP request"
      : "the event has no requestContext"
  }
  if (Alb.is(value, context)) return { source: "Alb", event: value as unknown as Alb.Event }
  if (ApiGatewayV2.is(value, context)) {
    const event = value as unknown as ApiGatewayV2.Event
    return isFunctionUrlDomain(context.domainName)
      ? { source: "FunctionUrl", event }
      : { source: "ApiGatewayV2", event }
  }
  if (ApiGatewayV1.is(value, context)) return { source: "ApiGatewayV1", event: value as unknown as ApiGatewayV1.Event }
  if (typeof context.connectionId === "string")
    return "the event is an API Gateway WebSocket message, not an HTTP request"
  if (isRecord(context.elb)) return "the ALB event lacks httpMethod, path or requestContext.elb.targetGroupArn"
  if (value.version === "2.0") return "the payload 2.0 event lacks rawPath or requestContext.http.method"
  return "the event has none of the shapes of API Gateway REST (httpMethod, path, requestContext.stage), HTTP API and Function URL (version 2.0, rawPath, requestContext.http) or ALB (requestContext.elb)"
}
