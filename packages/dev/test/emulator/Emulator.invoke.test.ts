/**
 * The `Invoke` front on the wire (raw `node:http`): the client context (non-Latin-1 JSON passed through, a
 * value that is not base64 of a JSON object refused with 400), the function name (404 for another one), and
 * an invocation that no poll takes (answered with Sandbox.Timedout, not lost), and a client that goes away in the
 * middle of its upload (one line, no stack, and the next request is served).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type * as Http from "node:http"
import * as Net from "node:net"
import { request } from "./request.js"
import { emulator, fixture } from "./support.js"

const post = (url: string, path: string, body: string, headers: Http.OutgoingHttpHeaders = {}) =>
  Effect.orDie(request(url, "POST", path, headers, body))

const invokePath = (name: string) => `/2015-03-31/functions/${name}/invocations`
const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64")

describe("Emulator: Invoke requests", () => {
  it.scopedLive(
    "a client context outside Latin-1 reaches the function; one that is not base64 JSON is a 400",
    () =>
      Effect.gen(function* () {
        const { server, lines } = yield* emulator({ entry: fixture("probe.ts"), functionName: "probe-fn" })
        const context = { custom: { city: "東京" }, env: { note: "naïve ✓" } }
        const ok = yield* post(server.url, invokePath("probe-fn"), '{"action":"context"}', {
          "X-Amz-Client-Context": base64(JSON.stringify(context))
        })
        assert.strictEqual(ok.status, 200)
        assert.isUndefined(ok.headers["x-amz-function-error"])
        assert.deepStrictEqual(JSON.parse(ok.body).clientContext, context)

        const refused = [
          "not base64 at all!",
          base64("{not json"),
          base64('["an","array"]'),
          Buffer.from([0xff, 0xfe, 0x7b, 0x7d]).toString("base64")
        ]
        for (const header of refused) {
          const answer = yield* post(server.url, invokePath("probe-fn"), "{}", { "X-Amz-Client-Context": header })
          assert.strictEqual(answer.status, 400, header)
          assert.strictEqual(answer.headers["x-amzn-errortype"], "InvalidRequestContentException")
          assert.deepStrictEqual(JSON.parse(answer.body), {
            Type: "User",
            message: "Client context must be a valid Base64-encoded JSON object."
          })
        }
        assert.strictEqual(
          lines().filter((l) => l.includes("Invoke probe-fn → 400 InvalidRequestContentException")).length,
          refused.length
        )
      }),
    180_000
  )

  it.scopedLive(
    "another function's name is a 404 ResourceNotFoundException; the name, its ARN and `function` are served",
    () =>
      Effect.gen(function* () {
        const { fn, server } = yield* emulator({ entry: fixture("probe.ts"), functionName: "probe-fn" })
        const other = yield* post(server.url, invokePath("someone-else"), "{}")
        assert.strictEqual(other.status, 404)
        assert.strictEqual(other.headers["x-amzn-errortype"], "ResourceNotFoundException")
        assert.deepStrictEqual(JSON.parse(other.body), {
          Type: "User",
          message: "Function not found: arn:aws:lambda:us-east-1:123456789012:function:someone-else"
        })
        const streamed = yield* post(
          server.url,
          "/2021-11-15/functions/someone-else/response-streaming-invocations",
          "{}"
        )
        assert.strictEqual(streamed.status, 404)
        for (const name of ["probe-fn", "function", encodeURIComponent(fn.functionArn), "function:probe-fn"]) {
          const served = yield* post(server.url, invokePath(name), "{}")
          assert.strictEqual(served.status, 200, name)
          assert.isNumber(JSON.parse(served.body).pid)
        }
      }),
    180_000
  )

  it.scopedLive(
    "an invocation that no poll takes is answered Sandbox.Timedout after --timeout",
    () =>
      Effect.gen(function* () {
        const { fn, server } = yield* emulator({ entry: fixture("stalled-poll.ts"), timeoutMs: 2_000 })
        assert.strictEqual((yield* fn.ready)._tag, "Ready")
        // its only poll is gone (given up 100 ms after it was sent): the invocation stays queued
        yield* Effect.sleep("1 second")
        const answer = yield* post(server.url, invokePath("function"), "{}")
        assert.strictEqual(answer.status, 200)
        assert.strictEqual(answer.headers["x-amz-function-error"], "Unhandled")
        assert.strictEqual(JSON.parse(answer.body).errorType, "Sandbox.Timedout")
      }),
    180_000
  )

  it.scopedLive(
    "a client that closes its connection in the middle of an upload is noted in one line, without a stack",
    () =>
      Effect.gen(function* () {
        const { server, lines } = yield* emulator({ entry: fixture("probe.ts"), functionName: "probe-fn" })
        const port = Number(new URL(server.url).port)
        for (const path of [invokePath("probe-fn"), "/anything"]) {
          yield* Effect.async<void>((resume) => {
            const socket = Net.connect(port, "127.0.0.1", () => {
              socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n`)
              socket.write(Buffer.alloc(64 * 1024, 0x20), () => setTimeout(() => socket.destroy(), 100))
            })
            socket.on("error", () => {})
            socket.on("close", () => resume(Effect.void))
          })
        }
        // the next request is served as usual
        const after = yield* post(server.url, invokePath("probe-fn"), "{}")
        assert.strictEqual(after.status, 200)
        yield* Effect.sleep("200 millis")
        const notes = lines().filter((l) => l.startsWith("! "))
        assert.strictEqual(notes.length, 2, notes.join("\n"))
        for (const note of notes) assert.include(note, "the client closed the connection")
        assert.deepStrictEqual(
          lines().filter((l) => /^\s+at /.test(l)),
          [],
          "no stack lines"
        )
      }),
    180_000
  )
})
