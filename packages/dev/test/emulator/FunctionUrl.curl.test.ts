/**
 * The Function URL front with the real `curl` binary: every route of `examples/http.ts` (buffered) and of
 * `examples/http-stream.ts` (streamed, `RESPONSE_STREAM`), the event a function receives, chunks that arrive
 * while the reply is still open, and how errors end a response.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Crypto from "node:crypto"
import * as FileSystem from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { curl, emulator, fixture, spawn } from "./support.js"

const scratch = Effect.acquireRelease(
  Effect.sync(() => FileSystem.mkdtempSync(Path.join(Os.tmpdir(), "furl-"))),
  (dir) => Effect.sync(() => FileSystem.rmSync(dir, { recursive: true, force: true }))
)

interface Fetched {
  readonly code: number | null
  readonly status: number
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: Buffer
  readonly stderr: string
}

/** `curl -s -D headers -o body URL ARGS…`, parsed. */
const fetchWithCurl = (dir: string, url: string, args: ReadonlyArray<string> = []) =>
  Effect.gen(function* () {
    const id = Crypto.randomUUID()
    const headerFile = Path.join(dir, `${id}.headers`)
    const bodyFile = Path.join(dir, `${id}.body`)
    const result = yield* curl(["-s", "-S", "-D", headerFile, "-o", bodyFile, ...args, url])
    const raw = FileSystem.existsSync(headerFile) ? FileSystem.readFileSync(headerFile, "latin1") : ""
    const [statusLine = "", ...lines] = raw.split("\r\n").filter((l) => l.length > 0)
    const fetched: Fetched = {
      code: result.code,
      status: Number(statusLine.split(" ")[1] ?? 0),
      headers: lines.map((l) => {
        const colon = l.indexOf(":")
        return [l.slice(0, colon).toLowerCase(), l.slice(colon + 1).trim()] as const
      }),
      body: FileSystem.existsSync(bodyFile) ? FileSystem.readFileSync(bodyFile) : Buffer.alloc(0),
      stderr: result.stderr
    }
    return fetched
  })

const header = (fetched: Fetched, name: string) => fetched.headers.find(([n]) => n === name)?.[1]
const headers = (fetched: Fetched, name: string) => fetched.headers.filter(([n]) => n === name).map(([, v]) => v)

const sse = [1, 2, 3, 4, 5].map((n) => `event: tick\nid: ${n}\ndata: {"n":${n}}\n\n`).join("")

/** The routes of examples/http.ts, checked the same way through either front. */
const everyRoute = (url: string, dir: string, streamed: boolean) =>
  Effect.gen(function* () {
    const hello = yield* fetchWithCurl(dir, `${url}/hello`)
    assert.strictEqual(hello.status, 200)
    assert.strictEqual(header(hello, "content-type"), "text/plain")
    assert.strictEqual(hello.body.toString("utf8"), "hello")
    assert.strictEqual(header(hello, "transfer-encoding"), streamed ? "chunked" : undefined)

    const item = yield* fetchWithCurl(dir, `${url}/items/42`)
    assert.strictEqual(item.status, 200)
    assert.match(header(item, "content-type") ?? "", /^application\/json/)
    assert.deepStrictEqual(JSON.parse(item.body.toString("utf8")), { id: "42" })

    const binary = Crypto.randomBytes(4096)
    const input = Path.join(dir, "binary.in")
    FileSystem.writeFileSync(input, binary)
    const echoed = yield* fetchWithCurl(dir, `${url}/echo`, [
      "-X",
      "POST",
      "-H",
      "content-type: application/octet-stream",
      "--data-binary",
      `@${input}`
    ])
    assert.strictEqual(echoed.status, 200)
    assert.strictEqual(header(echoed, "content-type"), "application/octet-stream")
    assert.isTrue(echoed.body.equals(binary))
    const echoedText = yield* fetchWithCurl(dir, `${url}/echo`, [
      "-H",
      "content-type: text/plain; charset=utf-8",
      "--data-binary",
      "héllo, wörld"
    ])
    assert.strictEqual(echoedText.body.toString("utf8"), "héllo, wörld")

    const stream = yield* fetchWithCurl(dir, `${url}/stream`, ["-N"])
    assert.strictEqual(stream.status, 200)
    assert.strictEqual(header(stream, "content-type"), "text/event-stream")
    assert.strictEqual(stream.body.toString("utf8"), sse)

    const cookies = yield* fetchWithCurl(dir, `${url}/cookies`)
    assert.strictEqual(cookies.status, 200)
    assert.deepStrictEqual(headers(cookies, "set-cookie"), ["a=1; Path=/", "b=2; Path=/"])

    const redirect = yield* fetchWithCurl(dir, `${url}/redirect`)
    assert.strictEqual(redirect.status, 302)
    assert.strictEqual(header(redirect, "location"), "/hello")
    assert.strictEqual(redirect.body.length, 0)

    const boom = yield* fetchWithCurl(dir, `${url}/boom`)
    assert.strictEqual(boom.status, 500)
    assert.notInclude(boom.body.toString("utf8"), "boom")
  })

