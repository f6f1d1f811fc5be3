/**
 * The Function URL front: any request that is not a Lambda API call becomes a payload-2.0 event; the reply is
 * translated back (buffered), or its HTTP-integration prelude and body are sent as they arrive (streamed,
 * `RESPONSE_STREAM`). See the `Emulator` module for how errors reach the client.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import type * as Http from "node:http"
import * as HttpPrelude from "effect-lambda-runtime/HttpPrelude"
import * as Emulator from "../Emulator.js"
import * as FunctionUrlFront from "../FunctionUrlFront.js"
import type { FrontContext } from "./FrontContext.js"
import { collect, headerObject, readRequest, writer } from "./HttpExchange.js"
import { sizeError } from "./InvokeFront.js"

const encoder = new TextEncoder()

/** Fails when the function's headers are not valid HTTP (nothing was sent then). */
const respond = (res: Http.ServerResponse, response: FunctionUrlFront.Response) =>
  Effect.flatMap(
    Effect.try(() =>
      res.writeHead(response.status, {
        ...headerObject(response.headers),
        "content-length": String(response.body.length)
      })
    ),
    () => writer(res).end(response.body)
  )

const badGateway = (ctx: FrontContext, res: Http.ServerResponse, why: string, label: string, startedAt: number) =>
  Effect.zipRight(
    Effect.orDie(respond(res, FunctionUrlFront.badGateway)),
    ctx.logLine(label, `502 ${why}`, startedAt, FunctionUrlFront.badGateway.body.length)
  )

/** Serve one request as a Function URL. @internal */
export const handle = (ctx: FrontContext, req: Http.IncomingMessage, res: Http.ServerResponse) =>
  Effect.gen(function* () {
    const startedAt = Date.now()
    const method = req.method ?? "GET"
    const url = req.url ?? "/"
    const label = `${method} ${url}`
    const body = yield* readRequest(req, Emulator.Limits.requestBytes)
    if (body._tag === "TooLarge") {
      const tooLarge = encoder.encode(JSON.stringify({ message: "Request Entity Too Large" }))
      yield* Effect.orDie(
        respond(res, { status: 413, headers: [["content-type", "application/json"]], body: tooLarge })
      )
      return yield* ctx.logLine(label, "413", startedAt, tooLarge.length)
    }
    const requestId = Crypto.randomUUID()
    const event = FunctionUrlFront.event(
      {
        method,
        url,
        rawHeaders: req.rawHeaders,
        body: body.bytes,
        sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
        protocol: `HTTP/${req.httpVersion}`
      },
      {
        requestId,
        timeEpochMs: startedAt,
        urlId: FunctionUrlFront.urlId(ctx.fn.functionName),
        ...(req.socket.localPort === undefined ? {} : { port: req.socket.localPort })
      }
    )
    const reply = yield* ctx.fn.invoke({ event: JSON.stringify(event), requestId })
    if (reply._tag === "Error") return yield* badGateway(ctx, res, reply.error.errorType, label, startedAt)
    const out = writer(res)
    const preludeMode = reply.contentType.split(";")[0]!.trim().toLowerCase() === HttpPrelude.ContentType
    if (preludeMode || (reply.streamed && ctx.mode === "streamed")) {
      return yield* Effect.scoped(
        Effect.gen(function* () {
          const pull = yield* Stream.toPull(reply.body)
          const source = Stream.repeatEffectChunkOption(pull)
          let head: { readonly status: number; readonly headers: ReadonlyArray<readonly [string, string]> }
          let rest: Stream.Stream<Uint8Array>
          if (preludeMode) {
            const decoded = yield* Effect.either(HttpPrelude.decode(source))
            if (Either.isLeft(decoded)) {
              yield* Stream.runDrain(source)
              const completion = yield* reply.completion
              if (completion.error === undefined) yield* ctx.notice(`${label}: ${decoded.left.message}`)
              return yield* badGateway(ctx, res, completion.error?.errorType ?? "InvalidPrelude", label, startedAt)
            }
            head = FunctionUrlFront.fromPrelude(decoded.right.prelude)
            rest = decoded.right.body
          } else {
            head = { status: 200, headers: [["content-type", reply.contentType]] }
            rest = source
          }
          if (ctx.mode === "buffered") {
            const collected = yield* collect(rest, Emulator.Limits.bufferedResponseBytes)
            const completion = yield* reply.completion
            const error = completion.error ?? (collected === undefined ? sizeError(requestId) : undefined)
            if (error !== undefined) return yield* badGateway(ctx, res, error.errorType, label, startedAt)
            const sent = yield* Effect.either(respond(res, { ...head, body: collected! }))
            if (Either.isLeft(sent)) {
              yield* ctx.notice(`${label}: the prelude's headers are not valid HTTP`)
              return yield* badGateway(ctx, res, "InvalidPrelude", label, startedAt)
            }
            return yield* ctx.logLine(label, String(head.status), startedAt, collected!.length)
          }
          const written = yield* Effect.either(Effect.try(() => res.writeHead(head.status, headerObject(head.headers))))
          if (Either.isLeft(written)) {
            yield* Stream.runDrain(rest)
            yield* reply.completion
            yield* ctx.notice(`${label}: the prelude's headers are not valid HTTP: ${String(written.left)}`)
            return yield* badGateway(ctx, res, "InvalidPrelude", label, startedAt)
          }
          res.flushHeaders()
          yield* Stream.runForEach(rest, out.write)
          const completion = yield* reply.completion
          if (completion.error !== undefined) {
            yield* out.cut
            return yield* ctx.logLine(
              label,
              `${head.status}, cut off: ${completion.error.errorType}`,
              startedAt,
              out.sent()
            )
          }
          yield* out.end()
          return yield* ctx.logLine(label, String(head.status), startedAt, out.sent())
        })
      )
    }
    const collected = yield* collect(reply.body, Emulator.Limits.bufferedResponseBytes)
    const completion = yield* reply.completion
    const error = completion.error ?? (collected === undefined ? sizeError(requestId) : undefined)
    if (error !== undefined) return yield* badGateway(ctx, res, error.errorType, label, startedAt)
    const response = FunctionUrlFront.fromBuffered(collected!, reply.contentType)
    if ("_tag" in response) {
      yield* ctx.notice(`${label}: the function's reply is not a valid Function URL response: ${response.reason}`)
      return yield* badGateway(ctx, res, "InvalidResponse", label, startedAt)
    }
    const sent = yield* Effect.either(respond(res, response))
    if (Either.isLeft(sent)) {
      yield* ctx.notice(`${label}: the function's headers are not valid HTTP`)
      return yield* badGateway(ctx, res, "InvalidResponse", label, startedAt)
    }
    return yield* ctx.logLine(label, String(response.status), startedAt, response.body.length)
  })
