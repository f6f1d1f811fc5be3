import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Exit, Fiber, Layer, Schedule, Scope } from "effect"
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import * as Net from "node:net"
import * as RuntimeApiServer from "../../src/emulator/RuntimeApiServer.js"

interface Answer {
  /** Whether the request went out on a kept-alive connection. */
  readonly reusedSocket: boolean
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly body: Buffer
}

interface Send {
  readonly method?: string
  readonly path: string
  readonly headers?: Http.OutgoingHttpHeaders
  readonly body?: string | Uint8Array
  /** Sent with `Transfer-Encoding: chunked`, one `write` each. */
  readonly chunks?: ReadonlyArray<string | Uint8Array>
  readonly trailers?: Readonly<Record<string, string>>
  /** Default: a fresh connection per request. */
  readonly agent?: Http.Agent
}

/** One raw `node:http` request on its own connection. */
const send = (address: string, options: Send): Effect.Effect<Answer, Error> =>
  Effect.async<Answer, Error>((resume) => {
    const [host, port] = address.split(":")
    const req = Http.request({
      host,
      port: Number(port),
      method: options.method ?? "GET",
      path: options.path,
      headers: options.headers ?? {},
      agent: options.agent ?? false
    })
    req.on("error", (error) => resume(Effect.fail(error)))
    req.on("response", (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("error", (error) => resume(Effect.fail(error)))
      res.on("end", () =>
        resume(
          Effect.succeed({
            reusedSocket: req.reusedSocket,
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks)
          })
        )
      )
    })
    if (options.chunks !== undefined) {
      for (const chunk of options.chunks) req.write(chunk)
      if (options.trailers !== undefined) req.addTrailers(options.trailers)
      req.end()
    } else if (options.body !== undefined) {
      req.end(options.body)
    } else {
      req.end()
    }
    return Effect.sync(() => req.destroy())
  })

const NextPath = "/2018-06-01/runtime/invocation/next"
const responsePath = (id: string) => `/2018-06-01/runtime/invocation/${encodeURIComponent(id)}/response`
const errorPath = (id: string) => `/2018-06-01/runtime/invocation/${encodeURIComponent(id)}/error`
const InitErrorPath = "/2018-06-01/runtime/init/error"

const Server = RuntimeApiServer.RuntimeApiServer
const withServer = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, RuntimeApiServer.layer())

const next = Effect.flatMap(Server, (server) => send(server.address, { path: NextPath }))

const json = (answer: Answer): unknown => JSON.parse(answer.body.toString("utf8"))

const awaitPolls = (n: number) =>
  Effect.flatMap(Server, (server) =>
    server.nextPolls.pipe(Effect.repeat({ until: (polls) => polls >= n, schedule: Schedule.spaced("5 millis") }))
  )

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "utf8"))

