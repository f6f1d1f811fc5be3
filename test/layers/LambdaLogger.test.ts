import * as Command from "@effect/platform/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, FiberId, FiberRef, HashMap, HashSet, List, Logger, LogLevel, Stream } from "effect"
import { fileURLToPath } from "node:url"
import { logInvokeError } from "../../src/internal/logInvokeError.js"
import * as LambdaLogger from "../../src/layers/LambdaLogger.js"
import * as InvocationContext from "../../src/services/InvocationContext.js"
import * as RuntimeConfig from "../../src/services/RuntimeConfig.js"
import * as ErrorReport from "../../src/streaming/ErrorReport.js"

// Under it.effect the TestClock starts at 0, so every timestamp is the epoch.
const T0 = "1970-01-01T00:00:00.000Z"

const capture = (format: RuntimeConfig.LogFormat, level: RuntimeConfig.LogLevel) => {
  const lines: Array<string> = []
  return { lines, layer: LambdaLogger.layer({ format, level, write: (line) => lines.push(line) }) }
}

const inInvocation = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provideService(
    self,
    InvocationContext.InvocationContext,
    InvocationContext.make({ requestId: "r-1", tenantId: "t-9" })
  )

const parse = (line: string): Record<string, unknown> => {
  assert.isTrue(line.endsWith("\n"))
  assert.strictEqual(line.indexOf("\n"), line.length - 1)
  return JSON.parse(line) as Record<string, unknown>
}

