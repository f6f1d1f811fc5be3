/**
 * The body of `effect-lambda invoke`: read the event, invoke the function once, write its reply to stdout as it
 * arrives, and a log line to stderr.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as HttpPrelude from "effect-lambda-runtime/HttpPrelude"
import * as FileSystem from "node:fs"
import type * as LocalFunction from "../../emulator/LocalFunction.js"
import { CliExit, Code, usage } from "./exit.js"
import * as GuardedFunction from "./guardedFunction.js"
import * as CliOptions from "./options.js"
import { formatBytes, stderrConsole, stdout, writeErr } from "./output.js"
import * as Syntax from "./syntax.js"

/** @internal */
export interface InvokeOptions extends CliOptions.Common {
  readonly event: Option.Option<string>
}

const readStdin: Effect.Effect<Uint8Array> = Effect.async<Uint8Array>((resume) => {
  const chunks: Array<Buffer> = []
  process.stdin.on("data", (chunk: Buffer) => chunks.push(chunk))
  process.stdin.once("end", () => resume(Effect.succeed(new Uint8Array(Buffer.concat(chunks)))))
  process.stdin.once("error", () => resume(Effect.succeed(new Uint8Array(Buffer.concat(chunks)))))
})

const encoder = new TextEncoder()

const readEvent = (program: string, eventFile: string | undefined): Effect.Effect<Uint8Array, CliExit> =>
  Effect.gen(function* () {
    let event: Uint8Array
    if (eventFile !== undefined && eventFile !== "-") {
      const stat = FileSystem.statSync(eventFile, { throwIfNoEntry: false })
      if (stat === undefined || !stat.isFile())
        return yield* usage(program, "invoke", `no such event file: ${eventFile}`)
      event = new Uint8Array(FileSystem.readFileSync(eventFile))
    } else if (eventFile === undefined && process.stdin.isTTY === true) {
      yield* writeErr(`(no --event and stdin is a terminal: sending {})\n`)
      event = encoder.encode("{}")
    } else {
      event = yield* readStdin
    }
    if (Buffer.from(event).toString("utf8").trim() === "") event = encoder.encode("{}")
    const json = Either.try(() => JSON.parse(Buffer.from(event).toString("utf8")))
    if (Either.isLeft(json)) {
      const source = eventFile === undefined || eventFile === "-" ? "stdin" : eventFile
      return yield* usage(program, "invoke", `the event (${source}) is not JSON: ${(json.left as Error).message}`)
    }
    return event
  })

/** @internal */
export const run = (program: string, options: InvokeOptions): Effect.Effect<void, CliExit> =>
  Effect.gen(function* () {
    const event = yield* readEvent(program, Option.getOrUndefined(options.event))
    const startedAt = Date.now()
    const syntax = yield* Syntax.check(options.entry)
    if (Option.isSome(syntax)) yield* writeErr(`✗ ${syntax.value.text}\n`)
    const { service: fn } = yield* GuardedFunction.make(CliOptions.functionOptions(options), syntax, () => Effect.void)
    const reply = yield* fn.invoke({ event })
    const tty = process.stdout.isTTY === true
    const log = (outcome: string, bytes: number) =>
      writeErr(`Invoke ${fn.functionName} → ${outcome} (${Date.now() - startedAt} ms, ${formatBytes(bytes)})\n`)
    if (reply._tag === "Error") {
      yield* stdout(reply.error.payload)
      if (tty) yield* stdout(encoder.encode("\n"))
      // A syntax error was printed above, with its line.
      if (reply.error.errorType !== GuardedFunction.SyntaxErrorType) {
        yield* writeErr(`✗ ${reply.error.errorType}: ${reply.error.errorMessage}\n`)
      }
      yield* log(`Unhandled ${reply.error.errorType}`, reply.error.payload.length)
      return yield* new CliExit({ code: Code.functionFailed })
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
    if (tty && bytes > 0 && last !== 10) yield* stdout(encoder.encode("\n"))
    const completion = yield* reply.completion
    if (completion.error !== undefined) {
      yield* writeErr(
        `✗ the reply was cut off after ${formatBytes(bytes)}: ${completion.error.errorType}: ${completion.error.errorMessage}\n`
      )
      yield* log(`${completion.error.errorType}`, bytes)
      return yield* new CliExit({ code: Code.functionFailed })
    }
    yield* log(reply.streamed ? "200 (streamed)" : "200", bytes)
  }).pipe(
    Effect.scoped,
    Effect.withConsole(stderrConsole()),
    Effect.catchTag("LocalFunctionError", (error: LocalFunction.LocalFunctionError) =>
      Effect.fail(new CliExit({ code: Code.usage, message: `${program} invoke: ${error.message}\n` }))
    )
  )