describe("RuntimeApiServer", () => {
  it.live("/next delivers a queued event with every header, and a reply resolves the invocation", () =>
    Effect.gen(function* () {
      const server = yield* Server
      assert.match(server.address, /^127\.0\.0\.1:\d+$/)
      const event = '{"hello":"wörld"}'
      const { requestId, outcome } = yield* server.enqueue({
        event,
        requestId: "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
        timeoutMs: 5_000,
        headers: {
          "Lambda-Runtime-Client-Context": '{"custom":{"a":1}}',
          "Lambda-Runtime-Cognito-Identity": '{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}',
          "Lambda-Runtime-Aws-Tenant-Id": "tenant-7",
          "Lambda-Runtime-Invocation-Id": "nonce-1"
        }
      })
      assert.strictEqual(requestId, "8476a536-e9f4-11e8-9739-2dfe598c3fcd")
      const before = Date.now()
      const got = yield* next
      const after = Date.now()
      assert.strictEqual(got.status, 200)
      assert.isTrue(got.body.equals(Buffer.from(event, "utf8")))
      assert.strictEqual(got.headers["content-length"], String(Buffer.byteLength(event)))
      assert.strictEqual(got.headers["content-type"], "application/json")
      assert.strictEqual(got.headers["lambda-runtime-aws-request-id"], requestId)
      assert.strictEqual(got.headers["lambda-runtime-invoked-function-arn"], RuntimeApiServer.Defaults.functionArn)
      const deadline = Number(got.headers["lambda-runtime-deadline-ms"])
      assert.isTrue(deadline >= before + 5_000 && deadline <= after + 5_000, `deadline ${deadline}`)
      assert.match(
        String(got.headers["lambda-runtime-trace-id"]),
        /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/
      )
      assert.strictEqual(got.headers["lambda-runtime-client-context"], '{"custom":{"a":1}}')
      assert.strictEqual(
        got.headers["lambda-runtime-cognito-identity"],
        '{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}'
      )
      assert.strictEqual(got.headers["lambda-runtime-aws-tenant-id"], "tenant-7")
      assert.strictEqual(got.headers["lambda-runtime-invocation-id"], "nonce-1")

      const result = new Uint8Array([0x7b, 0x7d, 0x00, 0xff, 0x0a])
      const reply = yield* send(server.address, {
        method: "POST",
        path: responsePath(requestId),
        headers: { "Content-Type": "application/octet-stream", "Lambda-Runtime-Invocation-Id": "nonce-1" },
        body: result
      })
      assert.strictEqual(reply.status, 202)
      assert.deepStrictEqual(json(reply), { status: "OK" })
      const done = yield* outcome
      assert.strictEqual(done._tag, "Response")
      if (done._tag !== "Response") return
      assert.strictEqual(done.requestId, requestId)
      assert.strictEqual(done.status, 202)
      assert.deepStrictEqual(done.body, result)
      assert.strictEqual(done.headers["content-type"], "application/octet-stream")
      assert.strictEqual(done.headers["content-length"], "5")
      assert.isFalse(done.streamed)
      assert.deepStrictEqual(done.trailers, {})

      const exchanges = yield* server.exchanges
      assert.deepStrictEqual(
        exchanges.map((e) => [e.method, e.path, e.state, e.status, e.bodyLength, e.requestId]),
        [
          ["GET", NextPath, "answered", 200, 0, requestId],
          ["POST", responsePath(requestId), "answered", 202, 5, requestId]
        ]
      )
      assert.deepStrictEqual(yield* server.violations, [])
      assert.strictEqual(yield* server.nextPolls, 1)
    }).pipe(withServer)
  )

  it.live("invoke waits for the first reply; request ids are URL-decoded and may be long", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const requestId = `odd id/${"x".repeat(300)}?&`
      const fiber = yield* Effect.fork(server.invoke({ event: "{}", requestId }))
      const got = yield* next
      assert.strictEqual(got.headers["lambda-runtime-aws-request-id"], requestId)
      const reply = yield* send(server.address, { method: "POST", path: responsePath(requestId), body: '"ok"' })
      assert.strictEqual(reply.status, 202)
      const done = yield* Fiber.join(fiber)
      assert.strictEqual(done.requestId, requestId)
      assert.deepStrictEqual(done.body, bytes('"ok"'))
    }).pipe(withServer)
  )

  it.live("headers can be overridden or removed to send a malformed /next; empty events get Content-Length 0", () =>
    Effect.gen(function* () {
      const server = yield* Server
      yield* server.enqueue({
        event: "",
        requestId: "bad-1",
        headers: {
          "lambda-runtime-deadline-ms": "soon",
          "Lambda-Runtime-Invoked-Function-Arn": null,
          "Lambda-Runtime-Trace-Id": null,
          "Lambda-Runtime-Client-Context": "{not json",
          "Content-Type": "application/octet-stream"
        }
      })
      yield* server.enqueue({ event: "{}", headers: { "Lambda-Runtime-Aws-Request-Id": null } })
      const first = yield* next
      assert.strictEqual(first.status, 200)
      assert.strictEqual(first.headers["content-length"], "0")
      assert.strictEqual(first.body.length, 0)
      assert.strictEqual(first.headers["lambda-runtime-deadline-ms"], "soon")
      assert.isUndefined(first.headers["lambda-runtime-invoked-function-arn"])
      assert.isUndefined(first.headers["lambda-runtime-trace-id"])
      assert.strictEqual(first.headers["lambda-runtime-client-context"], "{not json")
      assert.strictEqual(first.headers["content-type"], "application/octet-stream")
      const second = yield* next
      assert.isUndefined(second.headers["lambda-runtime-aws-request-id"])
      assert.strictEqual(second.headers["lambda-runtime-invoked-function-arn"], RuntimeApiServer.Defaults.functionArn)
    }).pipe(withServer)
  )

  it.live("enqueue rejects headers that are not valid HTTP and request ids in use", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const badValue = yield* Effect.exit(server.enqueue({ event: "{}", headers: { "X-Bad": "a\nb" } }))
      assert.isTrue(Exit.isFailure(badValue))
      yield* server.enqueue({ event: "{}", requestId: "same" })
      const twice = yield* Effect.exit(server.enqueue({ event: "{}", requestId: "same" }))
      assert.isTrue(Exit.isFailure(twice))
    }).pipe(withServer)
  )

  it.live("/error is recorded with its raw bytes and parsed report", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const a = yield* server.enqueue({ event: "{}", requestId: "err-a" })
      const b = yield* server.enqueue({ event: "{}", requestId: "err-b" })
      yield* next
      yield* next
      const report = '{"errorType":"BadInput","errorMessage":"nope","stackTrace":["at x","at y"]}'
      const posted = yield* send(server.address, {
        method: "POST",
        path: errorPath("err-a"),
        headers: { "Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": "Function.BadInput" },
        body: report
      })
      assert.strictEqual(posted.status, 202)
      assert.deepStrictEqual(json(posted), { status: "OK" })
      const outcomeA = yield* a.outcome
      assert.strictEqual(outcomeA._tag, "Error")
      if (outcomeA._tag !== "Error") return
      assert.strictEqual(outcomeA.status, 202)
      assert.deepStrictEqual(outcomeA.body, bytes(report))
      assert.strictEqual(outcomeA.headers["lambda-runtime-function-error-type"], "Function.BadInput")
      assert.deepStrictEqual(outcomeA.report, {
        errorType: "BadInput",
        errorMessage: "nope",
        stackTrace: ["at x", "at y"]
      })

      const garbage = new Uint8Array([0xde, 0xad, 0xbe, 0xef])
      yield* send(server.address, { method: "POST", path: errorPath("err-b"), body: garbage })
      const outcomeB = yield* b.outcome
      assert.strictEqual(outcomeB._tag, "Error")
      if (outcomeB._tag !== "Error") return
      assert.deepStrictEqual(outcomeB.body, garbage)
      assert.isUndefined(outcomeB.report)
    }).pipe(withServer)
  )

  it.live("/init/error is recorded", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const waiting = yield* Effect.fork(server.awaitInitError)
      const body = '{"errorType":"Runtime.ImportModuleError","errorMessage":"no handler"}'
      const posted = yield* send(server.address, {
        method: "POST",
        path: InitErrorPath,
        headers: { "Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError" },
        body
      })
      assert.strictEqual(posted.status, 202)
      const initError = yield* Fiber.join(waiting)
      assert.deepStrictEqual(initError.body, bytes(body))
      assert.deepStrictEqual(initError.report, {
        errorType: "Runtime.ImportModuleError",
        errorMessage: "no handler"
      })
      assert.strictEqual(initError.headers["lambda-runtime-function-error-type"], "Runtime.ImportModuleError")
      assert.strictEqual((yield* server.initErrors).length, 1)
    }).pipe(withServer)
  )

  it.live("a chunked reply records its body and HTTP trailers", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const { outcome } = yield* server.enqueue({ event: "{}", requestId: "stream-1" })
      yield* next
      const errorBody = Buffer.from('{"errorType":"Error","errorMessage":"boom","trace":["Error: boom"]}').toString(
        "base64"
      )
      const posted = yield* send(server.address, {
        method: "POST",
        path: responsePath("stream-1"),
        headers: {
          "Lambda-Runtime-Function-Response-Mode": "streaming",
          "Content-Type": "application/vnd.awslambda.http-integration-response",
          Trailer: "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"
        },
        chunks: ['{"statusCode":200}', new Uint8Array(8), "hello "],
        trailers: {
          "Lambda-Runtime-Function-Error-Type": "Error",
          "Lambda-Runtime-Function-Error-Body": errorBody
        }
      })
      assert.strictEqual(posted.status, 202)
      const done = yield* outcome
      assert.strictEqual(done._tag, "Response")
      if (done._tag !== "Response") return
      assert.isTrue(done.streamed)
      assert.deepStrictEqual(
        done.body,
        new Uint8Array(Buffer.concat([Buffer.from('{"statusCode":200}'), Buffer.alloc(8), Buffer.from("hello ")]))
      )
      assert.deepStrictEqual(done.trailers, {
        "lambda-runtime-function-error-type": "Error",
        "lambda-runtime-function-error-body": errorBody
      })
      assert.strictEqual(done.headers["transfer-encoding"], "chunked")
      const exchanges = yield* server.exchanges
      assert.deepStrictEqual(exchanges[1]?.trailers, done.trailers)
      assert.strictEqual(exchanges[1]?.bodyLength, 32)
    }).pipe(withServer)
  )

  it.live("replies to unknown or answered ids, bad mode headers and unknown endpoints are rejected and recorded", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const a = yield* server.enqueue({ event: "{}", requestId: "a" })
      const b = yield* server.enqueue({ event: "{}", requestId: "b" })
      yield* server.enqueue({ event: "{}", requestId: "queued" })
      yield* next
      yield* next
      assert.strictEqual(
        (yield* send(server.address, { method: "POST", path: responsePath("a"), body: "1" })).status,
        202
      )
      const second = yield* send(server.address, { method: "POST", path: responsePath("a"), body: "2" })
      assert.strictEqual(second.status, 400)
      assert.strictEqual((json(second) as { errorType: string }).errorType, "InvalidRequestID")
      const secondError = yield* send(server.address, { method: "POST", path: errorPath("a"), body: "{}" })
      assert.strictEqual(secondError.status, 400)
      const unknown = yield* send(server.address, { method: "POST", path: responsePath("nope"), body: "x" })
      assert.strictEqual(unknown.status, 400)
      assert.strictEqual((json(unknown) as { errorType: string }).errorType, "InvalidRequestID")
      const early = yield* send(server.address, { method: "POST", path: responsePath("queued"), body: "x" })
      assert.strictEqual(early.status, 400)
      const badMode = yield* send(server.address, {
        method: "POST",
        path: responsePath("b"),
        headers: { "Lambda-Runtime-Function-Response-Mode": "buffered" },
        body: "x"
      })
      assert.strictEqual(badMode.status, 400)
      assert.strictEqual((json(badMode) as { errorType: string }).errorType, "InvalidFunctionResponseMode")
      const notFound = yield* send(server.address, { path: "/2018-06-01/runtime/invocation/a/response" })
      assert.strictEqual(notFound.status, 404)
      assert.strictEqual((yield* send(server.address, { method: "HEAD", path: NextPath })).status, 404)

      const outcomeA = yield* a.outcome
      assert.deepStrictEqual(outcomeA.body, bytes("1"))
      const outcomeB = yield* b.outcome
      assert.strictEqual(outcomeB.status, 400)
      const violations = yield* server.violations
      assert.strictEqual(violations.length, 7, violations.join("\n"))
      assert.match(violations[0]!, /second reply to request id "a"/)
      assert.match(violations[1]!, /second reply to request id "a"/)
      assert.match(violations[2]!, /unknown request id "nope"/)
      assert.match(violations[3]!, /before \/next delivered it/)
      assert.match(violations[4]!, /Response-Mode "buffered"/)
      assert.match(violations[5]!, /no such endpoint: GET/)
      assert.match(violations[6]!, /no such endpoint: HEAD/)
      assert.strictEqual(yield* server.nextPolls, 2)
    }).pipe(withServer)
  )

  it.live("the reply must echo Lambda-Runtime-Invocation-Id exactly when /next sent one", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const id = "Lambda-Runtime-Invocation-Id"
      const ok = yield* server.enqueue({ event: "{}", requestId: "ok", headers: { [id]: "n-1" } })
      const wrong = yield* server.enqueue({ event: "{}", requestId: "wrong", headers: { [id]: "n-2" } })
      const missing = yield* server.enqueue({ event: "{}", requestId: "missing", headers: { [id]: "n-3" } })
      const unexpected = yield* server.enqueue({ event: "{}", requestId: "unexpected" })
      for (let i = 0; i < 4; i++) yield* next
      const post = (requestId: string, headers: Http.OutgoingHttpHeaders) =>
        send(server.address, { method: "POST", path: errorPath(requestId), headers, body: "{}" })
      assert.strictEqual((yield* post("ok", { [id]: "n-1" })).status, 202)
      const mismatch = yield* post("wrong", { [id]: "n-1" })
      assert.strictEqual(mismatch.status, 400)
      assert.strictEqual((json(mismatch) as { errorType: string }).errorType, "InvalidInvocationID")
      assert.strictEqual((yield* post("missing", {})).status, 400)
      assert.strictEqual((yield* post("unexpected", { [id]: "n-9" })).status, 400)
      assert.strictEqual((yield* ok.outcome).status, 202)
      assert.strictEqual((yield* wrong.outcome).status, 400)
      assert.strictEqual((yield* missing.outcome).status, 400)
      assert.strictEqual((yield* unexpected.outcome).status, 400)
      const violations = yield* server.violations
      assert.strictEqual(violations.length, 3, violations.join("\n"))
      assert.match(violations[0]!, /"n-1" does not match "n-2"/)
      assert.match(violations[1]!, /missing Lambda-Runtime-Invocation-Id/)
      assert.match(violations[2]!, /unexpected Lambda-Runtime-Invocation-Id "n-9"/)
    }).pipe(withServer)
  )

  it.live("a buffered body over 6 MiB + 100 bytes is answered 413; a streamed one is allowed", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const big = yield* server.enqueue({ event: "{}", requestId: "big" })
      const streamed = yield* server.enqueue({ event: "{}", requestId: "streamed" })
      yield* next
      yield* next
      const body = Buffer.alloc(RuntimeApiServer.Limits.bufferedResponseBytes + 1, 0x61)
      const tooLarge = yield* send(server.address, { method: "POST", path: responsePath("big"), body })
      assert.strictEqual(tooLarge.status, 413)
      assert.deepStrictEqual(json(tooLarge), {
        errorType: "RequestEntityTooLarge",
        errorMessage: "Exceeded maximum allowed payload size (6291556 bytes)."
      })
      const bigOutcome = yield* big.outcome
      assert.strictEqual(bigOutcome.status, 413)
      assert.strictEqual(bigOutcome.body.length, RuntimeApiServer.Limits.bufferedResponseBytes)
      const exactLimit = (yield* server.exchanges)[2]
      assert.strictEqual(exactLimit?.bodyLength, body.length)

      const accepted = yield* send(server.address, {
        method: "POST",
        path: responsePath("streamed"),
        headers: { "Lambda-Runtime-Function-Response-Mode": "streaming" },
        chunks: [body]
      })
      assert.strictEqual(accepted.status, 202)
      const streamedOutcome = yield* streamed.outcome
      assert.strictEqual(streamedOutcome.body.length, body.length)
      assert.deepStrictEqual(yield* server.violations, [])
    }).pipe(withServer)
  )

  it.live("concurrent /next polls each get exactly one invocation", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const polls = yield* Effect.forEach([1, 2, 3], () => Effect.fork(next))
      yield* awaitPolls(3)
      const ids = ["c-1", "c-2", "c-3"]
      yield* Effect.forEach(ids, (requestId) => server.enqueue({ event: `"${requestId}"`, requestId }))
      const answers = yield* Effect.forEach(polls, Fiber.join)
      const delivered = answers.map((a) => String(a.headers["lambda-runtime-aws-request-id"])).sort()
      assert.deepStrictEqual(delivered, ids)
      for (const answer of answers) {
        assert.strictEqual(answer.body.toString(), `"${answer.headers["lambda-runtime-aws-request-id"]}"`)
      }
      const late = yield* Effect.fork(next)
      yield* awaitPolls(4)
      const pending = (yield* server.exchanges).filter((e) => e.state === "pending")
      assert.strictEqual(pending.length, 1)
      yield* server.enqueue({ event: "{}", requestId: "c-4" })
      assert.strictEqual((yield* Fiber.join(late)).headers["lambda-runtime-aws-request-id"], "c-4")
    }).pipe(withServer)
  )

  it.live("a poll abandoned by its client does not swallow an invocation", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const abandoned = yield* Effect.fork(next)
      yield* awaitPolls(1)
      yield* Fiber.interrupt(abandoned)
      yield* server.exchanges.pipe(
        Effect.repeat({ until: (all) => all[0]?.state === "aborted", schedule: Schedule.spaced("5 millis") })
      )
      yield* server.enqueue({ event: "{}", requestId: "kept" })
      const got = yield* next
      assert.strictEqual(got.headers["lambda-runtime-aws-request-id"], "kept")
    }).pipe(withServer)
  )

  it.live("fault injection: nextStatus, dropNext and replyStatus", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const failed = yield* server.enqueue({ event: "{}", requestId: "f-500", nextStatus: 500 })
      const got500 = yield* next
      assert.strictEqual(got500.status, 500)
      assert.deepStrictEqual(json(got500), { errorType: "ServiceException", errorMessage: "injected HTTP 500" })
      assert.isUndefined(got500.headers["lambda-runtime-aws-request-id"])

      const dropped = yield* server.enqueue({ event: "{}", requestId: "f-drop", dropNext: true })
      const hangUp = yield* Effect.flip(next)
      assert.match(hangUp.message, /socket hang up|ECONNRESET/)

      const timedOut = yield* server.enqueue({ event: "{}", requestId: "f-410", replyStatus: 410 })
      const got = yield* next
      assert.strictEqual(got.headers["lambda-runtime-aws-request-id"], "f-410")
      const late = yield* send(server.address, { method: "POST", path: responsePath("f-410"), body: "late" })
      assert.strictEqual(late.status, 410)
      assert.strictEqual((json(late) as { errorType: string }).errorType, "InvokeTimeout")
      const outcome = yield* timedOut.outcome
      assert.strictEqual(outcome.status, 410)
      assert.deepStrictEqual(outcome.body, bytes("late"))

      const never = yield* Effect.timeout(Effect.all([failed.outcome, dropped.outcome]), "100 millis").pipe(Effect.flip)
      assert.strictEqual(never._tag, "TimeoutException")
      const replyToDropped = yield* send(server.address, { method: "POST", path: responsePath("f-drop"), body: "x" })
      assert.strictEqual(replyToDropped.status, 400)
      const exchanges = yield* server.exchanges
      assert.deepStrictEqual(
        exchanges.map((e) => [e.state, e.status, e.requestId]),
        [
          ["answered", 500, "f-500"],
          ["dropped", undefined, "f-drop"],
          ["answered", 200, "f-410"],
          ["answered", 410, "f-410"],
          ["answered", 400, "f-drop"]
        ]
      )
    }).pipe(withServer)
  )

  it.live("a 64 MiB chunked body is recorded byte-exact", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const size = 64 * 1024 * 1024
      const body = Crypto.randomBytes(size)
      const chunks: Array<Buffer> = []
      for (let offset = 0; offset < size; offset += 1024 * 1024 - 7)
        chunks.push(body.subarray(offset, offset + 1024 * 1024 - 7))
      const { outcome } = yield* server.enqueue({ event: "{}", requestId: "huge" })
      yield* next
      const posted = yield* send(server.address, {
        method: "POST",
        path: responsePath("huge"),
        headers: { "Lambda-Runtime-Function-Response-Mode": "streaming" },
        chunks
      })
      assert.strictEqual(posted.status, 202)
      const done = yield* outcome
      assert.strictEqual(done.body.length, size)
      assert.isTrue(Buffer.from(done.body.buffer, done.body.byteOffset, done.body.byteLength).equals(body))
    }).pipe(withServer)
  )

  it.live("a reply cut short is recorded as a violation and leaves the invocation open", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const { outcome } = yield* server.enqueue({ event: "{}", requestId: "cut" })
      yield* next
      const [host, port] = server.address.split(":")
      const req = Http.request({
        host,
        port: Number(port),
        method: "POST",
        path: responsePath("cut"),
        headers: { "Lambda-Runtime-Function-Response-Mode": "streaming" },
        agent: false
      })
      req.on("error", () => {})
      req.write("partial")
      yield* server.exchanges.pipe(
        Effect.repeat({ until: (all) => all.length === 2, schedule: Schedule.spaced("5 millis") })
      )
      req.destroy()
      yield* server.violations.pipe(
        Effect.repeat({ until: (all) => all.length === 1, schedule: Schedule.spaced("5 millis") })
      )
      const violations = yield* server.violations
      assert.match(violations[0]!, /POST \/2018-06-01\/runtime\/invocation\/cut\/response: request body cut short/)
      assert.strictEqual((yield* server.exchanges)[1]?.state, "aborted")
      const retry = yield* send(server.address, { method: "POST", path: responsePath("cut"), body: "whole" })
      assert.strictEqual(retry.status, 202)
      assert.deepStrictEqual((yield* outcome).body, bytes("whole"))
    }).pipe(withServer)
  )

  it.live("a runtime can keep one connection alive across /next and its replies", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const agent = yield* Effect.acquireRelease(
        Effect.sync(() => new Http.Agent({ keepAlive: true, maxSockets: 1 })),
        (agent) => Effect.sync(() => agent.destroy())
      )
      yield* server.enqueue({ event: '"one"', requestId: "k-1" })
      const first = yield* send(server.address, { path: NextPath, agent })
      assert.strictEqual(first.headers["lambda-runtime-aws-request-id"], "k-1")
      const reply = yield* send(server.address, { method: "POST", path: responsePath("k-1"), body: "1", agent })
      assert.strictEqual(reply.status, 202)
      assert.isTrue(reply.reusedSocket)
      const second = yield* Effect.fork(send(server.address, { path: NextPath, agent }))
      yield* awaitPolls(2)
      yield* server.enqueue({ event: '"two"', requestId: "k-2" })
      const got = yield* Fiber.join(second)
      assert.isTrue(got.reusedSocket)
      assert.strictEqual(got.body.toString(), '"two"')
    }).pipe(Effect.scoped, withServer)
  )

  it.live("closing the layer ends open polls and interrupts waiting invokers promptly", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const server = Context.get(yield* Layer.buildWithScope(RuntimeApiServer.layer(), scope), Server)
      const invoker = yield* Effect.fork(server.invoke({ event: "{}", requestId: "in-flight" }))
      const delivered = yield* send(server.address, { path: NextPath })
      assert.strictEqual(delivered.headers["lambda-runtime-aws-request-id"], "in-flight")
      const poll = yield* Effect.fork(send(server.address, { path: NextPath }))
      yield* server.nextPolls.pipe(Effect.repeat({ until: (n) => n >= 2, schedule: Schedule.spaced("5 millis") }))
      const started = Date.now()
      yield* Scope.close(scope, Exit.void)
      assert.isBelow(Date.now() - started, 1_000)
      const polled = yield* Fiber.await(poll).pipe(Effect.timeout(Duration.seconds(2)))
      assert.isTrue(Exit.isFailure(polled))
      const invoked = yield* Fiber.await(invoker).pipe(Effect.timeout(Duration.seconds(2)))
      assert.isTrue(Exit.isInterrupted(invoked))
      assert.isTrue(Exit.isFailure(yield* Effect.exit(server.enqueue({ event: "{}" }))))
    })
  )
  it.live(
    "a /next pipelined behind a reply (one write) is held until the next invocation, then answered in order",
    () =>
      Effect.gen(function* () {
        const server = yield* Server
        const [host, port] = server.address.split(":")
        const first = yield* server.enqueue({ event: '{"n":1}', requestId: "pipe-1" })
        let received = ""
        const socket = Net.connect({ host: host!, port: Number(port) })
        socket.on("data", (data: Buffer) => {
          received += data.toString("latin1")
        })
        yield* Effect.addFinalizer(() => Effect.sync(() => socket.destroy()))
        const count = (text: string) => received.split(text).length - 1
        const until = (what: string, condition: () => boolean) =>
          Effect.sync(condition).pipe(
            Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("5 millis") }),
            Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error(`timed out waiting for ${what}`) })
          )
        const nextRequest = `GET ${NextPath} HTTP/1.1\r\nHost: ${server.address}\r\n\r\n`
        socket.write(nextRequest)
        yield* until("the first event", () => received.includes('{"n":1}'))
        const reply = '{"ok":1}'
        socket.write(
          `POST ${responsePath("pipe-1")} HTTP/1.1\r\nHost: ${server.address}\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${reply.length}\r\n\r\n${reply}${nextRequest}`
        )
        const done = yield* first.outcome
        assert.strictEqual(done._tag, "Response")
        assert.deepStrictEqual(done.body, bytes(reply))
        yield* until("the 202", () => count("HTTP/1.1 202") === 1)
        yield* awaitPolls(2)
        // The pipelined /next waits for an invocation: nothing more on the wire yet.
        yield* Effect.sleep("50 millis")
        assert.strictEqual(count("HTTP/1.1 200"), 1)
        yield* server.enqueue({ event: '{"n":2}', requestId: "pipe-2" })
        yield* until("the second event", () => received.includes('{"n":2}'))
        assert.isBelow(received.indexOf("HTTP/1.1 202"), received.lastIndexOf("HTTP/1.1 200"))
        assert.include(received.toLowerCase(), "lambda-runtime-aws-request-id: pipe-2")
        assert.deepStrictEqual(yield* server.violations, [])

        // A pipelined /next whose connection closes while it is held delivers nothing: the next poll gets the event.
        socket.write(
          `POST ${responsePath("pipe-2")} HTTP/1.1\r\nHost: ${server.address}\r\nContent-Length: 2\r\n\r\n{}${nextRequest}`
        )
        yield* until("the second 202", () => count("HTTP/1.1 202") === 2)
        yield* awaitPolls(3)
        socket.destroy()
        yield* Effect.sleep("50 millis")
        const third = yield* server.enqueue({ event: '{"n":3}', requestId: "pipe-3" })
        const got = yield* next
        assert.strictEqual(got.headers["lambda-runtime-aws-request-id"], "pipe-3")
        assert.strictEqual(third.requestId, "pipe-3")
      }).pipe(Effect.scoped, withServer)
  )
})
