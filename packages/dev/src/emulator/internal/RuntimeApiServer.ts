/**
 * The Runtime API server's construction: the Node server on 127.0.0.1, the record of every exchange, the
 * service's operations, and the stop that closes every connection.
 *
 * @internal
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import * as RuntimeApiServer from "../RuntimeApiServer.js"
import * as ExtensionsApi from "./ExtensionsApi.js"
import { headerRecord } from "./HttpBody.js"
import * as InvocationQueue from "./InvocationQueue.js"
import * as RuntimeApiRoutes from "./RuntimeApiRoutes.js"

const functionNameOf = (arn: string): string => arn.slice(arn.lastIndexOf(":") + 1)

/** @internal */
export const make: (
  options?: RuntimeApiServer.Options
) => Effect.Effect<RuntimeApiServer.Service, HttpServerError.ServeError, Scope.Scope> = Effect.fnUntraced(function* (
  options?: RuntimeApiServer.Options
) {
  const queue = InvocationQueue.make()
  const extensions = ExtensionsApi.make()
  const records: Array<RuntimeApiRoutes.ExchangeRecord> = []
  const recordOf = new WeakMap<Http.IncomingMessage, RuntimeApiRoutes.ExchangeRecord>()
  const violations: Array<string> = []
  const initErrors: Array<RuntimeApiServer.InitError> = []
  const firstInitError = yield* Deferred.make<RuntimeApiServer.InitError>()
  let nextPolls = 0
  let closed = false

  const nodeServer = Http.createServer()
  // Runtimes hold connections open across long polls and slow streams, as Lambda's own server allows.
  nodeServer.keepAliveTimeout = 0
  nodeServer.requestTimeout = 0
  nodeServer.on("request", (incoming: Http.IncomingMessage) => {
    const record: RuntimeApiRoutes.ExchangeRecord = {
      method: incoming.method ?? "",
      path: incoming.url ?? "",
      headers: headerRecord(incoming.headers),
      bodyLength: 0,
      trailers: {},
      state: "pending",
      status: undefined,
      requestId: undefined
    }
    records.push(record)
    recordOf.set(incoming, record)
  })

  const httpServer = yield* NodeHttpServer.make(() => nodeServer, { host: "127.0.0.1", port: options?.port ?? 0 })
  const address =
    httpServer.address._tag === "TcpAddress"
      ? `${httpServer.address.hostname}:${httpServer.address.port}`
      : httpServer.address.path

  yield* Effect.addFinalizer(() =>
    Effect.suspend(() => {
      closed = true
      if (nodeServer.listening) nodeServer.close()
      nodeServer.closeAllConnections()
      return queue.close
    })
  )

  const functionArn = options?.functionArn ?? RuntimeApiServer.Defaults.functionArn
  const router = RuntimeApiRoutes.make({
    queue,
    extensions,
    recordOf,
    violations,
    initErrors,
    firstInitError,
    countPoll: () => {
      nextPolls++
    },
    polled: () => nextPolls > 0,
    functionArn,
    functionName: functionNameOf(functionArn),
    handler: options?.handler ?? RuntimeApiServer.Defaults.handler
  })
  const app = yield* HttpRouter.toHttpApp(router).pipe(HttpRouter.withRouterConfig({ maxParamLength: 65_536 }))
  yield* httpServer.serve(app)
  yield* Effect.logDebug(`RuntimeApiServer: listening on ${address}`)

  const enqueue = (request: RuntimeApiServer.InvokeRequest): Effect.Effect<RuntimeApiServer.Enqueued> =>
    Effect.gen(function* () {
      if (closed) return yield* Effect.dieMessage("RuntimeApiServer: the server is closed")
      for (const [name, value] of Object.entries(request.headers ?? {})) {
        yield* Effect.try(() => {
          Http.validateHeaderName(name)
          if (value !== null) Http.validateHeaderValue(name, value)
        }).pipe(Effect.orDie)
      }
      const requestId = request.requestId ?? Crypto.randomUUID()
      const existing = queue.entries.get(requestId)
      if (existing !== undefined && existing.state !== "answered" && existing.state !== "undelivered") {
        return yield* Effect.dieMessage(`RuntimeApiServer: request id ${JSON.stringify(requestId)} is already in use`)
      }
      const entry: InvocationQueue.Entry = {
        requestId,
        request,
        outcome: yield* Deferred.make<RuntimeApiServer.Outcome>(),
        delivered: yield* Deferred.make<RuntimeApiServer.Delivery>(),
        reply: yield* Deferred.make<RuntimeApiServer.Reply>(),
        state: "queued",
        invocationId: undefined
      }
      queue.entries.set(requestId, entry)
      queue.offer(entry)
      return {
        requestId,
        outcome: Deferred.await(entry.outcome),
        delivered: Deferred.await(entry.delivered),
        reply: Deferred.await(entry.reply)
      }
    })

  return RuntimeApiServer.RuntimeApiServer.of({
    address,
    enqueue,
    invoke: (request) => Effect.flatMap(enqueue(request), (enqueued) => enqueued.outcome),
    initErrors: Effect.sync(() => initErrors.slice()),
    awaitInitError: Deferred.await(firstInitError),
    exchanges: Effect.sync(() => records.map((record): RuntimeApiServer.Exchange => ({ ...record }))),
    violations: Effect.sync(() => violations.slice()),
    nextPolls: Effect.sync(() => nextPolls),
    extensions: Effect.sync(() => extensions.list()),
    shutdown: (reason, deadlineMs) =>
      Effect.sync(() => extensions.publish({ eventType: "SHUTDOWN", shutdownReason: reason, deadlineMs }))
  })
})
