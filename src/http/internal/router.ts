/**
 * An `HttpRouter` served by the adapter itself: the same routing as the router's own app (`find-my-way-ts` with the
 * fiber's `HttpRouter.currentRouterConfig`, mounts first, `HEAD` answered by a `GET` route, `RouteNotFound`, a route's
 * prefix sliced off the request, `ParsedSearchParams` and `RouteContext` for the route), with the route's services
 * added to the services the adapter sets for the request anyway. The router's own app copies the fiber's services a
 * second time and brackets the route with `Effect.locally`; the adapter restores the fiber's services after the app,
 * so neither is needed here (`GET /hello` in one process: the router's cost over a plain app 5.3–7.7 → 0.9–1.3 µs).
 *
 * One difference, on purpose: the router's own app is compiled once per router object, with the configuration of the
 * first fiber that runs it anywhere; this dispatch is compiled once per handler, with its own first fiber's.
 *
 * @internal
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerRespondable from "@effect/platform/HttpServerRespondable"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FindMyWay from "find-my-way-ts"

type Route = HttpRouter.Route<unknown, unknown>
type Served = Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, unknown>

class RouteContext implements HttpRouter.RouteContext {
  readonly [HttpRouter.RouteContextTypeId]: HttpRouter.RouteContextTypeId = HttpRouter.RouteContextTypeId
  constructor(
    readonly route: Route,
    readonly params: Readonly<Record<string, string | undefined>>
  ) {}
}

interface Mount {
  readonly path: string
  readonly context: RouteContext
  readonly includePrefix: boolean
}

interface Compiled {
  readonly find: FindMyWay.Router<Route>
  readonly mounts: ReadonlyArray<Mount>
}

const sliceUrl = (request: HttpServerRequest.HttpServerRequest, prefix: string): HttpServerRequest.HttpServerRequest =>
  request.modify({ url: request.url.length <= prefix.length ? "/" : request.url.slice(prefix.length) })

/**
 * Whether `u` is an `HttpRouter` (the module has no guard of its own).
 *
 * @internal
 */
export const isRouter = (u: unknown): u is HttpRouter.HttpRouter<unknown, unknown> =>
  typeof u === "object" && u !== null && HttpRouter.TypeId in u

const toResponse = (handler: Route["handler"]): Served => Effect.flatMap(handler, HttpServerRespondable.toResponse)

/**
 * A router's dispatch: `dispatch(fiber, request, services)` routes `request`, adds what the route sees to
 * `services` (the map the adapter is about to set as the fiber's context) and returns the route's effect. The router
 * is compiled on the first request, with that fiber's router configuration. Should routing throw, the throw is the
 * app's defect (a 500, as the router's own app would answer).
 *
 * @internal
 */
export const make = (router: HttpRouter.HttpRouter<unknown, unknown>) => {
  let compiled: Compiled | undefined
  const compile = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Compiled => {
    const find = FindMyWay.make<Route>(fiber.getFiberRef(HttpRouter.currentRouterConfig))
    const mounts = Array.from(router.mounts, ([path, app, options]): Mount => {
      const includePrefix = options?.includePrefix === true
      const route = HttpRouter.makeRoute("*", includePrefix ? (`${path}/*` as HttpRouter.PathInput) : "/*", app, {
        ...(includePrefix ? {} : { prefix: path })
      }) as Route
      return { path, context: new RouteContext(route, {}), includePrefix }
    })
    for (const route of router.routes as Iterable<Route>) {
      if (route.method === "*") find.all(route.path, route)
      else find.on(route.method, route.path, route)
    }
    return { find, mounts }
  }

  const dispatch = (
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    request: HttpServerRequest.HttpServerRequest,
    services: Map<string, unknown>
  ): Served => {
    if (compiled === undefined) compiled = compile(fiber)
    const { find, mounts } = compiled
    if (mounts.length > 0) {
      const query = request.url.indexOf("?")
      const pathname = query === -1 ? request.url : request.url.slice(0, query)
      for (const mount of mounts) {
        if (pathname === mount.path || pathname.startsWith(`${mount.path}/`)) {
          services.set(HttpRouter.RouteContext.key, mount.context)
          if (!mount.includePrefix) services.set(HttpServerRequest.HttpServerRequest.key, sliceUrl(request, mount.path))
          return toResponse(mount.context.route.handler)
        }
      }
    }
    let result = find.find(request.method, request.url)
    if (result === undefined && request.method === "HEAD") result = find.find("GET", request.url)
    if (result === undefined) return Effect.fail(new HttpServerError.RouteNotFound({ request }))
    const route = result.handler
    if (route.prefix._tag === "Some") {
      services.set(HttpServerRequest.HttpServerRequest.key, sliceUrl(request, route.prefix.value))
    }
    services.set(HttpServerRequest.ParsedSearchParams.key, result.searchParams)
    services.set(HttpRouter.RouteContext.key, new RouteContext(route, result.params))
    const response = toResponse(route.handler)
    return route.uninterruptible ? response : Effect.interruptible(response)
  }

  return (
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    request: HttpServerRequest.HttpServerRequest,
    services: Map<string, unknown>
  ): Served => {
    try {
      return dispatch(fiber, request, services)
    } catch (defect) {
      return Effect.die(defect)
    }
  }
}