describe("LambdaLogger", () => {
  it.effect("withLogger: the same records as the layer, the default logger removed, restored afterwards", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const before = yield* FiberRef.get(FiberRef.currentLoggers)
      yield* Effect.gen(function* () {
        yield* Effect.logDebug("debug shown")
        yield* Effect.logTrace("trace dropped")
        yield* inInvocation(Effect.logWarning("hi"))
        const loggers = yield* FiberRef.get(FiberRef.currentLoggers)
        assert.isFalse(HashSet.has(loggers, Logger.defaultLogger))
      }).pipe(LambdaLogger.withLogger({ format: "Text", level: "DEBUG", write: (line) => lines.push(line) }))
      assert.deepStrictEqual(lines, [`${T0}\t-\tDEBUG\tdebug shown\n`, `${T0}\tr-1\tWARN\thi tenantId=t-9\n`])
      assert.strictEqual(yield* FiberRef.get(FiberRef.currentLoggers), before)
    })
  )

  describe("Text", () => {
    it.effect("writes timestamp, '-', level and message outside an invocation", () => {
      const { layer, lines } = capture("Text", "INFO")
      return Effect.gen(function* () {
        yield* Effect.log("hello")
        yield* Effect.logInfo("a", 1, { b: [2] })
        assert.deepStrictEqual(lines, [`${T0}\t-\tINFO\thello\n`, `${T0}\t-\tINFO\ta 1 { b: [ 2 ] }\n`])
      }).pipe(Effect.provide(layer))
    })

    it.effect("puts the request id in the second field, tenant id and annotations after the message", () => {
      const { layer, lines } = capture("Text", "INFO")
      return Effect.gen(function* () {
        yield* Effect.logWarning("hi").pipe(Effect.annotateLogs({ user: "a b" }), inInvocation)
        yield* Effect.logInfo("after").pipe(Effect.annotateLogs("n", 3))
        assert.deepStrictEqual(lines, [`${T0}\tr-1\tWARN\thi tenantId=t-9 user="a b"\n`, `${T0}\t-\tINFO\tafter n=3\n`])
      }).pipe(Effect.provide(layer))
    })

    it.effect("replaces newlines inside a record with \\r", () => {
      const { layer, lines } = capture("Text", "INFO")
      return Effect.gen(function* () {
        yield* Effect.logInfo("one\ntwo\nthree")
        assert.deepStrictEqual(lines, [`${T0}\t-\tINFO\tone\rtwo\rthree\n`])
      }).pipe(Effect.provide(layer))
    })

    it.effect("appends a cause with Cause.pretty, on the same record", () => {
      const { layer, lines } = capture("Text", "INFO")
      return Effect.gen(function* () {
        yield* Effect.logError("failed", Cause.fail("oops"))
        yield* Effect.logError(Cause.fail("alone"))
        assert.strictEqual(lines.length, 2)
        assert.strictEqual(lines[0], `${T0}\t-\tERROR\tfailed\rError: oops\n`)
        assert.strictEqual(lines[1], `${T0}\t-\tERROR\tError: alone\n`)
      }).pipe(Effect.provide(layer))
    })
  })

  describe("JSON", () => {
    it.effect("writes one valid JSON object per line with the invocation's ids and the error fields", () => {
      const { layer, lines } = capture("JSON", "INFO")
      return Effect.gen(function* () {
        yield* Effect.logError("failed", Cause.die(new TypeError("boom"))).pipe(
          Effect.annotateLogs("orderId", 7),
          inInvocation
        )
        assert.strictEqual(lines.length, 1)
        const record = parse(lines[0]!)
        assert.deepStrictEqual(Object.keys(record), [
          "timestamp",
          "level",
          "requestId",
          "tenantId",
          "message",
          "errorType",
          "errorMessage",
          "stackTrace",
          "orderId"
        ])
        assert.strictEqual(record.timestamp, T0)
        assert.strictEqual(record.level, "ERROR")
        assert.strictEqual(record.requestId, "r-1")
        assert.strictEqual(record.tenantId, "t-9")
        assert.strictEqual(record.message, "failed")
        assert.strictEqual(record.errorType, "TypeError")
        assert.strictEqual(record.errorMessage, "boom")
        assert.isArray(record.stackTrace)
        assert.strictEqual((record.stackTrace as Array<string>)[0], "TypeError: boom")
        assert.strictEqual(record.orderId, 7)
      }).pipe(Effect.provide(layer))
    })

    it.effect("uses '-' and no tenantId outside an invocation; escapes strings", () => {
      const { layer, lines } = capture("JSON", "INFO")
      return Effect.gen(function* () {
        yield* Effect.logInfo('say "hi"\n\ttab \u2028')
        assert.strictEqual(
          lines[0],
          `{"timestamp":"${T0}","level":"INFO","requestId":"-","message":"say \\"hi\\"\\n\\ttab \u2028"}\n`
        )
        const record = parse(lines[0]!)
        assert.strictEqual(record.message, 'say "hi"\n\ttab \u2028')
        assert.isFalse("tenantId" in record)
      }).pipe(Effect.provide(layer))
    })

    it.effect("keeps a single object message as JSON and joins several parts into a string", () => {
      const { layer, lines } = capture("JSON", "INFO")
      const cyclic: Record<string, unknown> = { name: "loop" }
      cyclic.self = cyclic
      return Effect.gen(function* () {
        yield* Effect.logInfo({ user: "u-1", items: [1, 2] })
        yield* Effect.logInfo("count", 3, { ok: true })
        yield* Effect.logInfo(cyclic)
        assert.deepStrictEqual(parse(lines[0]!).message, { user: "u-1", items: [1, 2] })
        assert.strictEqual(parse(lines[1]!).message, "count 3 { ok: true }")
        assert.strictEqual(parse(lines[2]!).message, "<ref *1> { name: 'loop', self: [Circular *1] }")
      }).pipe(Effect.provide(layer))
    })

    it.effect("reports an Error message part, and a typed failure by its _tag", () => {
      const { layer, lines } = capture("JSON", "INFO")
      return Effect.gen(function* () {
        yield* Effect.logWarning("retrying", new RangeError("too far"))
        yield* Effect.logError(Cause.fail({ _tag: "BadInput", message: "nope" }))
        const first = parse(lines[0]!)
        assert.strictEqual(first.errorType, "RangeError")
        assert.strictEqual(first.errorMessage, "too far")
        const second = parse(lines[1]!)
        assert.strictEqual(second.message, "nope")
        assert.strictEqual(second.errorType, "BadInput")
      }).pipe(Effect.provide(layer))
    })

    it.effect("drops annotations that would shadow a record field", () => {
      const { layer, lines } = capture("JSON", "INFO")
      return Effect.gen(function* () {
        yield* Effect.logInfo("x").pipe(Effect.annotateLogs({ level: "FATAL", requestId: "fake", extra: "kept" }))
        assert.strictEqual(
          lines[0],
          `{"timestamp":"${T0}","level":"INFO","requestId":"-","message":"x","extra":"kept"}\n`
        )
      }).pipe(Effect.provide(layer))
    })
  })

  describe("levels", () => {
    it.effect("drops records below the configured level", () => {
      const { layer, lines } = capture("Text", "WARN")
      return Effect.gen(function* () {
        yield* Effect.logTrace("t")
        yield* Effect.logDebug("d")
        yield* Effect.logInfo("i")
        yield* Effect.logWarning("w")
        yield* Effect.logError("e")
        yield* Effect.logFatal("f")
        assert.deepStrictEqual(
          lines.map((line) => line.split("\t")[2]),
          ["WARN", "ERROR", "FATAL"]
        )
      }).pipe(Effect.provide(layer))
    })

    it.effect("writes TRACE and DEBUG when configured, below Effect's default minimum", () => {
      const { layer, lines } = capture("JSON", "TRACE")
      return Effect.gen(function* () {
        yield* Effect.logTrace("t")
        yield* Effect.logDebug("d")
        assert.deepStrictEqual(
          lines.map((line) => parse(line).level),
          ["TRACE", "DEBUG"]
        )
      }).pipe(Effect.provide(layer))
    })

    it.effect("filters by itself, before formatting; All counts as TRACE, None is never written", () => {
      const lines: Array<string> = []
      let inspected = 0
      const costly = { [Symbol.for("nodejs.util.inspect.custom")]: () => `costly #${++inspected}` }
      const logger = LambdaLogger.make({ format: "Text", level: "INFO", write: (line) => lines.push(line) })
      const traceLogger = LambdaLogger.make({ format: "Text", level: "TRACE", write: (line) => lines.push(line) })
      return Effect.gen(function* () {
        yield* Effect.logDebug(costly).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
        assert.strictEqual(inspected, 0)
        yield* Effect.logInfo(costly).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
        yield* Effect.logWithLevel(LogLevel.All, "all").pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, logger))
        )
        yield* Effect.logWithLevel(LogLevel.All, "all").pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, traceLogger))
        )
        yield* Effect.logWithLevel(LogLevel.None, "none").pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, traceLogger))
        )
        assert.deepStrictEqual(lines, [`${T0}\t-\tINFO\tcostly #1\n`, `${T0}\t-\tTRACE\tall\n`])
      }).pipe(Logger.withMinimumLogLevel(LogLevel.All))
    })
  })

  describe("layers", () => {
    it.effect("replaces the default and the pretty logger, keeping others", () =>
      Effect.gen(function* () {
        const loggers = yield* FiberRef.get(FiberRef.currentLoggers).pipe(
          Effect.provide(LambdaLogger.layer({ format: "Text", level: "INFO", write: () => {} })),
          Effect.provide(Logger.replace(Logger.defaultLogger, Logger.prettyLoggerDefault))
        )
        assert.isFalse(HashSet.has(loggers, Logger.defaultLogger))
        assert.isFalse(HashSet.has(loggers, Logger.prettyLoggerDefault))
        assert.isTrue(HashSet.has(loggers, Logger.tracerLogger))
        assert.strictEqual(HashSet.size(loggers), 2)
      })
    )

    it.effect("layerFromConfig reads format and level from RuntimeConfig", () =>
      Effect.gen(function* () {
        const level = yield* FiberRef.get(FiberRef.currentMinimumLogLevel)
        assert.strictEqual(level, LogLevel.Debug)
      }).pipe(
        Effect.provide(LambdaLogger.layerFromConfig),
        Effect.provide(RuntimeConfig.layerWith({ logFormat: "JSON", logLevel: "DEBUG" }))
      )
    )

    it.scopedLive("in a real process, writes filtered JSON lines to stdout from AWS_LAMBDA_LOG_* settings", () =>
      Effect.gen(function* () {
        const script = fileURLToPath(new URL("../fixtures/logger-script.ts", import.meta.url))
        const root = fileURLToPath(new URL("../..", import.meta.url))
        const child = yield* Command.make("npx", "tsx", script).pipe(
          Command.workingDirectory(root),
          Command.env({
            AWS_LAMBDA_RUNTIME_API: "127.0.0.1:9001",
            AWS_LAMBDA_LOG_FORMAT: "JSON",
            AWS_LAMBDA_LOG_LEVEL: "WARN",
            AWS_LAMBDA_MAX_CONCURRENCY: "",
            EFFECT_LAMBDA_DEADLINE_MARGIN_MS: ""
          }),
          Command.start
        )
        const text = (stream: Stream.Stream<Uint8Array, unknown>) => stream.pipe(Stream.decodeText(), Stream.mkString)
        const [stdout, stderr, exitCode] = yield* Effect.all([text(child.stdout), text(child.stderr), child.exitCode], {
          concurrency: "unbounded"
        })
        assert.strictEqual(exitCode, 0, stderr)
        assert.isTrue(stdout.endsWith("\n"))
        const records = stdout
          .slice(0, -1)
          .split("\n")
          .map((line) => JSON.parse(line) as Record<string, unknown>)
        assert.deepStrictEqual(
          records.map((r) => [r.level, r.requestId, r.tenantId, r.message]),
          [
            ["WARN", "-", undefined, "outside\nan invocation"],
            ["WARN", "r-1", "t-9", "inside { attempt: 1 }"],
            ["ERROR", "r-1", "t-9", "failed"],
            ["FATAL", "-", undefined, "last"]
          ]
        )
        assert.strictEqual(records[2]!.errorType, "TypeError")
        assert.strictEqual(records[2]!.errorMessage, "boom")
        for (const r of records) assert.match(String(r.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      }).pipe(Effect.provide(NodeContext.layer))
    )
  })

  describe("the runtime's failure line", () => {
    const failure = ErrorReport.make("OrderNotFound", "order 7 was not found")
    const typed = Cause.fail({ _tag: "OrderNotFound" })
    const defect = Cause.die(new Error("boom"))

    for (const format of ["Text", "JSON"] as const) {
      for (const [kind, cause] of [
        ["typed failure", typed],
        ["defect", defect]
      ] as const) {
        it.effect(`is written once, as the logger writes Effect.logError's record (${format}, ${kind})`, () =>
          Effect.gen(function* () {
            const direct = capture(format, "INFO")
            yield* logInvokeError(failure, cause).pipe(inInvocation, Effect.provide(direct.layer))
            assert.strictEqual(direct.lines.length, 1)
            assert.include(direct.lines[0], "r-1")
            // The record Effect's dispatch would hand the logger for Effect.logError(line[, cause]).
            const viaEffect: Array<string> = []
            const logger = LambdaLogger.make({ format, level: "INFO", write: (line) => viaEffect.push(line) })
            const context = yield* inInvocation(Effect.getFiberRefs)
            logger.log({
              fiberId: FiberId.none,
              logLevel: LogLevel.Error,
              message: ["Invoke Error: OrderNotFound: order 7 was not found"],
              cause: Cause.isDie(cause) ? cause : Cause.empty,
              context,
              spans: List.empty(),
              annotations: HashMap.empty(),
              date: new Date(0)
            })
            assert.deepStrictEqual(direct.lines, viaEffect)
          })
        )
      }
    }

    it.effect("reaches every logger when another one is installed, and respects the minimum level", () =>
      Effect.gen(function* () {
        const { layer, lines } = capture("Text", "INFO")
        const seen: Array<unknown> = []
        const other = Logger.make(({ message }) => {
          seen.push(message)
        })
        yield* logInvokeError(failure, typed).pipe(
          inInvocation,
          Effect.provide(Logger.add(other)),
          Effect.provide(layer)
        )
        assert.strictEqual(lines.length, 1)
        assert.deepStrictEqual(seen, [["Invoke Error: OrderNotFound: order 7 was not found"]])
        const quiet = capture("Text", "FATAL")
        yield* logInvokeError(failure, typed).pipe(inInvocation, Effect.provide(quiet.layer))
        assert.deepStrictEqual(quiet.lines, [])
      })
    )

    it.effect("is also recorded on the current span when one is open", () =>
      Effect.gen(function* () {
        const { layer, lines } = capture("Text", "INFO")
        const span = yield* logInvokeError(failure, typed).pipe(
          Effect.zipRight(Effect.currentSpan),
          Effect.withSpan("invocation"),
          inInvocation,
          Effect.provide(layer)
        )
        assert.strictEqual(lines.length, 1)
        // The built-in tracer's span keeps its events (the tracer logger writes the line there too).
        const events = (span as unknown as { readonly events: ReadonlyArray<readonly [string, ...Array<unknown>]> })
          .events
        assert.isTrue(events.some(([name]) => name === "Invoke Error: OrderNotFound: order 7 was not found"))
      })
    )
  })
})
