/**
 * The `effect-lambda` CLI as a user runs it: `node bin/effect-lambda.js …` as a child process, with real
 * ports, stdin/stdout/stderr and exit codes.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as esbuild from "esbuild"
import * as Crypto from "node:crypto"
import * as FileSystem from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as PropertyClosures from "../../src/build/internal/propertyClosures.js"
import { assertSameMappings } from "../build/support.js"
import { cli, curl, fixture, root, run, spawn } from "../emulator/support.js"

const node = process.execPath
const bin = Path.join(root, "packages/dev/bin/effect-lambda.js")
const version: string = JSON.parse(
  FileSystem.readFileSync(Path.join(root, "packages/dev/package.json"), "utf8")
).version

/** The syntax-error fixture as a .ts entry (stored as .txt so the type check and the linter skip it). */
const syntaxErrorEntry = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = Path.join(root, ".scratch", `syntax-${Crypto.randomUUID()}`)
    FileSystem.mkdirSync(dir, { recursive: true })
    const entry = Path.join(dir, "syntax-error.ts")
    FileSystem.copyFileSync(Path.join(root, "packages/dev/test/fixtures/cli/syntax-error.ts.txt"), entry)
    return entry
  }),
  (entry) => Effect.sync(() => FileSystem.rmSync(Path.dirname(entry), { recursive: true, force: true }))
)
const effectLambda = (args: ReadonlyArray<string>, options: { readonly stdin?: string } = {}) =>
  run(node, [bin, ...args], options)

