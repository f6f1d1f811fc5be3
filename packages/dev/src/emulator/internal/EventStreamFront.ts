/**
 * The `InvokeWithResponseStream` answer: HTTP 200 with the function's content type, one `PayloadChunk`
 * event per piece of body as it arrives, then `InvokeComplete` (with `ErrorCode`/`ErrorDetails` when the
 * invocation failed, and `LogResult` when asked for).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as Http from "node:http"
import * as EventStream from "../EventStream.js"
import type * as LocalFunction from "../LocalFunction.js"
import type { FrontContext } from "./FrontContext.js"
import { writer } from "./HttpExchange.js"

/** @internal */
export const answer = (
  ctx: FrontContext,
  res: Http.ServerResponse,
  reply: LocalFunction.Reply,
  request: { readonly label: string; readonly startedAt: number; readonly tail: boolean }
) =>
  Effect.gen(function* () {
    const out = writer(res)
    res.writeHead(200, {
      "x-amz-executed-version": "$LATEST",
      "x-amzn-requestid": reply.requestId,
      "content-type": reply._tag === "Response" ? reply.contentType : "application/json"
    })
    let error: LocalFunction.FunctionError | undefined
    let logResult: string
    let bytes = 0
    if (reply._tag === "Error") {
      error = reply.error
      logResult = reply.logResult
    } else {
      yield* Stream.runForEach(reply.body, (chunk) => {
        bytes += chunk.length
        return out.write(EventStream.payloadChunk(chunk))
      })
      const completion = yield* reply.completion
      error = completion.error
      logResult = completion.logResult
    }
    yield* out.end(
      EventStream.invokeComplete({
        ...(error === undefined ? {} : { ErrorCode: error.errorType, ErrorDetails: error.errorMessage }),
        ...(request.tail ? { LogResult: logResult } : {})
      })
    )
    return yield* ctx.logLine(
      request.label,
      error === undefined ? "200" : `200, ${error.errorType}`,
      request.startedAt,
      bytes
    )
  })
