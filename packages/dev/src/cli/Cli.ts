/**
 * The `effect-lambda` command: run a function written with this runtime on this machine.
 *
 * - `effect-lambda dev <entry>`: start the function and serve it on one local port: the Lambda `Invoke` and
 *   `InvokeWithResponseStream` APIs (for `@aws-sdk/client-lambda` with an endpoint override), the path of
 *   AWS's own emulator, and a Function URL for every other request (see `Emulator`).
 * - `effect-lambda invoke <entry>`: invoke it once with an event from `--event FILE` or stdin, print the reply
 *   to stdout (streamed as it arrives), exit 1 on a function error.
 *
 * Exit codes: 0 success, 1 the function failed (an error reply, an init error, a crash, a timeout), 2 the
 * command line or its files are wrong, or the port is taken.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberSet from "effect/FiberSet"
import * as Stream from "effect/Stream"
import * as FileSystem from "node:fs"
import * as Path from "node:path"
import * as Emulator from "../emulator/Emulator.js"
import * as ConsoleOf from "../emulator/internal/console.js"
import * as LocalFunction from "../emulator/LocalFunction.js"
import * as HttpPrelude from "effect-lambda-runtime/HttpPrelude"
import * as Args from "./Args.js"

/**
 * The program's name in messages and help.
 *
 * @since 0.1.0
 * @category constants
 */
export const Program = "effect-lambda"

const version = "0.1.0"

const commonFlags: ReadonlyArray<Args.Flag> = [
  {
    name: "timeout",
    value: "<seconds>",
    description: `Per-invocation timeout; past it the invocation fails with Sandbox.Timedout and the function process is replaced (default ${LocalFunction.Defaults.timeoutMs / 1000}).`
  },
  { name: "name", value: "<name>", description: "The function's name (default: the entry's file name)." },
  { name: "help", alias: "h", description: "Show this help." }
]

/**
 * The `dev` command's declaration.
 *
 * @since 0.1.0
 * @category commands
 */
export const dev: Args.Command = {
  name: "dev",
  summary:
    "Run a Lambda function locally and serve it on one port: the Lambda Invoke API and InvokeWithResponseStream " +
    "(for @aws-sdk/client-lambda with an endpoint override), the path of AWS's emulator " +
    "(POST /2015-03-31/functions/function/invocations), and a Function URL for every other request. The function " +
    "runs as a real node process with Lambda's environment; it is restarted after a crash or a timeout.",
  positionals: [{ name: "entry", description: "The function's file (.ts runs through tsx, .js/.mjs directly)." }],
  flags: [
    {
      name: "port",
      value: "<port>",
      description: `Port on 127.0.0.1 (default ${Emulator.Defaults.port}; 0 picks a free one).`
    },
    {
      name: "stream",
      description:
        "Serve the Function URL in RESPONSE_STREAM mode: replies are sent to the client as the function writes them."
    },
    { name: "watch", description: "Restart the function when a file under the entry's directory changes." },
    {
      name: "concurrency",
      value: "<n>",
      description:
        "How many invocations run at once (default 1; others queue). Above 1 the function gets AWS_LAMBDA_MAX_CONCURRENCY."
    },
    {
      name: "try",
      value: "<request>",
      repeatable: true,
      description: 'A request to suggest in the banner, as "PATH" or "METHOD PATH [BODY]" (repeatable).'
    },
    ...commonFlags
  ],
  notes: [
    "The entry either starts the runtime itself (if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)) " +
      "or exports a `handler` (or default export) made with Handler.effect / Handler.stream.",
    "Function URL errors: a failed invocation is a 502; in --stream mode an error after the status was sent cuts " +
      "the response off (the body ends without its final chunk), as a Function URL does.",
    "When the function fails to start, dev prints why and exits 1, unless --watch is given: then it keeps serving " +
      "(each invocation gets the init error) and restarts the function when you save a fix."
  ]
}

/**
 * The `invoke` command's declaration.
 *
 * @since 0.1.0
 * @category commands
 */
