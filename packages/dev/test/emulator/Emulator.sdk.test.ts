/**
 * The Lambda API fronts with the real `@aws-sdk/client-lambda` (endpoint override to 127.0.0.1): `Invoke` and
 * `InvokeWithResponseStream` on the examples, as a user's code would call them.
 */
import {
  InvokeCommand,
  type InvokeWithResponseStreamCommandOutput,
  InvokeWithResponseStreamCommand,
  LambdaClient
} from "@aws-sdk/client-lambda"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as FileSystem from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { emulator, eventually, fixture } from "./support.js"

const client = (url: string) =>
  Effect.acquireRelease(
    Effect.sync(
      () =>
        new LambdaClient({
          endpoint: url,
          region: "us-east-1",
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
          maxAttempts: 1
        })
    ),
    (c) => Effect.sync(() => c.destroy())
  )

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (data: Uint8Array | undefined) => Buffer.from(data ?? new Uint8Array(0)).toString("utf8")

interface Events {
  readonly chunks: Array<Uint8Array>
  readonly complete:
    | { ErrorCode?: string | undefined; ErrorDetails?: string | undefined; LogResult?: string | undefined }
    | undefined
}

/** Read a whole event stream, calling `onChunk` after each `PayloadChunk`. */
const readEvents = (
  output: InvokeWithResponseStreamCommandOutput,
  onChunk: (chunk: Uint8Array, index: number) => Promise<void> = async () => {}
) =>
  Effect.promise(async (): Promise<Events> => {
    const chunks: Array<Uint8Array> = []
    let complete: Events["complete"]
    for await (const event of output.EventStream!) {
      if (event.PayloadChunk?.Payload !== undefined) {
        chunks.push(event.PayloadChunk.Payload)
        await onChunk(event.PayloadChunk.Payload, chunks.length - 1)
      }
      if (event.InvokeComplete !== undefined) complete = { ...event.InvokeComplete }
    }
    return { chunks, complete }
  })

const pattern = (n: number) => {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = i % 251
  return out
}

