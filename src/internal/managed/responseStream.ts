/**
 * A `RuntimeApi.StreamWriter` over the managed runtime's response stream, so `ChunkedUpload` pulls a handler's
 * stream into it exactly as it does into our own chunked POST (backpressure, size limit, finalizers).
 *
 * Error trailers cannot be written on that stream directly: the managed runtime writes them itself when the
 * handler's promise rejects. So `end(trailers)` leaves the stream open, and the caller rejects with the report.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { ResponseStream } from "../../ManagedRuntime.js"
import * as RuntimeApi from "../../services/RuntimeApi.js"

const broken = (detail: string, cause?: unknown) =>
  new RuntimeApi.RuntimeApiError({
    reason: "Transport",
    endpoint: "response stream",
    detail,
    ...(cause === undefined ? {} : { cause })
  })

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/**
 * Open the response stream with `contentType` (set before the first write, as the runtime requires).
 *
 * @internal
 */
export const open = (
  stream: ResponseStream,
  contentType: string
): Effect.Effect<RuntimeApi.StreamWriter, RuntimeApi.RuntimeApiError> =>
  Effect.try({
    try: () => {
      stream.setContentType(contentType)
      return writer(stream)
    },
    catch: (error) => broken(`cannot set the content type: ${describe(error)}`, error)
  })

const writer = (stream: ResponseStream): RuntimeApi.StreamWriter => ({
  write: (chunk) => stream.write(chunk),
  drained: Effect.async<void, RuntimeApi.RuntimeApiError>((resume) => {
    const cleanup = () => {
      stream.off("drain", onDrain)
      stream.off("error", onError)
      stream.off("close", onClose)
    }
    const onDrain = () => {
      cleanup()
      resume(Effect.void)
    }
    const onError = (error?: unknown) => {
      cleanup()
      resume(Effect.fail(broken(`the response stream failed: ${describe(error)}`, error)))
    }
    const onClose = () => {
      cleanup()
      resume(Effect.fail(broken("the response stream closed before the reply ended")))
    }
    stream.once("drain", onDrain)
    stream.once("error", onError)
    stream.once("close", onClose)
    return Effect.sync(cleanup)
  }),
  end: (trailers) =>
    trailers !== undefined
      ? Effect.void
      : Effect.async<void, RuntimeApi.RuntimeApiError>((resume) => {
          stream.end((error) => {
            resume(error ? Effect.fail(broken(`ending the reply failed: ${describe(error)}`, error)) : Effect.void)
          })
        }),
  abort: Effect.sync(() => stream.destroy())
})