export const invoke: Args.Command = {
  name: "invoke",
  summary:
    "Invoke a Lambda function once, locally, and print its reply to stdout (a streamed reply is written as it " +
    "arrives). The function's logs go to stderr. Exits 1 when the invocation fails.",
  positionals: [{ name: "entry", description: "The function's file (.ts runs through tsx, .js/.mjs directly)." }],
  flags: [
    {
      name: "event",
      value: "<file>",
      description:
        'The event, a JSON file; "-" reads stdin. Without it the event is read from stdin ({} when stdin is a terminal or empty).'
    },
    ...commonFlags
  ]
}

const commands: ReadonlyArray<Args.Command> = [dev, invoke]

const mainHelp = (): string =>
  [
    `${Program} ${version}: run AWS Lambda functions written with effect-lambda-runtime on this machine.`,
    "",
    "Usage:",
    `  ${Program} dev <entry> [options]`.padEnd(44) + "Serve a function locally: Lambda API + Function URL.",
    `  ${Program} invoke <entry> [options]`.padEnd(44) + "Invoke a function once; print its reply.",
    `  ${Program} help [command]`.padEnd(44) + "Show help.",
    "",
    `Run \`${Program} <command> --help\` for a command's options.`,
    ""
  ].join("\n")

const writeOut = (text: string) => Effect.sync(() => void process.stdout.write(text))
const writeErr = (text: string) => Effect.sync(() => void process.stderr.write(text))

/** Write bytes to stdout, waiting for it to drain. */
const stdout = (bytes: Uint8Array): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (process.stdout.write(bytes)) return resume(Effect.void)
    process.stdout.once("drain", () => resume(Effect.void))
  })

class Exit {
  constructor(
    readonly code: number,
    readonly message?: string
  ) {}
}

const usageFailure = (command: string, message: string) =>
  new Exit(2, `${Program} ${command}: ${message}\nRun \`${Program} ${command} --help\` for usage.\n`)

interface Common {
  readonly entry: string
  readonly timeoutMs: number | undefined
  readonly name: string | undefined
}

const number = (
  command: string,
  parsed: Args.Parsed,
  flag: string,
  check: (n: number) => boolean,
  expected: string
): Either.Either<number | undefined, Exit> => {
  const raw = Args.value(parsed, flag)
  if (raw === undefined) return Either.right(undefined)
  const n = Number(raw)
  return raw.trim() !== "" && Number.isFinite(n) && check(n)
    ? Either.right(n)
    : Either.left(usageFailure(command, `--${flag} must be ${expected}, got ${JSON.stringify(raw)}`))
}

const common = (command: Args.Command, parsed: Args.Parsed): Either.Either<Common, Exit> => {
  if (parsed.positionals.length === 0)
    return Either.left(usageFailure(command.name, "missing <entry>, the function's file"))
  if (parsed.positionals.length > 1) {
    return Either.left(usageFailure(command.name, `unexpected argument ${JSON.stringify(parsed.positionals[1])}`))
  }
  const entry = parsed.positionals[0]!
  const stat = FileSystem.statSync(entry, { throwIfNoEntry: false })
  if (stat === undefined) return Either.left(new Exit(2, `${Program} ${command.name}: no such file: ${entry}\n`))
  if (!stat.isFile()) return Either.left(new Exit(2, `${Program} ${command.name}: not a file: ${entry}\n`))
  return Either.map(
    number(command.name, parsed, "timeout", (n) => n > 0, "a positive number of seconds"),
    (seconds) => ({
      entry,
      timeoutMs: seconds === undefined ? undefined : Math.round(seconds * 1000),
      name: Args.value(parsed, "name")
    })
  )
}

const functionOptions = (options: Common, concurrency?: number): LocalFunction.Options => ({
  entry: options.entry,
  ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  ...(options.name === undefined ? {} : { functionName: options.name }),
  ...(concurrency === undefined ? {} : { concurrency })
})

const describeInitError = (entry: string, error: LocalFunction.FunctionError): string =>
  error.errorType === "Runtime.HandlerNotFound"
    ? `${entry} is not a Lambda function: ${error.errorMessage.replace(/^.*? is not a Lambda function: /, "")}`
    : `${entry} failed to start: ${error.errorType}: ${error.errorMessage}`

