/**
 * The emulator's construction: one Node server for all fronts, each request routed by its method and path
 * (the Lambda API paths to the `Invoke`/`InvokeWithResponseStream` front, anything else to the Function URL
 * front), a 500 for anything the fronts did not expect, and the listen with its errors.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import * as Emulator from "../Emulator.js"
import * as LocalFunction from "../LocalFunction.js"
import type { FrontContext } from "./FrontContext.js"
import * as FunctionUrlServe from "./FunctionUrlServe.js"
import { requestLine } from "./HttpExchange.js"
import * as InvokeFront from "./InvokeFront.js"

const invokePath = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/
const streamPath = /^\/2021-11-15\/functions\/([^/]+)\/response-streaming-invocations$/

/** One line for an unexpected failure of a front: the error's own message, never its stack. */
const describeCause = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

/** @internal */
export const make = (
  options: Emulator.Options = {}
): Effect.Effect<Emulator.Service, Emulator.EmulatorError, Scope.Scope | LocalFunction.LocalFunction> =>
  Effect.gen(function* () {
    const fn = yield* LocalFunction.LocalFunction
    const console = yield* Console.consoleWith(Effect.succeed)
    const fibers = yield* FiberSet.make()
    const runFork = yield* FiberSet.runtime(fibers)<never>()
    const mode = options.functionUrl ?? "buffered"
    const host = options.host ?? Emulator.Defaults.host
    const requestedPort = options.port ?? Emulator.Defaults.port

    const notice = (text: string) => Effect.sync(() => console.unsafe.error(`! ${text}`))
    const ctx: FrontContext = {
      fn,
      mode,
      logLine: (label, outcome, startedAt, bytes) =>
        Effect.sync(() => console.unsafe.log(requestLine(label, outcome, startedAt, bytes))),
      notice,
      runFork
    }

    const handle = (req: Http.IncomingMessage, res: Http.ServerResponse): Effect.Effect<void> => {
      const path = (req.url ?? "/").split("?")[0]!
      const api = req.method === "POST" ? (invokePath.exec(path) ?? streamPath.exec(path)) : null
      const name =
        api === null ? undefined : Option.getOrElse(Option.liftThrowable(decodeURIComponent)(api[1]!), () => api[1]!)
      const front =
        api === null || name === undefined
          ? FunctionUrlServe.handle(ctx, req, res)
          : InvokeFront.handle(ctx, req, res, name, api[0]!.startsWith("/2021-11-15/"))
      return front.pipe(
        Effect.catchAllCause((cause) =>
          Effect.suspend(() => {
            if (req.destroyed || res.destroyed || req.socket.destroyed) {
              // The client went away (mid-upload or mid-reply): nobody to answer, nothing to dump.
              res.destroy()
              return notice(`${req.method} ${req.url}: the client closed the connection before the reply was sent`)
            }
            if (res.headersSent) {
              res.destroy()
              return Effect.void
            }
            return Effect.zipRight(
              notice(`${req.method} ${req.url}: ${describeCause(cause)}`),
              Effect.sync(() => {
                res.writeHead(500, { "content-type": "application/json" })
                res.end(JSON.stringify({ message: "Internal Server Error" }))
              })
            )
          })
        ),
        Effect.catchAllDefect(() => Effect.void)
      )
    }

    const server = Http.createServer()
    server.requestTimeout = 0
    server.on("request", (req: Http.IncomingMessage, res: Http.ServerResponse) => {
      runFork(handle(req, res))
    })
    const port = yield* Effect.async<number, Emulator.EmulatorError>((resume) => {
      const onError = (error: NodeJS.ErrnoException) => {
        server.off("listening", onListening)
        resume(
          Effect.fail(
            new Emulator.EmulatorError({
              reason: error.code === "EADDRINUSE" ? "PortInUse" : "Listen",
              port: requestedPort,
              cause: error
            })
          )
        )
      }
      const onListening = () => {
        server.off("error", onError)
        const address = server.address()
        resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : requestedPort))
      }
      server.once("error", onError).once("listening", onListening)
      server.listen(requestedPort, host)
    })
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        server.close()
        server.closeAllConnections()
      })
    )
    const shownHost = host.includes(":") ? `[${host}]` : host
    return Emulator.Emulator.of({ url: `http://${shownHost}:${port}`, port, functionUrl: mode })
  })
