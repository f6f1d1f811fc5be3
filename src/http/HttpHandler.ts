/**
 * Run an `@effect/platform` `HttpApp` (an `HttpRouter`, an app built with `HttpApi`, any `HttpApp.Default`)
 * as a Lambda function behind every HTTP front Lambda has: API Gateway REST (payload 1.0), API Gateway HTTP
 * API (payload 2.0), Application Load Balancers and Function URLs. The same app serves all of them; the front
 * is recognized per event (see `LambdaEvent`).
 *
 * ```ts
 * import * as HttpRouter from "@effect/platform/HttpRouter"
 * import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
 * import { HttpHandler, LambdaRuntime } from "effect-lambda-runtime"
 *
 * const router = HttpRouter.empty.pipe(HttpRouter.get("/hello", HttpServerResponse.text("hello")))
 *
 * export const handler = HttpHandler.make(router)
 *
 * if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)
 * ```
 *
 * **Modes.** The event does not say how the Function URL or the API integration is configured, so the mode
 * is an option:
 * - `"buffered"` (default): the reply is the front's JSON response. A streamed body
 *   (`HttpServerResponse.stream`) is collected first, up to 6 MiB (beyond that the invocation fails with
 *   `Function.ResponseSizeTooLarge`, as Lambda itself would).
 * - `"streaming"`: for Function URLs (invoke mode `RESPONSE_STREAM`) and REST APIs (`responseTransferMode:
 *   STREAM`), the reply is the HTTP integration response: a JSON prelude, 8 NUL bytes, then the body, chunk by
 *   chunk as the app produces it. The prelude is sent even when the body is empty (204, 304, a redirect).
 *   HTTP APIs and ALB cannot stream: their events still get the buffered JSON response.
 *
 * **Binary bodies.** A buffered body travels as a JSON string: as UTF-8 text when it is text, else base64
 * with `isBase64Encoded: true`. It is binary when {@link isBinary} says so (by default: a `content-encoding`
 * other than `identity`, no content type, or a content type that is not text: `text/*`, `application/json`,
 * `application/javascript`, `application/ecmascript`, `application/xml`, `application/yaml`,
 * `application/x-yaml`, `application/x-www-form-urlencoded`, `application/x-ndjson`, `application/ndjson`,
 * `application/graphql`, `application/sql`, and any `+json`, `+xml` or `+yaml` type are text), and always when
 * its bytes are not valid UTF-8. Replace the rule with the `isBinary` option. (REST APIs also need the type in
 * the API's binary media types to turn base64 back into bytes.) Streamed bodies are never base64-encoded.
 *
 * **Headers and cookies.** Each `Set-Cookie` stays a value of its own: the `cookies` array for HTTP APIs and
 * Function URLs (and the Function URL prelude), `multiValueHeaders["set-cookie"]` for REST (whose replies and
 * prelude use only `multiValueHeaders`) and for ALB in multi-value mode; ALB in single-value mode can carry
 * only the last one. `content-length`, `transfer-encoding` and hop-by-hop headers are not passed on: the
 * front frames the body itself. ALB replies carry `statusDescription` (`"200 OK"`).
 *
 * **Inside routes.** Besides the `HttpServerRequest`, every route can use `LambdaEvent` (the raw event and its
 * front) and the runtime's `InvocationContext` (request id, deadline, …).
 *
 * **Per request** nothing is rebuilt: a router is compiled once per handler (on its first request, with that
 * fiber's `HttpRouter.currentRouterConfig`), an app-building Effect runs once. Each invocation parses the event,
 * builds the request (headers and query from the event's maps; the body is decoded only when a route reads it),
 * runs the app, and translates the response. A router given as it is (not through `HttpRouter.toHttpApp` or a
 * middleware) is routed by the adapter, exactly as its own app would route it, without that app's second copy of
 * the request's services. As with any
 * `@effect/platform` server, each request runs in an `http.server` span when a tracing backend is installed
 * (a tracer other than Effect's built-in one); `tracing: true` always opens it, `tracing: false` never.
 *
 * **Errors.**
 * - A typed failure or a defect of the app becomes a 500 with the body `Internal Server Error` (no details
 *   reach the client), and is logged with `Effect.logError` (with the request id). Failures that are responses
 *   (`RouteNotFound` → 404, `HttpApiDecodeError` → 400, any `Respondable`) keep their response and are only
 *   logged at debug level.
 * - A failure after a streamed reply started (the body stream fails) ends the reply with Lambda's error
 *   trailers, reported like any streaming failure.
 * - Headers whose name or value is not valid HTTP (CR, LF, NUL, other control characters), and such cookies,
 *   are left out of the reply and the prelude, and logged as a warning.
 * - An event that is not JSON is reported as `Runtime.MalformedEvent`; JSON that is not an HTTP event as
 *   `Runtime.UnsupportedEvent` (see {@link HttpHandlerError}).
 * - The deadline interrupts the app (routes are interruptible); the runtime reports `Runtime.DeadlineExceeded`.
 *
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import { currentPreResponseHandlers, ejectDefaultScopeClose, toHandled } from "@effect/platform/HttpApp"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as Handler from "../handler/Handler.js"
import * as ErrorTypes from "../internal/ErrorTypes.js"
import type { InvocationContext } from "../services/InvocationContext.js"
import { MaxBufferedBytes, ResponseSizeTooLargeType } from "../services/ResponseSink.js"
import * as ErrorReport from "../streaming/ErrorReport.js"
import * as HttpPrelude from "../streaming/HttpPrelude.js"
import * as Alb from "./Alb.js"
import * as ApiGatewayV1 from "./ApiGatewayV1.js"
import * as ApiGatewayV2 from "./ApiGatewayV2.js"
import * as FunctionUrl from "./FunctionUrl.js"
import * as Request from "./internal/request.js"
import * as Response from "./internal/response.js"
import * as Router from "./internal/router.js"
import * as LambdaEvent from "./LambdaEvent.js"

/**
 * `"buffered"`: one JSON reply per request. `"streaming"`: the HTTP integration response (prelude + body) for
 * the fronts that stream (Function URLs, REST APIs).
 *
 * @since 0.1.0
 * @category models
 */