const tempFile = (name: string, content: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = FileSystem.mkdtempSync(Path.join(Os.tmpdir(), "effect-lambda-cli-"))
      const file = Path.join(dir, name)
      FileSystem.writeFileSync(file, content)
      return file
    }),
    (file) => Effect.sync(() => FileSystem.rmSync(Path.dirname(file), { recursive: true, force: true }))
  )

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe("effect-lambda CLI", () => {
  it.live(
    "help for the program and for every command and flag, --version, shell completions",
    () =>
      Effect.gen(function* () {
        const main = yield* effectLambda(["--help"])
        assert.strictEqual(main.code, 0)
        assert.include(main.stdout, `effect-lambda ${version}`)
        assert.match(main.stdout, /^ {2}- dev \[--port port\].* <entry> +Serve a function locally/m)
        assert.match(main.stdout, /^ {2}- invoke \[--event file\].* <entry> +Invoke a Lambda function once/m)
        assert.match(main.stdout, /^ {2}- event \[--body text\] <source>.* +Print a sample event/m)
        assert.match(main.stdout, /^ {2}- build .*<entry> +Bundle a handler file/m)
        assert.match(main.stdout, /^ {2}- young-closures <path>\.\.\. +Rewrite, in place, the closures/m)
        // Piped help is plain text (no terminal colors).
        assert.notInclude(main.stdout, "\u001b[")
        const bare = yield* effectLambda([])
        assert.strictEqual(bare.code, 0)
        assert.strictEqual(bare.stdout, main.stdout)
        const devHelp = yield* effectLambda(["dev", "--help"])
        assert.strictEqual(devHelp.code, 0)
        for (const flag of [
          "--port port",
          "--stream",
          "--watch",
          "--concurrency n",
          "--timeout seconds",
          "--name name",
          "--try request",
          "-h, --help",
          "<entry>"
        ]) {
          assert.include(devHelp.stdout, flag)
        }
        const invokeHelp = yield* effectLambda(["help", "invoke"])
        assert.strictEqual(invokeHelp.code, 0)
        for (const flag of ["--event file", "--timeout seconds", "--name name", "<entry>"])
          assert.include(invokeHelp.stdout, flag)
        assert.notInclude(invokeHelp.stdout, "--port")
        const shown = yield* effectLambda(["--version"])
        assert.strictEqual(shown.code, 0)
        assert.strictEqual(shown.stdout.trim(), version)
        const completions = yield* effectLambda(["--completions", "bash"])
        assert.strictEqual(completions.code, 0)
        assert.include(completions.stdout, "complete -F")
        for (const word of ["dev", "invoke", "--port", "--event"]) assert.include(completions.stdout, word)
      }),
    420_000
  )

  it.live(
    "usage errors exit 2 with a clear message",
    () =>
      Effect.gen(function* () {
        const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
          [["invoke"], "effect-lambda invoke: Missing argument <entry>"],
          [["invoke", "nope/missing.ts"], "effect-lambda invoke: no such file: nope/missing.ts"],
          [["dev", "examples"], "effect-lambda dev: not a file: examples"],
          [
            ["dev", "examples/echo.ts", "--port", "http"],
            'effect-lambda dev: --port must be a port number (0-65535), got "http"'
          ],
          [["dev", "examples/echo.ts", "--port", "70000"], '--port must be a port number (0-65535), got "70000"'],
          [["dev", "examples/echo.ts", "--concurrency", "0"], '--concurrency must be a whole number ≥ 1, got "0"'],
          [
            ["invoke", "examples/echo.ts", "--timeout", "-1"],
            '--timeout must be a positive number of seconds, got "-1"'
          ],
          [["dev", "examples/echo.ts", "--bogus"], "effect-lambda dev: Received unknown argument: '--bogus'"],
          [["dev", "examples/echo.ts", "extra"], "effect-lambda dev: Received unknown argument: 'extra'"],
          [["dev", "examples/echo.ts", "--timeout"], "effect-lambda dev: --timeout needs a value <seconds>"],
          [
            ["invoke", "examples/echo.ts", "--event", "nope.json"],
            "effect-lambda invoke: no such event file: nope.json"
          ],
          [
            ["frobnicate"],
            "effect-lambda: Invalid subcommand for effect-lambda - use one of 'dev', 'invoke', 'event', 'build', 'young-closures'"
          ],
          [["young-closures"], "effect-lambda young-closures: Missing argument <path>"],
          [["young-closures", "nope/dist"], "effect-lambda young-closures: no such file or folder: nope/dist"]
        ]
        // A few at a time: each case is a process of its own.
        const results = yield* Effect.forEach(cases, ([args]) => effectLambda(args), { concurrency: 3 })
        for (const [i, [args, message]] of cases.entries()) {
          const result = results[i]!
          assert.strictEqual(result.code, 2, args.join(" "))
          assert.include(result.stderr, message)
          // One clear message (and where to read the usage), never a stack.
          assert.isAtMost(result.stderr.trim().split("\n").length, 2, result.stderr)
          assert.notMatch(result.stderr, /^\s+at /m)
          assert.strictEqual(result.stdout, "")
        }
        const notJson = yield* effectLambda(["invoke", "examples/echo.ts"], { stdin: "{oops" })
        assert.strictEqual(notJson.code, 2)
        assert.include(notJson.stderr, "the event (stdin) is not JSON")
      }),
    420_000
  )

  it.live(
    "invoke: the event from --event FILE, the reply on stdout, a log line on stderr",
    () =>
      Effect.gen(function* () {
        const event = yield* tempFile("event.json", '{"order":{"id":"A-17"},"n":[1,2,3]}')
        const result = yield* effectLambda(["invoke", "examples/echo.ts", "--event", event])
        assert.strictEqual(result.code, 0, result.stderr)
        assert.strictEqual(result.stdout, '{"order":{"id":"A-17"},"n":[1,2,3]}')
        assert.match(result.stderr, /Invoke echo → 200 \(\d+ ms, 35 B\)/)
      }).pipe(Effect.scoped),
    180_000
  )

  it.live(
    "invoke: the event from stdin; a function error exits 1 with the error object on stdout",
    () =>
      Effect.gen(function* () {
        const ok = yield* effectLambda(["invoke", "examples/echo.ts"], { stdin: "[1,2]" })
        assert.strictEqual(ok.code, 0)
        assert.strictEqual(ok.stdout, "[1,2]")
        const failed = yield* effectLambda(["invoke", "examples/fail.ts", "--event", "-"], { stdin: '{"id":"A-17"}' })
        assert.strictEqual(failed.code, 1)
        const error = JSON.parse(failed.stdout)
        assert.strictEqual(error.errorType, "OrderNotFound")
        assert.strictEqual(error.errorMessage, "order A-17 was not found")
        assert.include(failed.stderr, "✗ OrderNotFound: order A-17 was not found")
        // The function's own log lines are shown on stderr, prefixed.
        assert.match(failed.stderr, /\[fail\] .*Invoke Error: OrderNotFound/)
      }),
    180_000
  )

  it.live(
    "invoke: a streamed reply goes to stdout as it comes; a stream cut by an error exits 1",
    () =>
      Effect.gen(function* () {
        const sse = yield* effectLambda(["invoke", "examples/sse.ts"], { stdin: '{"ticks":3}' })
        assert.strictEqual(sse.code, 0, sse.stderr)
        assert.strictEqual(sse.stdout, [1, 2, 3].map((n) => `event: tick\nid: ${n}\ndata: {"n":${n}}\n\n`).join(""))
        assert.match(sse.stderr, /Invoke sse → 200 \(streamed\)/)
        const cut = yield* effectLambda(["invoke", "examples/stream-fail.ts"], {
          stdin: '{"bytes":100,"failAfter":10}'
        })
        assert.strictEqual(cut.code, 1)
        assert.strictEqual(Buffer.byteLength(cut.stdout, "latin1"), 10)
        assert.include(
          cut.stderr,
          "✗ the reply was cut off after 10 B: UpstreamClosed: the upstream closed after 10 bytes"
        )
      }),
    180_000
  )

  it.live(
    "invoke: an HTTP reply's prelude is shown on stderr and its body on stdout",
    () =>
      Effect.gen(function* () {
        const event = JSON.stringify({
          version: "2.0",
          routeKey: "$default",
          rawPath: "/items/7",
          rawQueryString: "",
          headers: { host: "abc.lambda-url.us-east-1.on.aws" },
          requestContext: {
            accountId: "123456789012",
            apiId: "abc",
            domainName: "abc.lambda-url.us-east-1.on.aws",
            domainPrefix: "abc",
            http: { method: "GET", path: "/items/7", protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
            requestId: "r",
            routeKey: "$default",
            stage: "$default",
            time: "12/Mar/2020:19:03:58 +0000",
            timeEpoch: 1583348638390
          },
          isBase64Encoded: false
        })
        const result = yield* effectLambda(["invoke", "examples/http-stream.ts"], { stdin: event })
        assert.strictEqual(result.code, 0, result.stderr)
        assert.deepStrictEqual(JSON.parse(result.stdout), { id: "7" })
        assert.match(result.stderr, /^HTTP 200 /m)
      }),
    180_000
  )

  it.live(
    "invoke: an entry that is not a function, and one that crashes at init, exit 1 with the reason",
    () =>
      Effect.gen(function* () {
        const notAFunction = yield* effectLambda(["invoke", fixture("not-a-function.ts")], { stdin: "{}" })
        assert.strictEqual(notAFunction.code, 1)
        assert.include(notAFunction.stderr, "✗ Runtime.HandlerNotFound:")
        assert.include(notAFunction.stderr, "is not a Lambda function")
        const crash = yield* effectLambda(["invoke", fixture("init-crash.ts")], { stdin: "{}" })
        assert.strictEqual(crash.code, 1)
        assert.include(crash.stderr, "✗ TypeError: cannot read the configuration")
      }),
    180_000
  )

  it.live(
    "event: a sample event on stdout, piped into invoke (real processes, a shell pipe)",
    () =>
      Effect.gen(function* () {
        const piped = yield* run("bash", [
          "-o",
          "pipefail",
          "-c",
          `"$0" "$1" event sqs --body '{"id":1}' | "$0" "$1" invoke examples/echo.ts`,
          node,
          bin
        ])
        assert.strictEqual(piped.code, 0, piped.stderr)
        // echo replies with its event: the SQS event as `event` printed it, the body where SQS puts it.
        const event = JSON.parse(piped.stdout)
        assert.strictEqual(event.Records.length, 1)
        const record = event.Records[0]
        assert.strictEqual(record.eventSource, "aws:sqs")
        assert.strictEqual(record.body, '{"id":1}')
        assert.strictEqual(record.md5OfBody, Crypto.createHash("md5").update('{"id":1}').digest("hex"))
        assert.match(piped.stderr, /Invoke echo → 200/)
        const printed = yield* effectLambda(["event", "sqs", "--body", '{"id":1}'])
        assert.strictEqual(printed.code, 0)
        assert.deepStrictEqual(JSON.parse(printed.stdout), event)
      }),
    180_000
  )

  it.live(
    "event: every source prints JSON; an unknown source or a body the source cannot carry exits 2",
    () =>
      Effect.gen(function* () {
        const help = yield* effectLambda(["event", "--help"])
        assert.strictEqual(help.code, 0)
        const sources = ["sqs", "sqs-fifo", "sns", "s3", "s3-delete", "eventbridge", "scheduled", "kinesis", "dynamodb"]
        for (const source of sources) assert.include(help.stdout, source)
        const printed = yield* Effect.forEach(sources, (source) => effectLambda(["event", source]), { concurrency: 3 })
        for (const [i, source] of sources.entries()) {
          assert.strictEqual(printed[i]!.code, 0, `${source}: ${printed[i]!.stderr}`)
          assert.isObject(JSON.parse(printed[i]!.stdout), source)
        }
        const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
          [["event", "nope"], "effect-lambda event: "],
          [["event"], "effect-lambda event: Missing argument"],
          [["event", "scheduled", "--body", "x"], "effect-lambda event: scheduled events carry no body"],
          [
            ["event", "eventbridge", "--body", "[1]"],
            "effect-lambda event: --body for eventbridge must be a JSON object"
          ]
        ]
        const results = yield* Effect.forEach(cases, ([args]) => effectLambda(args), { concurrency: 3 })
        for (const [i, [args, message]] of cases.entries()) {
          assert.strictEqual(results[i]!.code, 2, args.join(" "))
          assert.include(results[i]!.stderr, message)
          assert.strictEqual(results[i]!.stdout, "")
        }
      }),
    420_000
  )

  it.scopedLive(
    "dev: prints the URLs and a curl line, serves, logs each request, stops on Ctrl-C with its function",
    () =>
      Effect.gen(function* () {
        const dev = yield* cli([
          "dev",
          "examples/http-stream.ts",
          "--stream",
          "--port",
          "0",
          "--try",
          "/hello",
          "--try",
          'POST /echo {"a":1}'
        ])
        const ready = yield* dev.waitFor(/✓ http-stream is ready \(started in [\d.]+ s, pid (\d+)\)/)
        const pid = Number(ready[1])
        const url = /Function URL \(streamed\)\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(dev.stdout())?.[1]
        assert.isString(url)
        const out = dev.stdout()
        assert.include(out, `POST ${url}/2015-03-31/functions/http-stream/invocations`)
        assert.include(out, `POST ${url}/2021-11-15/functions/http-stream/response-streaming-invocations`)
        assert.include(out, `curl -iN ${url}/hello`)
        assert.include(out, `curl -iN ${url}/echo -H 'content-type: application/json' --data-binary '{"a":1}'`)
        const hello = yield* curl(["-sN", `${url}/hello`])
        assert.strictEqual(hello.stdout, "hello")
        yield* dev.waitFor(/GET \/hello → 200 \(\d+ ms, 5 B\)/)
        const invoked = yield* curl(["-s", `${url}/2015-03-31/functions/function/invocations`, "-d", "{}"])
        assert.strictEqual(invoked.code, 0)
        yield* dev.waitFor(/Invoke function → 200/)
        assert.isTrue(isAlive(pid))
        dev.kill("SIGINT")
        const exit = yield* dev.exited
        assert.strictEqual(exit.code, 0)
        assert.isFalse(isAlive(pid))
      })
  )

  it.scopedLive(
    "dev: a port in use is refused with a clear message",
    () =>
      Effect.gen(function* () {
        const blocker = yield* Effect.acquireRelease(
          Effect.async<Net.Server>((resume) => {
            const server = Net.createServer()
            server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
          }),
          (server) => Effect.sync(() => server.close())
        )
        const address = blocker.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        const taken = yield* effectLambda(["dev", "examples/echo.ts", "--port", String(port)])
        assert.strictEqual(taken.code, 2)
        assert.include(taken.stderr, `port ${port} is already in use`)
        assert.include(taken.stderr, "--port")
        assert.notMatch(taken.stderr, /^\s+at /m)
      }),
    180_000
  )

  it.scopedLive(
    "dev: a function whose init fails does not end dev: it prints the init error and each request gets it",
    () =>
      Effect.gen(function* () {
        const dev = yield* cli(["dev", fixture("not-a-function.ts"), "--port", "0"])
        yield* dev.waitFor(/test\/fixtures\/emulator\/not-a-function\.ts is not a Lambda function/, "stderr")
        yield* dev.waitFor(/effect-lambda dev keeps serving/, "stderr")
        const url = /Function URL \(buffered\)\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(dev.stdout())?.[1]
        assert.isString(url)
        for (let i = 0; i < 2; i++) {
          const invoked = yield* curl(["-s", "-i", `${url}/2015-03-31/functions/function/invocations`, "-d", "{}"])
          assert.strictEqual(invoked.code, 0)
          assert.match(invoked.stdout, /^x-amz-function-error: Unhandled\r$/im)
          const body = JSON.parse(invoked.stdout.slice(invoked.stdout.indexOf("\r\n\r\n") + 4))
          assert.strictEqual(body.errorType, "Runtime.HandlerNotFound")
          assert.include(body.errorMessage, "is not a Lambda function")
        }
        const viaUrl = yield* curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", `${url}/anything`])
        assert.strictEqual(viaUrl.stdout, "502")
        assert.isTrue(dev.isRunning())
        dev.kill("SIGINT")
        const exit = yield* dev.exited
        assert.strictEqual(exit.code, 0)
      })
  )

  it.scopedLive(
    "dev: an entry with a syntax error is reported once, before the banner, and requests get Runtime.UserCodeSyntaxError",
    () =>
      Effect.gen(function* () {
        const entry = yield* syntaxErrorEntry
        // stdout and stderr into one pipe, to see the order.
        const dev = yield* spawn("sh", ["-c", `exec "$0" "$@" 2>&1`, node, bin, "dev", entry, "--port", "0"])
        yield* dev.waitFor(/does not start until the syntax error above is fixed/)
        const out = dev.stdout()
        assert.strictEqual(out.split('Expected ")" but found "if"').length - 1, 1, out)
        assert.match(
          out,
          /^✗ syntax error: Expected "\)" but found "if"\n\n {4}\S*syntax-error\.ts:8:0:\n {6}8 │ if \(/
        )
        assert.isBelow(out.indexOf("syntax error"), out.indexOf("effect-lambda dev: syntax-error"))
        assert.notMatch(out, /^\s+at /m)
        const url = /Function URL \(buffered\)\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1]
        const invoked = yield* curl(["-s", `${url}/2015-03-31/functions/function/invocations`, "-d", "{}"])
        const body = JSON.parse(invoked.stdout)
        assert.strictEqual(body.errorType, "Runtime.UserCodeSyntaxError")
        assert.match(body.errorMessage, /^SyntaxError: Expected "\)" but found "if" \(\S*syntax-error\.ts:8:0\)$/)
        yield* dev.waitFor(/Invoke function → 200 Unhandled Runtime\.UserCodeSyntaxError/)
        // Still printed once: a request answers with the error without printing it again.
        assert.strictEqual(dev.stdout().split('Expected ")" but found "if"').length - 1, 1)
        assert.isTrue(dev.isRunning())
      })
  )

  it.live(
    "invoke: an entry with a syntax error exits 1, the error printed once on stderr and the error object on stdout",
    () =>
      Effect.gen(function* () {
        const entry = yield* syntaxErrorEntry
        const result = yield* effectLambda(["invoke", entry], { stdin: "{}" })
        assert.strictEqual(result.code, 1)
        assert.strictEqual(JSON.parse(result.stdout).errorType, "Runtime.UserCodeSyntaxError")
        assert.strictEqual(result.stderr.split('Expected ")" but found "if"').length - 1, 1, result.stderr)
        assert.match(result.stderr, /^✗ syntax error: Expected "\)" but found "if"\n/)
        assert.match(result.stderr, /Invoke syntax-error → Unhandled Runtime\.UserCodeSyntaxError/)
        assert.notMatch(result.stderr, /^\s+at /m)
      }).pipe(Effect.scoped),
    180_000
  )

  it.scopedLive(
    "dev --watch: editing the entry restarts the function with the new code",
    () =>
      Effect.gen(function* () {
        const dir = Path.join(root, ".scratch", `watch-${Crypto.randomUUID()}`)
        yield* Effect.acquireRelease(
          Effect.sync(() => FileSystem.mkdirSync(dir, { recursive: true })),
          () => Effect.sync(() => FileSystem.rmSync(dir, { recursive: true, force: true }))
        )
        const entry = Path.join(dir, "versioned.ts")
        const source = (version: string) =>
          [
            'import { Effect } from "effect"',
            'import { Handler, LambdaRuntime } from "../../src/index.js"',
            `export const handler = Handler.effect(() => Effect.succeed({ version: "${version}" }))`,
            "if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)",
            ""
          ].join("\n")
        FileSystem.writeFileSync(entry, source("v1"))
        const dev = yield* cli(["dev", entry, "--watch", "--port", "0"])
        yield* dev.waitFor(/✓ versioned is ready/)
        const url = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(dev.stdout())?.[1]
        const invoke = curl(["-s", `${url}/2015-03-31/functions/function/invocations`, "-d", "{}"])
        assert.strictEqual((yield* invoke).stdout, '{"version":"v1"}')
        FileSystem.writeFileSync(entry, source("v2"))
        yield* dev.waitFor(/versioned\.ts changed: restarting versioned\n[\s\S]*✓ versioned is ready/)
        assert.strictEqual((yield* invoke).stdout, '{"version":"v2"}')
      }),
    180_000
  )

  it.scopedLive(
    "dev --watch: a syntax error saved while serving is shown once and answered; saving the fix restarts the function",
    () =>
      Effect.gen(function* () {
        const dir = Path.join(root, ".scratch", `watch-syntax-${Crypto.randomUUID()}`)
        yield* Effect.acquireRelease(
          Effect.sync(() => FileSystem.mkdirSync(dir, { recursive: true })),
          () => Effect.sync(() => FileSystem.rmSync(dir, { recursive: true, force: true }))
        )
        const entry = Path.join(dir, "edited.ts")
        const source = (version: string) =>
          [
            'import { Effect } from "effect"',
            'import { Handler, LambdaRuntime } from "effect-lambda-runtime"',
            `export const handler = Handler.effect(() => Effect.succeed({ version: "${version}" }))`,
            "if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)",
            ""
          ].join("\n")
        FileSystem.writeFileSync(entry, source("v1"))
        const dev = yield* cli(["dev", entry, "--watch", "--port", "0"])
        yield* dev.waitFor(/✓ edited is ready/)
        const url = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(dev.stdout())?.[1]
        const invoke = curl(["-s", `${url}/2015-03-31/functions/function/invocations`, "-d", "{}"])
        assert.strictEqual((yield* invoke).stdout, '{"version":"v1"}')
        FileSystem.writeFileSync(entry, source("v2").replace("}))", "})"))
        yield* dev.waitFor(/does not start until the syntax error above is fixed/, "stderr")
        assert.strictEqual(dev.stderr().split("✗ syntax error:").length - 1, 1, dev.stderr())
        assert.strictEqual(JSON.parse((yield* invoke).stdout).errorType, "Runtime.UserCodeSyntaxError")
        FileSystem.writeFileSync(entry, source("v3"))
        yield* dev.waitFor(
          /edited\.ts changed: restarting edited\n[\s\S]*edited\.ts changed: restarting edited\n[\s\S]*✓ edited is ready/
        )
        assert.strictEqual((yield* invoke).stdout, '{"version":"v3"}')
        assert.strictEqual(dev.stderr().split("✗ syntax error:").length - 1, 1)
      }),
    180_000
  )

  it.scopedLive(
    "young-closures: a folder of bundles rewritten in place, maps shifted; node_modules and unparseable files left",
    () =>
      Effect.gen(function* () {
        const dir = yield* Effect.acquireRelease(
          Effect.sync(() => FileSystem.mkdtempSync(Path.join(Os.tmpdir(), "effect-lambda-cli-"))),
          (dir) => Effect.sync(() => FileSystem.rmSync(dir, { recursive: true, force: true }))
        )
        // What CDK's NodejsFunction leaves in its output folder: a CommonJS bundle and its map.
        const bundle = Path.join(dir, "index.js")
        esbuild.buildSync({
          entryPoints: [Path.join(root, "packages/dev/test/build/fixtures/young-closures-entry.ts")],
          bundle: true,
          minify: true,
          platform: "node",
          format: "cjs",
          sourcemap: true,
          outfile: bundle,
          logLevel: "silent"
        })
        const before = {
          code: FileSystem.readFileSync(bundle, "utf8"),
          map: FileSystem.readFileSync(`${bundle}.map`, "utf8")
        }
        const sites = PropertyClosures.findSites(before.code, "script").length
        assert.isAbove(sites, 5)
        FileSystem.mkdirSync(Path.join(dir, "node_modules/dep"), { recursive: true })
        FileSystem.writeFileSync(Path.join(dir, "node_modules/dep/index.js"), "o.f = () => 1\n")
        FileSystem.writeFileSync(Path.join(dir, "broken.mjs"), "o.f = () => {\n")

        const first = yield* effectLambda(["young-closures", dir])
        assert.strictEqual(first.code, 0, first.stderr)
        assert.strictEqual(
          first.stdout,
          `${bundle}: ${sites} closures rewritten, source map shifted\n${sites} closures rewritten in 1 of 2 files\n`
        )
        assert.strictEqual(
          first.stderr,
          `effect-lambda young-closures: ${Path.join(dir, "broken.mjs")} left as it is (it did not parse: Unexpected token (2:0))\n`
        )
        const after = {
          code: FileSystem.readFileSync(bundle, "utf8"),
          map: FileSystem.readFileSync(`${bundle}.map`, "utf8")
        }
        assert.deepStrictEqual(PropertyClosures.findSites(after.code, "script"), [])
        assert.isAbove(assertSameMappings(before, after), 1000)
        assert.strictEqual(
          FileSystem.readFileSync(Path.join(dir, "node_modules/dep/index.js"), "utf8"),
          "o.f = () => 1\n"
        )
        assert.strictEqual(FileSystem.readFileSync(Path.join(dir, "broken.mjs"), "utf8"), "o.f = () => {\n")
        const ran = yield* run(node, [bundle])
        assert.strictEqual(ran.stdout, "answer 42\n")

        // A second pass finds nothing left and writes nothing.
        const again = yield* effectLambda(["young-closures", bundle])
        assert.strictEqual(again.code, 0)
        assert.strictEqual(again.stdout, "0 closures rewritten in 0 of 1 files\n")
        assert.strictEqual(FileSystem.readFileSync(bundle, "utf8"), after.code)
      }),
    120_000
  )
})
