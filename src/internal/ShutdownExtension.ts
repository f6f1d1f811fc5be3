/**
 * Graceful shutdown on Lambda. Lambda sends SIGTERM to the runtime before it shuts an environment down only when
 * an extension is registered; otherwise the process is killed and no finalizer runs. So the live runtime
 * registers an internal extension for no events (`POST /2020-01-01/extension/register`) before its first `/next`,
 * and leaves that extension's `GET /2020-01-01/extension/event/next` pending on a connection of its own: the
 * extension is then ready, never busy, and Lambda sends SIGTERM at shutdown (with up to 500 ms before SIGKILL).
 *
 * A Runtime API without the Extensions API (an emulator that does not implement it) is logged and the runtime goes
 * on without it.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { Http1Connection, type Response } from "./Http1Connection.js"

/** The name the extension registers with. */
export const name = "effect-lambda-runtime"

const registerBody = Buffer.from('{"events":[]}')

const exchange = (
  connection: Http1Connection,
  head: string,
  body: Uint8Array | undefined,
  guarded: boolean
): Effect.Effect<Response, Error> =>
  Effect.async<Response, Error>((resume) => {
    connection.exchange(
      head,
      body,
      (error, response) => resume(error !== undefined ? Effect.fail(error) : Effect.succeed(response!)),
      guarded
    )
  })

const describe = (response: Response): string => {
  const text = response.body.toString("utf8").slice(0, 200)
  return `status ${response.status}${text.length > 0 ? `: ${text}` : ""}`
}

/**
 * Register the extension and leave its `event/next` pending for as long as the scope is open. Never fails: a
 * refusal is logged as a warning, since the function still runs, only without SIGTERM at shutdown.
 */
export const register = (options: {
  readonly host: string
  readonly port: number
  readonly answerTimeoutMs: number
}): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => new Http1Connection(options.host, options.port, options.answerTimeoutMs)),
    (connection) => Effect.sync(() => connection.destroy())
  ).pipe(
    Effect.flatMap((connection) =>
      exchange(
        connection,
        "POST /2020-01-01/extension/register HTTP/1.1\r\n" +
          `Host: ${options.host}:${options.port}\r\n` +
          `Lambda-Extension-Name: ${name}\r\n` +
          "Content-Type: application/json\r\n" +
          `Content-Length: ${registerBody.length}\r\n\r\n`,
        registerBody,
        true
      ).pipe(
        Effect.flatMap((response) => {
          const identifier = response.headers["lambda-extension-identifier"]
          if (response.status !== 200 || identifier === undefined || identifier === "") {
            return Effect.fail(new Error(`the Extensions API refused the registration (${describe(response)})`))
          }
          return Effect.sync(() => {
            // Pending until the environment shuts down; never answered for an extension with no events. The
            // socket must not keep the process alive on its own.
            connection.exchange(
              "GET /2020-01-01/extension/event/next HTTP/1.1\r\n" +
                `Host: ${options.host}:${options.port}\r\n` +
                `Lambda-Extension-Identifier: ${identifier}\r\n\r\n`,
              undefined,
              () => {}
            )
            connection.raw.unref()
          })
        })
      )
    ),
    Effect.catchAll((error) =>
      Effect.logWarning(
        `Graceful shutdown unavailable: ${error.message}. Lambda will not send SIGTERM to this runtime, so ` +
          "finalizers run only when the process is stopped by a signal (EFFECT_LAMBDA_SHUTDOWN_EXTENSION=false " +
          "skips the registration)."
      )
    )
  )