export type Mode = "buffered" | "streaming"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Default `"buffered"`. */
  readonly mode?: Mode
  /**
   * Whether a buffered body is sent base64-encoded, given the reply's headers (lower-case names). Default
   * {@link isBinary}. Bytes that are not valid UTF-8 are sent base64-encoded whatever this says.
   */
  readonly isBinary?: (headers: Readonly<Record<string, string>>) => boolean
  /**
   * Whether each request runs in the `http.server` span of `@effect/platform`'s tracer middleware (with its
   * trace-context propagation and request attributes). `true`: always. `false`: never. Default: only when a
   * tracer other than Effect's built-in one is installed (a tracing backend, e.g. an OpenTelemetry layer) — with
   * the built-in tracer, whose spans go nowhere, the span is skipped: about a quarter of the adapter's own time per
   * request.
   */
  readonly tracing?: boolean
}

/**
 * The default binary rule: a body is binary when it has a `content-encoding` other than `identity`, when it
 * has no `content-type`, or when its media type is not text. Text: `text/*`; `application/` `json`,
 * `javascript`, `ecmascript`, `xml`, `yaml`, `x-yaml`, `x-www-form-urlencoded`, `x-ndjson`, `ndjson`,
 * `graphql`, `sql`; any `+json`, `+xml` or `+yaml` suffix. Parameters (`; charset=…`) are ignored.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isBinary: (headers: Readonly<Record<string, string>>) => boolean = Response.isBinary

/**
 * Why an invocation of an HTTP handler failed (rather than being answered with an HTTP status):
 *
 * - `UnsupportedEvent`: the event is JSON but not an HTTP event of a known front (reported as
 *   `Runtime.UnsupportedEvent`; the message says what the event looks like);
 * - `ResponseTooLarge`: in buffered mode, the body is over 6 MiB (reported as `Function.ResponseSizeTooLarge`).
 *
 * @since 0.1.0
 * @category errors
 */