const shellQuote = (text: string): string =>
  /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`

const curlFor = (base: string, request: string, stream: boolean): string => {
  const match = /^\s*(?:([A-Z]+)\s+)?(\S+)(?:\s+([\s\S]+))?$/.exec(request)
  const method = match?.[1] ?? "GET"
  const path = match?.[2] ?? "/"
  const body = match?.[3]
  const url = `${base}${path.startsWith("/") ? path : `/${path}`}`
  const parts = ["curl", stream ? "-iN" : "-i"]
  if (method !== "GET" && !(method === "POST" && body !== undefined)) parts.push("-X", method)
  parts.push(shellQuote(url))
  if (body !== undefined)
    parts.push("-H", shellQuote("content-type: application/json"), "--data-binary", shellQuote(body))
  return parts.join(" ")
}

const banner = (
  fn: LocalFunction.Service,
  emulator: Emulator.Service,
  tries: ReadonlyArray<string>,
  watch: boolean
) => {
  const base = emulator.url
  const name = fn.functionName
  const entry = Path.relative(process.cwd(), fn.entry) || fn.entry
  const streamed = emulator.functionUrl === "streamed"
  const lines = [
    "",
    `${Program} dev: ${name} (${entry}) · timeout ${fn.timeoutMs / 1000} s · concurrency ${fn.concurrency}` +
      (watch ? " · watching for changes" : ""),
    "",
    `  Function URL (${streamed ? "streamed" : "buffered"})`.padEnd(30) + `${base}/`,
    "  Invoke".padEnd(30) + `POST ${base}${Emulator.Paths.invoke(name)}`,
    "  InvokeWithResponseStream".padEnd(30) + `POST ${base}${Emulator.Paths.invokeWithResponseStream(name)}`,
    "  AWS SDK".padEnd(30) +
      `new LambdaClient({ endpoint: "${base}", region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } })`,
    "",
    "Try:",
    ...(tries.length > 0
      ? tries.map((request) => `  ${curlFor(base, request, streamed)}`)
      : [`  ${curlFor(base, "/", streamed)}`, `  curl -s ${base}/2015-03-31/functions/function/invocations -d '{}'`]),
    ""
  ]
  return `${lines.join("\n")}\n`
}

const isWatched = (file: string): boolean =>
  /\.(?:[cm]?[jt]s|tsx|jsx|json)$/.test(file) && !/(?:^|[/\\])(?:node_modules|\.git|dist)(?:[/\\]|$)/.test(file)

const runDev = (argv: ReadonlyArray<string>): Effect.Effect<number> =>
  Effect.gen(function* () {
    const parsed = Args.parse(dev, argv)
    if (Either.isLeft(parsed)) return yield* fail(usageFailure("dev", parsed.left.message))
    if (Args.isSet(parsed.right, "help")) {
      yield* writeOut(Args.help(Program, dev))
      return 0
    }
    const options = common(dev, parsed.right)
    if (Either.isLeft(options)) return yield* fail(options.left)
    const port = number(
      "dev",
      parsed.right,
      "port",
      (n) => Number.isInteger(n) && n >= 0 && n <= 65_535,
      "a port number (0-65535)"
    )
    if (Either.isLeft(port)) return yield* fail(port.left)
    const concurrency = number(
      "dev",
      parsed.right,
      "concurrency",
      (n) => Number.isInteger(n) && n >= 1,
      "a whole number ≥ 1"
    )
    if (Either.isLeft(concurrency)) return yield* fail(concurrency.left)
    const watch = Args.isSet(parsed.right, "watch")
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const fn = yield* LocalFunction.make(functionOptions(options.right, concurrency.right))
        const emulator = yield* Emulator.make({
          ...(port.right === undefined ? {} : { port: port.right }),
          functionUrl: Args.isSet(parsed.right, "stream") ? "streamed" : "buffered"
        }).pipe(Effect.provideService(LocalFunction.LocalFunction, fn))
        yield* writeOut(banner(fn, emulator, Args.values(parsed.right, "try"), watch))
        const reportReady = Effect.gen(function* () {
          const startedAt = Date.now()
          const readiness = yield* fn.ready
          const seconds = ((Date.now() - startedAt) / 1000).toFixed(1)
          switch (readiness._tag) {
            case "Ready":
              yield* writeOut(
                `✓ ${fn.functionName} is ready (started in ${seconds} s, pid ${readiness.pid}). Ctrl-C stops.\n`
              )
              return true
            case "InitError":
              yield* writeErr(`✗ ${describeInitError(options.right.entry, readiness.error)}\n`)
              return false
            case "Exited":
              yield* writeErr(`✗ ${options.right.entry} exited during init (${readiness.description})\n`)
              return false
          }
        })
        const ok = yield* reportReady
        if (!ok && !watch) {
          yield* writeErr(
            `${Program} dev: stopping (fix the function, or use --watch to keep serving while you edit).\n`
          )
          return 1
        }
        if (watch) {
          const directory = Path.dirname(fn.entry)
          const runFork = yield* FiberSet.makeRuntime<never>()
          let timer: NodeJS.Timeout | undefined
          let changed: string | undefined
          const restart = Effect.gen(function* () {
            yield* writeOut(`· ${changed ?? "a file"} changed: restarting ${fn.functionName}\n`)
            yield* fn.restart
            yield* reportReady
          })
          const watcher = yield* Effect.acquireRelease(
            Effect.sync(() =>
              FileSystem.watch(directory, { recursive: true }, (_event, file) => {
                if (file === null || !isWatched(file)) return
                changed = Path.join(Path.relative(process.cwd(), directory), file)
                if (timer !== undefined) clearTimeout(timer)
                timer = setTimeout(() => runFork(restart), 150)
              })
            ),
            (watcher) =>
              Effect.sync(() => {
                if (timer !== undefined) clearTimeout(timer)
                watcher.close()
              })
          )
          void watcher
        }
        return yield* Effect.never
      })
    ).pipe(
      Effect.catchTags({
        LocalFunctionError: (error) => fail(new Exit(2, `${Program} dev: ${error.message}\n`)),
        EmulatorError: (error) =>
          fail(
            new Exit(
              2,
              error.reason === "PortInUse"
                ? `${Program} dev: port ${error.port} is already in use (another ${Program} dev?). Choose another with --port, or --port 0 for any free port.\n`
                : `${Program} dev: ${error.message}\n`
            )
          )
      })
    )
  })

const readStdin: Effect.Effect<Uint8Array> = Effect.async<Uint8Array>((resume) => {
  const chunks: Array<Buffer> = []
  process.stdin.on("data", (chunk: Buffer) => chunks.push(chunk))
  process.stdin.once("end", () => resume(Effect.succeed(new Uint8Array(Buffer.concat(chunks)))))
  process.stdin.once("error", () => resume(Effect.succeed(new Uint8Array(Buffer.concat(chunks)))))
})

const formatBytes = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1024 * 1024)).toFixed(1)} MiB`

