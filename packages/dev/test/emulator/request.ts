/**
 * One HTTP request from a plain `node:http` client (no agent, so no connection is shared between requests),
 * with the whole answer read: what the emulator's wire tests send to its fronts and to the Runtime API server.
 */
import { Effect } from "effect"
import * as Http from "node:http"

export interface Answer {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

/**
 * Send `method path` to `server` (`http://host:port` or `host:port`) and read the answer; fails on a transport
 * error or when no whole answer came within 60 s. Interrupting it destroys the request.
 */
export const request = (
  server: string,
  method: string,
  path: string,
  headers: Http.OutgoingHttpHeaders = {},
  body?: string
): Effect.Effect<Answer, Error> =>
  Effect.async<Answer, Error>((resume) => {
    const base = server.includes("://") ? server : `http://${server}`
    const req = Http.request(`${base}${path}`, { method, headers, agent: false })
    req.on("error", (error) => resume(Effect.fail(error)))
    req.on("response", (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () =>
        resume(
          Effect.succeed({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8")
          })
        )
      )
    })
    req.end(body)
    return Effect.sync(() => req.destroy())
  }).pipe(Effect.timeoutFail({ duration: "60 seconds", onTimeout: () => new Error(`no answer to ${method} ${path}`) }))