describe("Lambda API fronts with @aws-sdk/client-lambda", () => {
  it.scopedLive(
    "Invoke on examples/echo.ts: the payload back, $LATEST, the log tail, a request log line",
    () =>
      Effect.gen(function* () {
        const { server, lines } = yield* emulator({ entry: "examples/echo.ts" })
        const lambda = yield* client(server.url)
        const out = yield* Effect.promise(() =>
          lambda.send(new InvokeCommand({ FunctionName: "echo", Payload: bytes('{"hello":"wörld"}'), LogType: "Tail" }))
        )
        assert.strictEqual(out.StatusCode, 200)
        assert.isUndefined(out.FunctionError)
        assert.strictEqual(out.ExecutedVersion, "$LATEST")
        assert.deepStrictEqual(JSON.parse(text(out.Payload)), { hello: "wörld" })
        assert.match(Buffer.from(out.LogResult ?? "", "base64").toString("utf8"), /^START RequestId: /)
        assert.isString(out.$metadata.requestId)
        yield* eventually(
          Effect.sync(() => lines().find((l) => /Invoke echo → 200 \(\d+ ms, 18 B\)$/.test(l))),
          "the request log line"
        )
        // Any function name, an ARN included, reaches the one function.
        const byArn = yield* Effect.promise(() =>
          lambda.send(
            new InvokeCommand({
              FunctionName: "arn:aws:lambda:us-east-1:123456789012:function:echo",
              Payload: bytes("[1,2]")
            })
          )
        )
        assert.strictEqual(text(byArn.Payload), "[1,2]")
      }),
    180_000
  )

  it.scopedLive(
    "Invoke on examples/fail.ts: FunctionError Unhandled and the error object as the payload",
    () =>
      Effect.gen(function* () {
        const { server } = yield* emulator({ entry: "examples/fail.ts" })
        const lambda = yield* client(server.url)
        const out = yield* Effect.promise(() =>
          lambda.send(new InvokeCommand({ FunctionName: "fail", Payload: bytes('{"id":"A-17"}') }))
        )
        assert.strictEqual(out.StatusCode, 200)
        assert.strictEqual(out.FunctionError, "Unhandled")
        const error = JSON.parse(text(out.Payload))
        assert.strictEqual(error.errorType, "OrderNotFound")
        assert.strictEqual(error.errorMessage, "order A-17 was not found")
        assert.isArray(error.stackTrace)
      }),
    180_000
  )

  it.scopedLive(
    "Invoke: request errors are API errors; Event answers 202 at once, DryRun 204",
    () =>
      Effect.gen(function* () {
        const { server, lines } = yield* emulator({ entry: "examples/echo.ts" })
        const lambda = yield* client(server.url)
        const invalid = yield* Effect.flip(
          Effect.tryPromise(() => lambda.send(new InvokeCommand({ FunctionName: "echo", Payload: bytes("{not json") })))
        )
        const cause = invalid.cause as { name?: string; $metadata?: { httpStatusCode?: number } }
        assert.strictEqual(cause.name, "InvalidRequestContentException")
        assert.strictEqual(cause.$metadata?.httpStatusCode, 400)
        const event = yield* Effect.promise(() =>
          lambda.send(new InvokeCommand({ FunctionName: "echo", InvocationType: "Event", Payload: bytes("{}") }))
        )
        assert.strictEqual(event.StatusCode, 202)
        const dryRun = yield* Effect.promise(() =>
          lambda.send(new InvokeCommand({ FunctionName: "echo", InvocationType: "DryRun" }))
        )
        assert.strictEqual(dryRun.StatusCode, 204)
        yield* eventually(
          Effect.sync(() => lines().find((l) => l.includes("Invoke echo (Event) → done"))),
          "the Event invocation to finish"
        )
      }),
    180_000
  )

  it.scopedLive(
    "InvokeWithResponseStream on examples/stream.ts: PayloadChunk events carry every byte, then InvokeComplete",
    () =>
      Effect.gen(function* () {
        const { server } = yield* emulator({ entry: "examples/stream.ts" })
        const lambda = yield* client(server.url)
        const size = 300_000
        const out = yield* Effect.promise(() =>
          lambda.send(
            new InvokeWithResponseStreamCommand({
              FunctionName: "stream",
              Payload: bytes(JSON.stringify({ bytes: size, chunk: 10_000 }))
            })
          )
        )
        assert.strictEqual(out.StatusCode, 200)
        assert.strictEqual(out.ExecutedVersion, "$LATEST")
        assert.strictEqual(out.ResponseStreamContentType, "application/octet-stream")
        const events = yield* readEvents(out)
        assert.isTrue(Buffer.concat(events.chunks).equals(pattern(size)))
        assert.deepStrictEqual(events.complete, {})
      })
  )

  it.scopedLive(
    "InvokeWithResponseStream on examples/stream-fail.ts: the bytes sent, then ErrorCode/ErrorDetails in InvokeComplete",
    () =>
      Effect.gen(function* () {
        const { server } = yield* emulator({ entry: "examples/stream-fail.ts" })
        const lambda = yield* client(server.url)
        const after = yield* Effect.promise(() =>
          lambda.send(
            new InvokeWithResponseStreamCommand({
              FunctionName: "stream-fail",
              Payload: bytes(JSON.stringify({ bytes: 100, failAfter: 40 }))
            })
          )
        )
        const events = yield* readEvents(after)
        assert.isTrue(Buffer.concat(events.chunks).equals(pattern(40)))
        assert.deepStrictEqual(events.complete, {
          ErrorCode: "UpstreamClosed",
          ErrorDetails: "the upstream closed after 40 bytes"
        })
        const before = yield* Effect.promise(() =>
          lambda.send(
            new InvokeWithResponseStreamCommand({
              FunctionName: "stream-fail",
              Payload: bytes(JSON.stringify({ bytes: 100, failAfter: 0 })),
              LogType: "Tail"
            })
          )
        )
        const early = yield* readEvents(before)
        assert.strictEqual(early.chunks.length, 0)
        assert.strictEqual(early.complete?.ErrorCode, "UpstreamClosed")
        assert.strictEqual(early.complete?.ErrorDetails, "the upstream closed after 0 bytes")
        assert.match(Buffer.from(early.complete?.LogResult ?? "", "base64").toString("utf8"), /^START RequestId: /)
      })
  )

  it.scopedLive(
    "InvokeWithResponseStream on examples/sse.ts: text/event-stream, every event in order",
    () =>
      Effect.gen(function* () {
        const { server } = yield* emulator({ entry: "examples/sse.ts" })
        const lambda = yield* client(server.url)
        const out = yield* Effect.promise(() =>
          lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "sse", Payload: bytes('{"ticks":5}') }))
        )
        assert.strictEqual(out.ResponseStreamContentType, "text/event-stream")
        const events = yield* readEvents(out)
        const body = text(Buffer.concat(events.chunks))
        assert.strictEqual(body, [1, 2, 3, 4, 5].map((n) => `event: tick\nid: ${n}\ndata: {"n":${n}}\n\n`).join(""))
        assert.deepStrictEqual(events.complete, {})
      }),
    180_000
  )

  it.scopedLive(
    "InvokeWithResponseStream: the first PayloadChunk arrives while the function is still running",
    () =>
      Effect.gen(function* () {
        const { server } = yield* emulator({ entry: fixture("gated.ts") })
        const lambda = yield* client(server.url)
        const gate = Path.join(Os.tmpdir(), `gate-${process.pid}-${Date.now()}`)
        yield* Effect.addFinalizer(() => Effect.sync(() => FileSystem.rmSync(gate, { force: true })))
        const out = yield* Effect.promise(() =>
          lambda.send(
            new InvokeWithResponseStreamCommand({ FunctionName: "gated", Payload: bytes(JSON.stringify({ gate })) })
          )
        )
        assert.strictEqual(out.ResponseStreamContentType, "text/plain")
        const seen: Array<string> = []
        const events = yield* readEvents(out, async (chunk, index) => {
          seen.push(text(chunk))
          // The function waits for the gate: this chunk could only arrive while the reply was still open.
          if (index === 0) FileSystem.writeFileSync(gate, "open")
        })
        assert.strictEqual(seen[0], "first\n")
        assert.strictEqual(text(Buffer.concat(events.chunks)), "first\nsecond\n")
        assert.deepStrictEqual(events.complete, {})
      }),
    180_000
  )

  it.scopedLive(
    "a timeout through both APIs: Sandbox.Timedout as FunctionError payload, and as ErrorCode",
    () =>
      Effect.gen(function* () {
        const { server } = yield* emulator({ entry: fixture("probe.ts"), timeoutMs: 1_500 })
        const lambda = yield* client(server.url)
        const hang = bytes(JSON.stringify({ action: "hang" }))
        const buffered = yield* Effect.promise(() =>
          lambda.send(new InvokeCommand({ FunctionName: "probe", Payload: hang }))
        )
        assert.strictEqual(buffered.FunctionError, "Unhandled")
        assert.strictEqual(JSON.parse(text(buffered.Payload)).errorType, "Sandbox.Timedout")
        const streamed = yield* Effect.promise(() =>
          lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: "probe", Payload: hang }))
        )
        const events = yield* readEvents(streamed)
        assert.strictEqual(events.complete?.ErrorCode, "Sandbox.Timedout")
        assert.match(events.complete?.ErrorDetails ?? "", /Task timed out after 1\.50 seconds$/)
        const fine = yield* Effect.promise(() =>
          lambda.send(new InvokeCommand({ FunctionName: "probe", Payload: bytes("{}") }))
        )
        assert.isUndefined(fine.FunctionError)
      }),
    180_000
  )

  it.scopedLive(
    "the path of AWS's emulator, POST /2015-03-31/functions/function/invocations, with fetch",
    () =>
      Effect.gen(function* () {
        const { server } = yield* emulator({ entry: "examples/echo.ts" })
        const response = yield* Effect.promise(() =>
          fetch(`${server.url}/2015-03-31/functions/function/invocations`, { method: "POST", body: '{"a":[1,2,3]}' })
        )
        assert.strictEqual(response.status, 200)
        assert.strictEqual(response.headers.get("x-amz-executed-version"), "$LATEST")
        assert.deepStrictEqual(yield* Effect.promise(() => response.json()), { a: [1, 2, 3] })
      }),
    180_000
  )
})
