import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as RuntimeConfig from "../../src/services/RuntimeConfig.js"

const API = { AWS_LAMBDA_RUNTIME_API: "127.0.0.1:9001" }

const settingsOf = (env: Record<string, string | undefined>) => RuntimeConfig.fromEnv(env)

const errorOf = (env: Record<string, string | undefined>) =>
  Effect.gen(function* () {
    const result = yield* Effect.either(RuntimeConfig.fromEnv(env))
    if (Either.isRight(result)) return assert.fail(`expected a RuntimeConfigError, got ${JSON.stringify(result.right)}`)
    assert.instanceOf(result.left, RuntimeConfig.RuntimeConfigError)
    return result.left
  })

describe("RuntimeConfig.fromEnv", () => {
  describe("AWS_LAMBDA_RUNTIME_API", () => {
    it.effect("parses host and port", () =>
      Effect.gen(function* () {
        const settings = yield* settingsOf(API)
        assert.strictEqual(settings.runtimeApiHost, "127.0.0.1")
        assert.strictEqual(settings.runtimeApiPort, 9001)
      })
    )

    it.effect("accepts a host name and trims whitespace", () =>
      Effect.gen(function* () {
        const settings = yield* settingsOf({ AWS_LAMBDA_RUNTIME_API: "  localhost:8080 \n" })
        assert.strictEqual(settings.runtimeApiHost, "localhost")
        assert.strictEqual(settings.runtimeApiPort, 8080)
      })
    )

    it.effect("accepts an IPv6 address in brackets", () =>
      Effect.gen(function* () {
        const settings = yield* settingsOf({ AWS_LAMBDA_RUNTIME_API: "[::1]:9001" })
        assert.strictEqual(settings.runtimeApiHost, "::1")
        assert.strictEqual(settings.runtimeApiPort, 9001)
      })
    )

    it.effect("accepts the extreme ports 1 and 65535", () =>
      Effect.gen(function* () {
        assert.strictEqual((yield* settingsOf({ AWS_LAMBDA_RUNTIME_API: "h:1" })).runtimeApiPort, 1)
        assert.strictEqual((yield* settingsOf({ AWS_LAMBDA_RUNTIME_API: "h:65535" })).runtimeApiPort, 65535)
      })
    )

    it.effect("missing is an error naming the variable", () =>
      Effect.gen(function* () {
        const error = yield* errorOf({})
        assert.strictEqual(error._tag, "RuntimeConfigError")
        assert.strictEqual(error.variable, "AWS_LAMBDA_RUNTIME_API")
        assert.include(error.message, "AWS_LAMBDA_RUNTIME_API")
      })
    )

    for (const bad of ["", "   "]) {
      it.effect(`empty (${JSON.stringify(bad)}) is an error naming the variable`, () =>
        Effect.gen(function* () {
          const error = yield* errorOf({ AWS_LAMBDA_RUNTIME_API: bad })
          assert.strictEqual(error.variable, "AWS_LAMBDA_RUNTIME_API")
        })
      )
    }

    for (const bad of [
      "127.0.0.1",
      "127.0.0.1:",
      "127.0.0.1:0",
      "127.0.0.1:70000",
      "127.0.0.1:65536",
      "127.0.0.1:123456",
      "http://x:1",
      "x:1/path",
      "::1:9001",
      "host:port",
      ":9001"
    ]) {
      it.effect(`${JSON.stringify(bad)} is an error naming the variable and the value`, () =>
        Effect.gen(function* () {
          const error = yield* errorOf({ ...API, AWS_LAMBDA_RUNTIME_API: bad })
          assert.strictEqual(error.variable, "AWS_LAMBDA_RUNTIME_API")
          assert.include(error.message, "AWS_LAMBDA_RUNTIME_API")
          assert.include(error.reason, JSON.stringify(bad))
        })
      )
    }
  })

  describe("log format and level", () => {
    it.effect("default to Text and TRACE", () =>
      Effect.gen(function* () {
        const settings = yield* settingsOf(API)
        assert.strictEqual(settings.logFormat, "Text")
        assert.strictEqual(settings.logLevel, "TRACE")
      })
    )

    it.effect("the format is case-insensitive", () =>
      Effect.gen(function* () {
        for (const raw of ["JSON", "json", " Json "]) {
          assert.strictEqual((yield* settingsOf({ ...API, AWS_LAMBDA_LOG_FORMAT: raw })).logFormat, "JSON")
        }
        for (const raw of ["Text", "TEXT", "text"]) {
          assert.strictEqual((yield* settingsOf({ ...API, AWS_LAMBDA_LOG_FORMAT: raw })).logFormat, "Text")
        }
      })
    )

    it.effect("an unknown format is Text", () =>
      Effect.gen(function* () {
        assert.strictEqual((yield* settingsOf({ ...API, AWS_LAMBDA_LOG_FORMAT: "xml" })).logFormat, "Text")
      })
    )

    it.effect("every level parses case-insensitively", () =>
      Effect.gen(function* () {
        const levels: ReadonlyArray<RuntimeConfig.LogLevel> = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
        for (const level of levels) {
          assert.strictEqual((yield* settingsOf({ ...API, AWS_LAMBDA_LOG_LEVEL: level })).logLevel, level)
          assert.strictEqual(
            (yield* settingsOf({ ...API, AWS_LAMBDA_LOG_LEVEL: ` ${level.toLowerCase()} ` })).logLevel,
            level
          )
        }
      })
    )

    it.effect("an unknown level is TRACE", () =>
      Effect.gen(function* () {
        assert.strictEqual((yield* settingsOf({ ...API, AWS_LAMBDA_LOG_LEVEL: "verbose" })).logLevel, "TRACE")
      })
    )
  })

  describe("AWS_LAMBDA_MAX_CONCURRENCY", () => {
    it.effect("defaults to 1", () =>
      Effect.gen(function* () {
        assert.strictEqual((yield* settingsOf(API)).maxConcurrency, 1)
        assert.strictEqual((yield* settingsOf({ ...API, AWS_LAMBDA_MAX_CONCURRENCY: "" })).maxConcurrency, 1)
      })
    )

    it.effect("parses a positive integer", () =>
      Effect.gen(function* () {
        assert.strictEqual((yield* settingsOf({ ...API, AWS_LAMBDA_MAX_CONCURRENCY: "8" })).maxConcurrency, 8)
        assert.strictEqual((yield* settingsOf({ ...API, AWS_LAMBDA_MAX_CONCURRENCY: " 64 " })).maxConcurrency, 64)
      })
    )

    it.effect("0 means 1", () =>
      Effect.gen(function* () {
        assert.strictEqual((yield* settingsOf({ ...API, AWS_LAMBDA_MAX_CONCURRENCY: "0" })).maxConcurrency, 1)
      })
    )

    for (const bad of ["many", "-1", "2.5", "Infinity", "NaN"]) {
      it.effect(`${JSON.stringify(bad)} is an error naming the variable`, () =>
        Effect.gen(function* () {
          const error = yield* errorOf({ ...API, AWS_LAMBDA_MAX_CONCURRENCY: bad })
          assert.strictEqual(error.variable, "AWS_LAMBDA_MAX_CONCURRENCY")
          assert.include(error.message, "AWS_LAMBDA_MAX_CONCURRENCY")
          assert.include(error.reason, JSON.stringify(bad))
        })
      )
    }
  })

  describe("other settings", () => {
    it.effect("EFFECT_LAMBDA_SHUTDOWN_EXTENSION: on by default, false turns it off, anything else is an error", () =>
      Effect.gen(function* () {
        assert.strictEqual((yield* settingsOf(API)).shutdownExtension, true)
        for (const off of ["false", "0", "off", " FALSE "]) {
          assert.strictEqual(
            (yield* settingsOf({ ...API, EFFECT_LAMBDA_SHUTDOWN_EXTENSION: off })).shutdownExtension,
            false
          )
        }
        const error = yield* Effect.flip(settingsOf({ ...API, EFFECT_LAMBDA_SHUTDOWN_EXTENSION: "maybe" }))
        assert.strictEqual(error.variable, "EFFECT_LAMBDA_SHUTDOWN_EXTENSION")
      })
    )

    it.effect("EFFECT_LAMBDA_PIPELINE_NEXT: on by default, false turns it off, anything else is an error", () =>
      Effect.gen(function* () {
        assert.strictEqual((yield* settingsOf(API)).pipelineNext, true)
        assert.strictEqual((yield* settingsOf({ ...API, EFFECT_LAMBDA_PIPELINE_NEXT: "true" })).pipelineNext, true)
        for (const off of ["false", "0", "off", " No "]) {
          assert.strictEqual((yield* settingsOf({ ...API, EFFECT_LAMBDA_PIPELINE_NEXT: off })).pipelineNext, false)
        }
        const error = yield* Effect.flip(settingsOf({ ...API, EFFECT_LAMBDA_PIPELINE_NEXT: "sometimes" }))
        assert.strictEqual(error.variable, "EFFECT_LAMBDA_PIPELINE_NEXT")
      })
    )

    it.effect("reads the function's names, memory and deadline margin", () =>
      Effect.gen(function* () {
        const settings = yield* settingsOf({
          ...API,
          AWS_LAMBDA_FUNCTION_NAME: "orders",
          AWS_LAMBDA_FUNCTION_VERSION: "7",
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024",
          AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/orders",
          AWS_LAMBDA_LOG_STREAM_NAME: "2024/01/01/[7]abc",
          EFFECT_LAMBDA_DEADLINE_MARGIN_MS: "500"
        })
        assert.deepStrictEqual(settings, {
          runtimeApiHost: "127.0.0.1",
          runtimeApiPort: 9001,
          functionName: "orders",
          functionVersion: "7",
          memorySizeMb: 1024,
          logGroupName: "/aws/lambda/orders",
          logStreamName: "2024/01/01/[7]abc",
          logFormat: "Text",
          logLevel: "TRACE",
          maxConcurrency: 1,
          deadlineMarginMs: 500,
          maxStreamedBytes: 200_000_000,
          answerTimeoutMs: 3_000,
          pipelineNext: true,
          shutdownExtension: true
        })
      })
    )

    it.effect("uses defaults for the optional variables", () =>
      Effect.gen(function* () {
        const settings = yield* settingsOf(API)
        assert.strictEqual(settings.functionName, "")
        assert.strictEqual(settings.functionVersion, "$LATEST")
        assert.strictEqual(settings.memorySizeMb, 128)
        assert.strictEqual(settings.deadlineMarginMs, 200)
      })
    )

    it.effect("the answer timeout: 3000 by default, EFFECT_LAMBDA_ANSWER_TIMEOUT_MS, 0 allowed, garbage an error", () =>
      Effect.gen(function* () {
        assert.strictEqual((yield* settingsOf(API)).answerTimeoutMs, 3_000)
        assert.strictEqual((yield* settingsOf({ ...API, EFFECT_LAMBDA_ANSWER_TIMEOUT_MS: "250" })).answerTimeoutMs, 250)
        assert.strictEqual((yield* settingsOf({ ...API, EFFECT_LAMBDA_ANSWER_TIMEOUT_MS: "0" })).answerTimeoutMs, 0)
        const error = yield* errorOf({ ...API, EFFECT_LAMBDA_ANSWER_TIMEOUT_MS: "3s" })
        assert.strictEqual(error.variable, "EFFECT_LAMBDA_ANSWER_TIMEOUT_MS")
      })
    )

    it.effect("a bad deadline margin is an error naming the variable", () =>
      Effect.gen(function* () {
        const error = yield* errorOf({ ...API, EFFECT_LAMBDA_DEADLINE_MARGIN_MS: "soon" })
        assert.strictEqual(error.variable, "EFFECT_LAMBDA_DEADLINE_MARGIN_MS")
      })
    )

    it.effect("a bad memory size falls back to 128", () =>
      Effect.gen(function* () {
        assert.strictEqual((yield* settingsOf({ ...API, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "lots" })).memorySizeMb, 128)
      })
    )
  })

  it.effect("layerWith merges over the defaults", () =>
    Effect.gen(function* () {
      const settings = yield* RuntimeConfig.RuntimeConfig
      assert.deepStrictEqual(settings, { ...RuntimeConfig.defaults, maxConcurrency: 4 })
    }).pipe(Effect.provide(RuntimeConfig.layerWith({ maxConcurrency: 4 })))
  )
})