export class HttpHandlerError extends Schema.TaggedError<HttpHandlerError>()("HttpHandlerError", {
  reason: Schema.Literal("UnsupportedEvent", "ResponseTooLarge"),
  detail: Schema.String
}) {
  /** The `errorType` Lambda receives. */
  get errorType(): string {
    return this.reason === "UnsupportedEvent" ? UnsupportedEventType : ResponseSizeTooLargeType
  }
  override get message(): string {
    return this.detail
  }
}

/**
 * `errorType` of an event that is not an HTTP event.
 *
 * @since 0.1.0
 * @category constants
 */
export const UnsupportedEventType = ErrorTypes.UnsupportedEvent

/**
 * What a handler made by {@link make} needs: what the app needs, minus what the adapter provides for every
 * request (`HttpServerRequest`, the request `Scope`, `LambdaEvent`, `InvocationContext`).
 *
 * @since 0.1.0
 * @category models
 */
export type Requirements<R> = Exclude<
  R,
  HttpServerRequest.HttpServerRequest | Scope.Scope | LambdaEvent.LambdaEvent | InvocationContext
>

/**
 * What {@link make} accepts: an `HttpApp` (any `HttpApp.Default`, an `HttpRouter`), or an Effect that builds
 * one (`HttpRouter.toHttpApp(router)`, `HttpApiBuilder.httpApp`).
 *
 * @since 0.1.0
 * @category models
 */
export type App = Effect.Effect<
  HttpServerResponse.HttpServerResponse | HttpApp.Default<unknown, unknown>,
  unknown,
  unknown
>

/**
 * The requirements of the handler made from `A`: those of the app, and of the Effect that builds it, minus what
 * the adapter provides (see {@link Requirements}).
 *
 * @since 0.1.0
 * @category models
 */
export type AppRequirements<A> =
  A extends Effect.Effect<infer Out, infer _E, infer R>
    ? Out extends HttpServerResponse.HttpServerResponse
      ? Requirements<R>
      : Out extends Effect.Effect<HttpServerResponse.HttpServerResponse, infer _E2, infer R2>
        ? Requirements<R | R2>
        : never
    : never

/** What the app answered, with its body in memory (or, for a streamed reply, as a stream). */
interface Reply {
  readonly response: HttpServerResponse.HttpServerResponse
  readonly contentType: string | undefined
  readonly source: Response.Source
}

type LambdaRequest = Request.LambdaServerRequest<Reply>

const GenericError = Buffer.from("Internal Server Error", "utf8")

const tooLarge = (limit: number) =>
  new HttpHandlerError({
    reason: "ResponseTooLarge",
    detail: `The response body is over the ${limit}-byte limit of a buffered reply; serve it in streaming mode.`
  })

const toRequest = (event: LambdaEvent.Event): LambdaRequest => {
  switch (event.source) {
    case "ApiGatewayV1":
      return ApiGatewayV1.toRequest<Reply>(event.event)
    case "ApiGatewayV2":
      return ApiGatewayV2.toRequest<Reply>(event.event)
    case "FunctionUrl":
      return FunctionUrl.toRequest<Reply>(event.event)
    case "Alb":
      return Alb.toRequest<Reply>(event.event)
  }
}

const parseEvent = (bytes: Uint8Array): unknown | Handler.EventError => {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"))
  } catch (error) {
    return new Handler.EventError({
      reason: "Json",
      detail: `The event is not valid JSON: ${error instanceof Error ? error.message : String(error)}`
    })
  }
}

/** Effect's own tracer, installed when no other is: its spans are kept nowhere, so the adapter opens none. */
const builtInTracer: Tracer.Tracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

const isHttpHandlerError = (error: unknown): error is HttpHandlerError => error instanceof HttpHandlerError

const isResponseDefect = (defect: unknown) =>
  HttpServerResponse.isServerResponse(defect) ? Option.some(defect) : Option.none()

const pathOf = (request: LambdaRequest): string => {
  const query = request.url.indexOf("?")
  return query === -1 ? request.url : request.url.slice(0, query)
}