const runInvoke = (argv: ReadonlyArray<string>): Effect.Effect<number> =>
  Effect.gen(function* () {
    const parsed = Args.parse(invoke, argv)
    if (Either.isLeft(parsed)) return yield* fail(usageFailure("invoke", parsed.left.message))
    if (Args.isSet(parsed.right, "help")) {
      yield* writeOut(Args.help(Program, invoke))
      return 0
    }
    const options = common(invoke, parsed.right)
    if (Either.isLeft(options)) return yield* fail(options.left)
    const eventFile = Args.value(parsed.right, "event")
    let event: Uint8Array
    if (eventFile !== undefined && eventFile !== "-") {
      const stat = FileSystem.statSync(eventFile, { throwIfNoEntry: false })
      if (stat === undefined || !stat.isFile()) {
        return yield* fail(new Exit(2, `${Program} invoke: no such event file: ${eventFile}\n`))
      }
      event = new Uint8Array(FileSystem.readFileSync(eventFile))
    } else if (eventFile === undefined && process.stdin.isTTY === true) {
      yield* writeErr(`(no --event and stdin is a terminal: sending {})\n`)
      event = new TextEncoder().encode("{}")
    } else {
      event = yield* readStdin
    }
    if (Buffer.from(event).toString("utf8").trim() === "") event = new TextEncoder().encode("{}")
    const json = Either.try(() => JSON.parse(Buffer.from(event).toString("utf8")))
    if (Either.isLeft(json)) {
      const source = eventFile === undefined || eventFile === "-" ? "stdin" : eventFile
      return yield* fail(
        new Exit(2, `${Program} invoke: the event (${source}) is not JSON: ${(json.left as Error).message}\n`)
      )
    }
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const startedAt = Date.now()
        const fn = yield* LocalFunction.make(functionOptions(options.right))
        const reply = yield* fn.invoke({ event })
        const tty = process.stdout.isTTY === true
        const log = (outcome: string, bytes: number) =>
          writeErr(`Invoke ${fn.functionName} → ${outcome} (${Date.now() - startedAt} ms, ${formatBytes(bytes)})\n`)
        if (reply._tag === "Error") {
          yield* stdout(reply.error.payload)
          if (tty) yield* stdout(new TextEncoder().encode("\n"))
          yield* writeErr(`✗ ${reply.error.errorType}: ${reply.error.errorMessage}\n`)
          yield* log(`Unhandled ${reply.error.errorType}`, reply.error.payload.length)
          return 1
        }
        let bytes = 0
        let last = 10
        const write = (chunk: Uint8Array) => {
          bytes += chunk.length
          if (chunk.length > 0) last = chunk[chunk.length - 1]!
          return stdout(chunk)
        }
        if (reply.contentType.split(";")[0]!.trim() === HttpPrelude.ContentType) {
          yield* Effect.scoped(
            Effect.gen(function* () {
              const pull = yield* Stream.toPull(reply.body)
              const source = Stream.repeatEffectChunkOption(pull)
              const decoded = yield* Effect.either(HttpPrelude.decode(source))
              if (Either.isLeft(decoded)) {
                yield* writeErr(`(${decoded.left.message}; the raw reply follows)\n`)
                yield* Stream.runForEach(source, write)
                return
              }
              yield* writeErr(
                `HTTP ${decoded.right.prelude.statusCode} ${JSON.stringify({ ...decoded.right.prelude, statusCode: undefined })}\n`
              )
              yield* Stream.runForEach(decoded.right.body, write)
            })
          )
        } else {
          yield* Stream.runForEach(reply.body, write)
        }
        if (tty && bytes > 0 && last !== 10) yield* stdout(new TextEncoder().encode("\n"))
        const completion = yield* reply.completion
        if (completion.error !== undefined) {
          yield* writeErr(
            `✗ the reply was cut off after ${formatBytes(bytes)}: ${completion.error.errorType}: ${completion.error.errorMessage}\n`
          )
          yield* log(`${completion.error.errorType}`, bytes)
          return 1
        }
        yield* log(reply.streamed ? "200 (streamed)" : "200", bytes)
        return 0
      }).pipe(Effect.withConsole(ConsoleOf.to(process.stderr)))
    ).pipe(Effect.catchTag("LocalFunctionError", (error) => fail(new Exit(2, `${Program} invoke: ${error.message}\n`))))
  })

const fail = (exit: Exit): Effect.Effect<number> =>
  Effect.as(exit.message === undefined ? Effect.void : writeErr(exit.message), exit.code)

/**
 * Run the command line (the words after the program's name); succeeds with the exit code.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<number> => {
  const [command, ...rest] = argv
  switch (command) {
    case "dev":
      return runDev(rest)
    case "invoke":
      return runInvoke(rest)
    case undefined:
    case "-h":
    case "--help":
      return Effect.as(writeOut(mainHelp()), 0)
    case "help": {
      const topic = commands.find((c) => c.name === rest[0])
      return Effect.as(writeOut(topic === undefined ? mainHelp() : Args.help(Program, topic)), 0)
    }
    case "-v":
    case "--version":
      return Effect.as(writeOut(`${version}\n`), 0)
    default:
      return fail(new Exit(2, `${Program}: unknown command ${JSON.stringify(command)}\n\n${mainHelp()}`))
  }
}
