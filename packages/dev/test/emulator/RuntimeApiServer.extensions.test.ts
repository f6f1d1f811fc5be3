/**
 * The Extensions API calls of the Runtime API server, on the wire: register, the held `event/next`, the
 * `INVOKE` and `SHUTDOWN` events, and the refusals.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as Net from "node:net"
import * as RuntimeApiServer from "../../src/emulator/RuntimeApiServer.js"
import { request } from "./request.js"

/** The raw bytes of one exchange on its own socket, until the server has sent `until`. */
const raw = (address: string, wire: string, until: RegExp): Effect.Effect<string, Error> =>
  Effect.async<string, Error>((resume) => {
    const [host, port] = address.split(":")
    const socket = Net.connect({ host: host!, port: Number(port) })
    let got = ""
    socket.setEncoding("latin1")
    socket.on("data", (chunk: string) => {
      got += chunk
      if (until.test(got)) {
        socket.destroy()
        resume(Effect.succeed(got))
      }
    })
    socket.on("error", (error) => resume(Effect.fail(error)))
    socket.write(wire, "latin1")
    return Effect.sync(() => socket.destroy())
  })

const register = (address: string, name: string, events: ReadonlyArray<string>) =>
  request(
    address,
    "POST",
    "/2020-01-01/extension/register",
    { "Lambda-Extension-Name": name, "content-type": "application/json" },
    JSON.stringify({ events })
  )

const nextEvent = (address: string, id: string) =>
  request(address, "GET", "/2020-01-01/extension/event/next", { "Lambda-Extension-Identifier": id })

describe("RuntimeApiServer: Extensions API", () => {
  it.scopedLive("register answers 200 with Lambda-Extension-Identifier and the function's details", () =>
    Effect.gen(function* () {
      const server = yield* RuntimeApiServer.make({
        functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:orders",
        handler: "orders.handler"
      })
      const body = '{"events":["SHUTDOWN"]}'
      const bytes = yield* raw(
        server.address,
        "POST /2020-01-01/extension/register HTTP/1.1\r\nHost: x\r\nLambda-Extension-Name: graceful\r\n" +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        /\}$/
      )
      const [head, payload] = bytes.split("\r\n\r\n")
      assert.match(head!, /^HTTP\/1\.1 200 OK\r\n/)
      const id = /\r\nlambda-extension-identifier: ([0-9a-f-]{36})\r\n/i.exec(head!)?.[1]
      assert.isString(id)
      assert.deepStrictEqual(JSON.parse(payload!), {
        functionName: "orders",
        functionVersion: "$LATEST",
        handler: "orders.handler"
      })
      const extensions = yield* server.extensions
      assert.deepStrictEqual(extensions, [{ id: id!, name: "graceful", events: ["SHUTDOWN"] }])
      assert.deepStrictEqual(yield* server.violations, [])
    })
  )

  it.scopedLive("event/next is held open; SHUTDOWN reaches only the extensions registered for it", () =>
    Effect.gen(function* () {
      const server = yield* RuntimeApiServer.make()
      const forShutdown = yield* register(server.address, "graceful", ["SHUTDOWN"])
      const forNothing = yield* register(server.address, "internal", [])
      assert.strictEqual(forShutdown.status, 200)
      const shutdownId = String(forShutdown.headers["lambda-extension-identifier"])
      const silentId = String(forNothing.headers["lambda-extension-identifier"])
      assert.notStrictEqual(shutdownId, silentId)
      const waiting = yield* Effect.fork(nextEvent(server.address, shutdownId))
      const silent = yield* Effect.fork(nextEvent(server.address, silentId))
      yield* Effect.sleep("300 millis")
      assert.isNull(yield* Fiber.poll(waiting).pipe(Effect.map((o) => (o._tag === "Some" ? "done" : null))))
      const deadlineMs = Date.now() + 2_000
      const told = yield* server.shutdown("spindown", deadlineMs)
      assert.strictEqual(told, 1)
      const answer = yield* Fiber.join(waiting)
      assert.strictEqual(answer.status, 200)
      assert.match(String(answer.headers["lambda-extension-event-identifier"]), /^[0-9a-f-]{36}$/)
      assert.deepStrictEqual(JSON.parse(answer.body), { eventType: "SHUTDOWN", shutdownReason: "spindown", deadlineMs })
      yield* Effect.sleep("200 millis")
      assert.isNull(yield* Fiber.poll(silent).pipe(Effect.map((o) => (o._tag === "Some" ? "done" : null))))
      yield* Fiber.interrupt(silent)
    })
  )

  it.scopedLive("an extension registered for INVOKE gets one INVOKE event per delivered invocation", () =>
    Effect.gen(function* () {
      const server = yield* RuntimeApiServer.make()
      const registered = yield* register(server.address, "observer", ["INVOKE"])
      const id = String(registered.headers["lambda-extension-identifier"])
      const enqueued = yield* server.enqueue({ event: "{}", requestId: "req-1", timeoutMs: 5_000 })
      const next = yield* request(server.address, "GET", "/2018-06-01/runtime/invocation/next")
      assert.strictEqual(next.headers["lambda-runtime-aws-request-id"], "req-1")
      const event = yield* nextEvent(server.address, id)
      const parsed = JSON.parse(event.body)
      assert.strictEqual(parsed.eventType, "INVOKE")
      assert.strictEqual(parsed.requestId, "req-1")
      assert.strictEqual(parsed.deadlineMs, Number(next.headers["lambda-runtime-deadline-ms"]))
      assert.strictEqual(parsed.invokedFunctionArn, RuntimeApiServer.Defaults.functionArn)
      assert.deepStrictEqual(parsed.tracing, {
        type: "X-Amzn-Trace-Id",
        value: next.headers["lambda-runtime-trace-id"]
      })
      yield* request(server.address, "POST", "/2018-06-01/runtime/invocation/req-1/response", {}, "{}")
      assert.strictEqual((yield* enqueued.outcome).status, 202)
      // registered after the runtime's first /next: accepted, but noted
      assert.strictEqual((yield* server.violations).length, 0)
      yield* register(server.address, "late", [])
      assert.match((yield* server.violations)[0] ?? "", /registered after the runtime's first \/next/)
    })
  )

  it.scopedLive("refusals: no name (403), a bad body or event type (400), an unknown identifier (403)", () =>
    Effect.gen(function* () {
      const server = yield* RuntimeApiServer.make()
      const noName = yield* request(server.address, "POST", "/2020-01-01/extension/register", {}, '{"events":[]}')
      assert.strictEqual(noName.status, 403)
      assert.strictEqual(JSON.parse(noName.body).errorType, "Extension.InvalidExtensionName")
      const notJson = yield* request(
        server.address,
        "POST",
        "/2020-01-01/extension/register",
        { "Lambda-Extension-Name": "x" },
        "{events"
      )
      assert.strictEqual(notJson.status, 400)
      const badEvent = yield* register(server.address, "x", ["INVOKE", "RESTART"])
      assert.strictEqual(badEvent.status, 400)
      assert.include(JSON.parse(badEvent.body).errorMessage, '"RESTART"')
      const unknown = yield* nextEvent(server.address, "not-registered")
      assert.strictEqual(unknown.status, 403)
      assert.strictEqual(JSON.parse(unknown.body).errorType, "Extension.UnknownExtensionIdentifier")
      assert.strictEqual((yield* server.extensions).length, 0)
      assert.strictEqual((yield* server.violations).length, 4)
    })
  )
})