const report = (cause: Cause.Cause<unknown>): ErrorReport.ErrorReport =>
  ErrorReport.fromCause(cause, (error) =>
    error instanceof HttpHandlerError || error instanceof Handler.EventError
      ? ErrorReport.make(error.errorType, error.message)
      : undefined
  )

/**
 * Turn an `HttpApp` into a Lambda handler. Accepts:
 * - an app: any `HttpApp.Default`, an `HttpRouter` (compiled once, on its first request);
 * - an Effect that builds an app: `HttpRouter.toHttpApp(router)`, `HttpApiBuilder.httpApp`. It runs once, on
 *   the first request, with that invocation's services (provide its Layers with `LambdaRuntime.runMain`'s
 *   `layer` option); the app it returns serves every later request.
 *
 * Nothing is rebuilt per request: each invocation parses the event, builds the request, runs the app and
 * translates the response. See the module documentation for modes, the binary rule and errors.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <A extends App>(app: A, options?: Options) => Handler.Handler<HttpHandlerError, AppRequirements<A>> =
  (
    value: Effect.Effect<unknown, unknown, unknown>,
    options: Options = {}
  ): Handler.Handler<HttpHandlerError, never> => {
    const streaming = options.mode === "streaming"
    const binary = options.isBinary ?? Response.isBinary

    let resolved: Effect.Effect<unknown, unknown, unknown> | undefined
    const resolve = Effect.flatMap(value, (result): Effect.Effect<unknown, unknown, unknown> => {
      if (HttpServerResponse.isServerResponse(result)) {
        resolved = value
        return Effect.succeed(result)
      }
      if (Effect.isEffect(result)) {
        resolved = result
        return result
      }
      return Effect.dieMessage("HttpHandler.make: expected an HttpApp, or an Effect that builds one")
    })
    const app = Effect.suspend(() => resolved ?? resolve) as HttpApp.Default<unknown, unknown>
    /** A router is routed by the adapter itself (see `internal/router`), unless the request runs in a span. */
    const dispatch = Router.isRouter(value) ? Router.make(value) : undefined

    /** Record the app's response on the request's exchange; a body stream is collected, or kept for a streamed reply. */
    const respond = (
      request: HttpServerRequest.HttpServerRequest,
      scope: Scope.CloseableScope,
      response: HttpServerResponse.HttpServerResponse
    ): Effect.Effect<void, unknown> => {
      if (!(request instanceof Request.LambdaServerRequest)) {
        return Effect.dieMessage("HttpHandler: the HttpServerRequest was replaced by one the adapter did not make")
      }
      const exchange = (request as LambdaRequest).exchange
      if (request.method === "HEAD") {
        exchange.reply = { response, contentType: undefined, source: Response.emptySource }
        return Effect.void
      }
      return Effect.flatMap(Response.source(response.body), ({ contentType, source }) => {
        if (source._tag === "Bytes") {
          exchange.reply = { response, contentType, source }
          return Effect.void
        }
        if (exchange.stream) {
          // The reply outlives the app: the request scope stays open until the body stream ends (see `serve`).
          exchange.reply = {
            response,
            contentType,
            source: { _tag: "Stream", stream: Stream.ensuring(source.stream, Scope.close(scope, Exit.void)) }
          }
          return Effect.void
        }
        return Effect.map(
          Effect.interruptible(Response.collect(source.stream, MaxBufferedBytes, tooLarge)),
          (bytes) => {
            exchange.reply = { response, contentType, source: { _tag: "Bytes", bytes } }
          }
        )
      })
    }

    /** The response through the pre-response handlers (`HttpApp.appendPreResponseHandler`) to `respond`. */
    const preRespond = (
      request: LambdaRequest,
      scope: Scope.CloseableScope,
      response: HttpServerResponse.HttpServerResponse
    ): Effect.Effect<void, unknown> =>
      Effect.withFiberRuntime((fiber) => {
        const handler = fiber.getFiberRef(currentPreResponseHandlers)
        return handler._tag === "None"
          ? respond(request, scope, response)
          : Effect.flatMap(handler.value(request, response), (final) => respond(request, scope, final))
      })

    /**
     * What a server does with an `HttpApp` for one request (as `HttpApp.toHandled`, without its span), the request's
     * services and `scope` already on the fiber: the app's response, or the response its failure stands for
     * (`HttpServerError.causeResponse`: 404 for `RouteNotFound`, any `Respondable`, else 500), is recorded by
     * `respond`; a failure stays the exit's cause.
     */
    const serve = (
      request: LambdaRequest,
      scope: Scope.CloseableScope,
      routed: HttpApp.Default<unknown, unknown> | undefined
    ): Effect.Effect<void, unknown, InvocationContext> =>
      Effect.catchAllCause(
        Effect.flatMap(routed ?? ((resolved ?? app) as HttpApp.Default<unknown, unknown>), (response) =>
          preRespond(request, scope, response)
        ),
        (cause) =>
          Effect.flatMap(HttpServerError.causeResponse(cause), ([response, left]) =>
            Effect.zipRight(
              preRespond(request, scope, response),
              Cause.isEmptyType(left) ? Effect.void : Effect.failCause(left)
            )
          )
      ) as Effect.Effect<void, unknown, InvocationContext>

    /**
     * With a tracing backend (or `tracing: true`): the platform's own `toHandled`, whose `http.server` span wraps the
     * request, and whose request scope is kept open (ejected) while a streamed body is sent.
     */
    const servedInSpan = toHandled(app, (request, response) =>
      Effect.flatMap(Effect.scope, (scope) => {
        const lambdaRequest = request as LambdaRequest
        return Effect.map(respond(lambdaRequest, scope as Scope.CloseableScope, response), () => {
          if (lambdaRequest.exchange.reply?.source._tag === "Stream") ejectDefaultScopeClose(scope)
        })
      })
    ) as Effect.Effect<void, never, InvocationContext>

    const finish = (
      event: LambdaEvent.Event,
      request: LambdaRequest,
      exit: Exit.Exit<void, unknown>
    ): Effect.Effect<Handler.Payload | Handler.StreamReply, HttpHandlerError> => {
      const logs: Array<Effect.Effect<void>> = []
      let failed = false
      if (Exit.isFailure(exit)) {
        const cause = Option.getOrElse(Cause.stripSomeDefects(exit.cause, isResponseDefect), () => Cause.empty)
        if (!Cause.isEmpty(cause)) {
          if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause) as Effect.Effect<never>
          const own = Chunk.findFirst(Cause.failures(cause), isHttpHandlerError)
          if (Option.isSome(own)) return Effect.fail(own.value)
          failed = true
          const status = request.exchange.reply?.response.status ?? 500
          const line = `${request.method} ${pathOf(request)} failed, answered ${status}`
          logs.push(status >= 500 ? Effect.logError(line, cause) : Effect.logDebug(line, cause))
        }
      }
      const reply = request.exchange.reply
      if (reply === undefined) {
        return Effect.zipRight(Effect.all(logs), Effect.dieMessage("HttpHandler: the app finished without a response"))
      }
      let source = reply.source
      let contentType = reply.contentType
      if (
        failed &&
        reply.response.status >= 500 &&
        request.method !== "HEAD" &&
        source._tag === "Bytes" &&
        source.bytes.length === 0
      ) {
        source = { _tag: "Bytes", bytes: GenericError }
        contentType = "text/plain; charset=utf-8"
      }
      const head = Response.head(reply.response, contentType)
      if (head.dropped.length > 0) {
        logs.push(
          Effect.logWarning(
            `Left out of the ${head.statusCode} reply to ${request.method} ${pathOf(request)} (not valid HTTP): ${head.dropped.join(", ")}`
          )
        )
      }
      let output: Handler.Payload | Handler.StreamReply
      if (request.exchange.stream) {
        const prelude = event.source === "FunctionUrl" ? FunctionUrl.toPrelude(head) : ApiGatewayV1.toPrelude(head)
        const body =
          source._tag === "Stream"
            ? source.stream
            : source.bytes.length === 0
              ? Stream.empty
              : Stream.succeed(source.bytes)
        output = new Handler.StreamReply(HttpPrelude.stream(prelude, body), HttpPrelude.ContentType)
      } else {
        const bytes = source._tag === "Bytes" ? source.bytes : GenericError
        const body = Response.encodeBody(bytes, binary(head.headers))
        let result: ApiGatewayV1.Result | ApiGatewayV2.Result | Alb.Result
        switch (event.source) {
          case "ApiGatewayV1":
            result = ApiGatewayV1.toResult(head, body)
            break
          case "ApiGatewayV2":
          case "FunctionUrl":
            result = ApiGatewayV2.toResult(head, body)
            break
          case "Alb":
            result = Alb.toResult(event.event, head, body)
            if (head.cookies.length > 1 && !Alb.isMultiValue(event.event)) {
              logs.push(
                Effect.logWarning(
                  `${head.cookies.length} cookies set, but this ALB target group sends single-value headers: only the last was sent. Enable multi-value headers on the target group.`
                )
              )
            }
            break
        }
        output = { body: JSON.stringify(result), contentType: "application/json" }
      }
      return logs.length === 0 ? Effect.succeed(output) : Effect.as(Effect.all(logs, { discard: true }), output)
    }

    return {
      [Handler.TypeId]: Handler.TypeId,
      _tag: streaming ? "Streamed" : "Buffered",
      run: (bytes) =>
        Effect.suspend(
          (): Effect.Effect<
            Handler.Payload | Handler.StreamReply,
            HttpHandlerError | Handler.EventError,
            InvocationContext
          > => {
            const json = parseEvent(bytes)
            if (json instanceof Handler.EventError) return Effect.fail(json)
            const event = LambdaEvent.detect(json)
            if (typeof event === "string") {
              return Effect.fail(
                new HttpHandlerError({
                  reason: "UnsupportedEvent",
                  detail: `Not an HTTP event: ${event}. Expected an API Gateway REST (payload 1.0), API Gateway HTTP API (payload 2.0), Application Load Balancer or Function URL event.`
                })
              )
            }
            const request = toRequest(event)
            request.exchange.stream = streaming && (event.source === "FunctionUrl" || event.source === "ApiGatewayV1")
            // Uninterruptible (as a server runs an app), but for its routes: an interruption (the deadline) must not
            // let the app's internal "response" defect escape as this invocation's cause. In that region the request's
            // services (the request, the event and, without a span, the request scope) are set on the fiber in one
            // step and restored after the app, without the brackets of `Effect.locally` / `Scope.extend`.
            return Effect.uninterruptible(
              Effect.withFiberRuntime((fiber) => {
                const previous = fiber.currentContext
                const services = new Map(previous.unsafeMap)
                services.set(HttpServerRequest.HttpServerRequest.key, request)
                services.set(LambdaEvent.LambdaEvent.key, event)
                const enter = FiberRef.set(FiberRef.currentContext, Context.unsafeMake(services))
                const leave = FiberRef.set(FiberRef.currentContext, previous)
                const traced =
                  options.tracing === true || (options.tracing !== false && fiber.currentTracer !== builtInTracer)
                if (traced) {
                  return Effect.zipRight(
                    enter,
                    Effect.flatMap(Effect.exit(servedInSpan), (exit) =>
                      Effect.zipRight(leave, finish(event, request, exit))
                    )
                  )
                }
                return Effect.flatMap(Scope.make(), (scope) => {
                  services.set(Scope.Scope.key, scope)
                  const routed = dispatch === undefined ? undefined : dispatch(fiber, request, services)
                  return Effect.zipRight(
                    enter,
                    Effect.flatMap(Effect.exit(serve(request, scope, routed)), (exit) =>
                      // A streamed body keeps the scope open: its stream closes the scope when it ends.
                      Effect.zipRight(
                        request.exchange.reply?.source._tag === "Stream"
                          ? leave
                          : Effect.zipRight(Scope.close(scope, exit), leave),
                        finish(event, request, exit)
                      )
                    )
                  )
                })
              })
            )
          }
        ),
      report
    }
  }