describe("Function URL front with curl", () => {
  it.scopedLive(
    "buffered: every route of examples/http.ts",
    () =>
      Effect.gen(function* () {
        const dir = yield* scratch
        const { server, lines } = yield* emulator({ entry: "examples/http.ts" })
        assert.strictEqual(server.functionUrl, "buffered")
        yield* everyRoute(server.url, dir, false)
        assert.isTrue(lines().some((l) => /GET \/items\/42 → 200 \(\d+ ms, 11 B\)$/.test(l)))
        assert.isTrue(lines().some((l) => /GET \/boom → 500 /.test(l)))
      }),
    180_000
  )

  it.scopedLive(
    "streamed: every route of examples/http-stream.ts, sent with chunked encoding",
    () =>
      Effect.gen(function* () {
        const dir = yield* scratch
        const { server } = yield* emulator({ entry: "examples/http-stream.ts" }, { functionUrl: "streamed" })
        yield* everyRoute(server.url, dir, true)
      }),
    180_000
  )

  it.scopedLive(
    "streamed: examples/http.ts (buffered replies) still serves every route",
    () =>
      Effect.gen(function* () {
        const dir = yield* scratch
        const { server } = yield* emulator({ entry: "examples/http.ts" }, { functionUrl: "streamed" })
        const hello = yield* fetchWithCurl(dir, `${server.url}/hello`)
        assert.strictEqual(hello.body.toString("utf8"), "hello")
        const cookies = yield* fetchWithCurl(dir, `${server.url}/cookies`)
        assert.deepStrictEqual(headers(cookies, "set-cookie"), ["a=1; Path=/", "b=2; Path=/"])
      }),
    180_000
  )

  it.scopedLive(
    "the payload-2.0 event the function receives (examples/echo.ts replies with it)",
    () =>
      Effect.gen(function* () {
        const dir = yield* scratch
        const { server } = yield* emulator({ entry: "examples/echo.ts" })
        const binary = Crypto.randomBytes(300)
        const input = Path.join(dir, "event.in")
        FileSystem.writeFileSync(input, binary)
        const got = yield* fetchWithCurl(dir, `${server.url}/a%20b/c?x=1&y=two%20words&x=3`, [
          "-X",
          "PUT",
          "-H",
          "cookie: s=1; t=2",
          "-H",
          "x-multi: one",
          "-H",
          "x-multi: two",
          "-H",
          "content-type: application/octet-stream",
          "--data-binary",
          `@${input}`
        ])
        assert.strictEqual(got.status, 200)
        assert.strictEqual(header(got, "content-type"), "application/json")
        const event = JSON.parse(got.body.toString("utf8"))
        assert.strictEqual(event.version, "2.0")
        assert.strictEqual(event.routeKey, "$default")
        assert.strictEqual(event.rawPath, "/a%20b/c")
        assert.strictEqual(event.rawQueryString, "x=1&y=two%20words&x=3")
        assert.deepStrictEqual(event.queryStringParameters, { x: "1,3", y: "two words" })
        assert.deepStrictEqual(event.cookies, ["s=1", "t=2"])
        assert.strictEqual(event.headers["x-multi"], "one,two")
        assert.isUndefined(event.headers.cookie)
        assert.strictEqual(event.requestContext.http.method, "PUT")
        assert.strictEqual(event.requestContext.http.sourceIp, "127.0.0.1")
        assert.match(event.requestContext.http.userAgent, /^curl\//)
        assert.match(event.requestContext.domainName, /^[0-9a-f]{32}\.lambda-url\.us-east-1\.on\.aws$/)
        assert.isTrue(event.isBase64Encoded)
        assert.isTrue(Buffer.from(event.body, "base64").equals(binary))
        const text = yield* fetchWithCurl(dir, `${server.url}/`, [
          "-H",
          "content-type: application/json",
          "-d",
          '{"k":"v"}'
        ])
        const textEvent = JSON.parse(text.body.toString("utf8"))
        assert.strictEqual(textEvent.body, '{"k":"v"}')
        assert.isFalse(textEvent.isBase64Encoded)
      }),
    180_000
  )

  it.scopedLive(
    "streamed: a chunk reaches curl -N while the function is still running, then the rest",
    () =>
      Effect.gen(function* () {
        const dir = yield* scratch
        const gate = Path.join(dir, "gate")
        const { server } = yield* emulator({ entry: fixture("gated.ts") }, { functionUrl: "streamed" })
        const headerFile = Path.join(dir, "gated.headers")
        const client = yield* spawn("curl", [
          "-sN",
          "-D",
          headerFile,
          `${server.url}/gated?gate=${encodeURIComponent(gate)}`
        ])
        yield* client.waitFor(/^first\n$/)
        // The function is blocked on the gate: the response cannot have ended.
        assert.isTrue(client.isRunning())
        FileSystem.writeFileSync(gate, "open")
        const exit = yield* client.exited
        assert.strictEqual(exit.code, 0)
        assert.strictEqual(client.stdout(), "first\nsecond\n")
        const head = FileSystem.readFileSync(headerFile, "latin1").toLowerCase()
        assert.include(head, "x-gated: yes")
        assert.include(head, "transfer-encoding: chunked")
      }),
    180_000
  )

  it.scopedLive(
    "streamed: an error after the first bytes cuts the response off (curl exit 18), no error text",
    () =>
      Effect.gen(function* () {
        const dir = yield* scratch
        const gate = Path.join(dir, "gate")
        FileSystem.writeFileSync(gate, "open")
        const { server, lines } = yield* emulator({ entry: fixture("gated.ts") }, { functionUrl: "streamed" })
        const cut = yield* curl(["-sN", `${server.url}/gated?fail=1&gate=${encodeURIComponent(gate)}`])
        assert.strictEqual(cut.code, 18)
        assert.strictEqual(cut.stdout, "first\n")
        assert.isTrue(lines().some((l) => /GET \/gated\?fail=1\S* → 200, cut off: GateFailure/.test(l)))
        const early = yield* fetchWithCurl(dir, `${server.url}/gated?early=1`)
        assert.strictEqual(early.status, 502)
        assert.deepStrictEqual(JSON.parse(early.body.toString("utf8")), { message: "Internal Server Error" })
        // The function is still serving.
        const fine = yield* curl(["-sN", `${server.url}/gated?gate=${encodeURIComponent(gate)}`])
        assert.strictEqual(fine.stdout, "first\nsecond\n")
      }),
    180_000
  )

  it.scopedLive(
    "streamed: a timeout mid-stream cuts the response off too; buffered: errors are a 502",
    () =>
      Effect.gen(function* () {
        const dir = yield* scratch
        const gate = Path.join(dir, "never-opened")
        const streamed = yield* emulator({ entry: fixture("gated.ts"), timeoutMs: 2_000 }, { functionUrl: "streamed" })
        const cut = yield* curl(["-sN", `${streamed.server.url}/gated?gate=${encodeURIComponent(gate)}`])
        assert.strictEqual(cut.code, 18)
        assert.strictEqual(cut.stdout, "first\n")
        const buffered = yield* emulator({ entry: fixture("gated.ts"), timeoutMs: 2_000 })
        const failed = yield* fetchWithCurl(dir, `${buffered.server.url}/gated?gate=${encodeURIComponent(gate)}`)
        assert.strictEqual(failed.status, 502)
        assert.deepStrictEqual(JSON.parse(failed.body.toString("utf8")), { message: "Internal Server Error" })
        // The runtime stops the stream itself just before its deadline (Runtime.DeadlineExceeded); if it cannot,
        // the emulator kills it at the deadline (Sandbox.Timedout).
        assert.isTrue(buffered.lines().some((l) => /→ 502 (?:Runtime\.DeadlineExceeded|Sandbox\.Timedout)/.test(l)))
      }),
    180_000
  )
})
