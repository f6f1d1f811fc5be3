import { assert, describe, it } from "@effect/vitest"
import { Cause, Data, Effect, FastCheck, FiberId, Schema } from "effect"
import * as ErrorReport from "../../src/streaming/ErrorReport.js"

class BadInput extends Data.TaggedError("BadInput")<{ readonly message: string }> {}

class OrderNotFound extends Schema.TaggedError<OrderNotFound>()("OrderNotFound", { id: Schema.String }) {
  override get message(): string {
    return `order ${this.id} was not found`
  }
}

const assertStack = (stackTrace: ReadonlyArray<string>) => {
  assert.isTrue(Array.isArray(stackTrace))
  assert.isAbove(stackTrace.length, 0)
  for (const line of stackTrace) {
    assert.isString(line)
    assert.strictEqual(line, line.trim())
    assert.notStrictEqual(line, "")
    assert.notInclude(line, "\n")
  }
}

const isPrintableAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i)
    if (code < 0x20 || code > 0x7e) return false
  }
  return true
}

describe("ErrorReport", () => {
  describe("typed failures", () => {
    it("reports the _tag and the message of a tagged error, without its stack", () => {
      const report = ErrorReport.fromCause(Cause.fail(new BadInput({ message: "nope" })))
      assert.deepStrictEqual(report, { errorType: "BadInput", errorMessage: "nope", stackTrace: [] })
    })

    it("never reads the stack of a typed failure unless asked", () => {
      let reads = 0
      const error = new BadInput({ message: "nope" })
      Object.defineProperty(error, "stack", {
        get: () => {
          reads++
          return "BadInput: nope\n    at here (file.ts:1:1)"
        }
      })
      assert.deepStrictEqual(ErrorReport.fromCause(Cause.fail(error)).stackTrace, [])
      assert.deepStrictEqual(ErrorReport.fromFailure(error).stackTrace, [])
      assert.strictEqual(reads, 0)
      assert.deepStrictEqual(ErrorReport.fromFailure(error, { stackTrace: true }).stackTrace, [
        "BadInput: nope",
        "at here (file.ts:1:1)"
      ])
      assert.strictEqual(reads, 1)
    })

    it("with { stackTrace: true }: the typed failure's stack, through fromCause too", () => {
      const report = ErrorReport.fromCause(Cause.fail(new OrderNotFound({ id: "42" })), undefined, { stackTrace: true })
      assert.strictEqual(report.errorType, "OrderNotFound")
      assert.strictEqual(report.errorMessage, "order 42 was not found")
      assertStack(report.stackTrace)
      assert.strictEqual(report.stackTrace[0], "OrderNotFound: order 42 was not found")
    })

    it("uses the message getter of a Schema.TaggedError", () => {
      const report = ErrorReport.fromCause(Cause.fail(new OrderNotFound({ id: "42" })))
      assert.strictEqual(report.errorType, "OrderNotFound")
      assert.strictEqual(report.errorMessage, "order 42 was not found")
      assert.deepStrictEqual(report.stackTrace, [])
    })

    it("prefers _tag over name", () => {
      const report = ErrorReport.fromFailure({ _tag: "Tagged", name: "Named", message: "m" })
      assert.deepStrictEqual(report, { errorType: "Tagged", errorMessage: "m", stackTrace: [] })
    })

    it("falls back to name when there is no _tag", () => {
      const report = ErrorReport.fromCause(Cause.fail(new RangeError("too far")))
      assert.strictEqual(report.errorType, "RangeError")
      assert.strictEqual(report.errorMessage, "too far")
      assert.deepStrictEqual(report.stackTrace, [])
    })

    it("falls back to Function.Error without _tag or name", () => {
      assert.deepStrictEqual(ErrorReport.fromCause(Cause.fail("boom")), {
        errorType: "Function.Error",
        errorMessage: "boom",
        stackTrace: []
      })
      assert.deepStrictEqual(ErrorReport.fromCause(Cause.fail({ code: 7 })), {
        errorType: "Function.Error",
        errorMessage: '{"code":7}',
        stackTrace: []
      })
    })

    it("ignores a non-string _tag", () => {
      const report = ErrorReport.fromFailure({ _tag: 1, message: "m" })
      assert.strictEqual(report.errorType, "Function.Error")
      assert.strictEqual(report.errorMessage, "m")
    })

    it.prop("errorType is the _tag of any typed failure", [Schema.NonEmptyString], ([tag]) => {
      assert.strictEqual(ErrorReport.fromCause(Cause.fail({ _tag: tag })).errorType, tag)
    })
  })

  describe("defects", () => {
    it("reports an Error by its name, message and stack", () => {
      const report = ErrorReport.fromCause(Cause.die(new Error("kaput")))
      assert.strictEqual(report.errorType, "Error")
      assert.strictEqual(report.errorMessage, "kaput")
      assertStack(report.stackTrace)
      assert.strictEqual(report.stackTrace[0], "Error: kaput")
    })

    it("reports a TypeError as TypeError", () => {
      const report = ErrorReport.fromCause(Cause.die(new TypeError("x is not a function")))
      assert.strictEqual(report.errorType, "TypeError")
      assert.strictEqual(report.errorMessage, "x is not a function")
      assertStack(report.stackTrace)
    })

    it("reports a thrown string by typeof", () => {
      assert.deepStrictEqual(ErrorReport.fromCause(Cause.die("oops")), {
        errorType: "string",
        errorMessage: "oops",
        stackTrace: []
      })
    })

    it("reports a thrown plain object as object with its JSON", () => {
      assert.deepStrictEqual(ErrorReport.fromCause(Cause.die({ code: 42 })), {
        errorType: "object",
        errorMessage: '{"code":42}',
        stackTrace: []
      })
    })

    it("reports a thrown object with a name by that name", () => {
      assert.deepStrictEqual(ErrorReport.fromCause(Cause.die({ name: "Custom", message: "m" })), {
        errorType: "Custom",
        errorMessage: "m",
        stackTrace: []
      })
    })

    it("reports a thrown number and a cyclic object without throwing", () => {
      assert.deepStrictEqual(ErrorReport.fromDefect(5), { errorType: "number", errorMessage: "5", stackTrace: [] })
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      assert.deepStrictEqual(ErrorReport.fromDefect(cyclic), {
        errorType: "object",
        errorMessage: "[object Object]",
        stackTrace: []
      })
    })

    it.effect("classifies the cause of a thrown exception inside Effect.sync", () =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(
          Effect.sync(() => {
            throw new TypeError("sync threw")
          })
        )
        assert.isTrue(exit._tag === "Failure")
        if (exit._tag === "Failure") {
          const report = ErrorReport.fromCause(exit.cause)
          assert.strictEqual(report.errorType, "TypeError")
          assert.strictEqual(report.errorMessage, "sync threw")
        }
      })
    )
  })

  describe("interruption", () => {
    it("reports interruption alone as Runtime.Interrupted", () => {
      const report = ErrorReport.fromCause(Cause.interrupt(FiberId.none))
      assert.strictEqual(report.errorType, ErrorReport.InterruptedType)
      assert.strictEqual(report.errorType, "Runtime.Interrupted")
      assert.isString(report.errorMessage)
      assert.deepStrictEqual(report.stackTrace, [])
    })

    it("reports a defect next to an interruption as the defect", () => {
      const report = ErrorReport.fromCause(
        Cause.parallel(Cause.interrupt(FiberId.none), Cause.die(new TypeError("finalizer broke")))
      )
      assert.strictEqual(report.errorType, "TypeError")
      assert.strictEqual(report.errorMessage, "finalizer broke")
    })

    it.effect("reports an interrupted fiber's cause as Runtime.Interrupted", () =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(Effect.interrupt)
        assert.isTrue(exit._tag === "Failure")
        if (exit._tag === "Failure") {
          assert.strictEqual(ErrorReport.fromCause(exit.cause).errorType, "Runtime.Interrupted")
        }
      })
    )
  })

  describe("mixed causes", () => {
    it("Sequential(Fail, Die) picks the failure", () => {
      const report = ErrorReport.fromCause(
        Cause.sequential(Cause.fail(new BadInput({ message: "nope" })), Cause.die(new Error("finalizer")))
      )
      assert.strictEqual(report.errorType, "BadInput")
      assert.strictEqual(report.errorMessage, "nope")
    })

    it("Sequential(Die, Fail) still picks the failure", () => {
      const report = ErrorReport.fromCause(
        Cause.sequential(Cause.die(new Error("first")), Cause.fail(new BadInput({ message: "second" })))
      )
      assert.strictEqual(report.errorType, "BadInput")
    })

    it("Parallel(Interrupt, Fail) picks the failure", () => {
      const report = ErrorReport.fromCause(
        Cause.parallel(Cause.interrupt(FiberId.none), Cause.fail(new BadInput({ message: "x" })))
      )
      assert.strictEqual(report.errorType, "BadInput")
    })
  })

  describe("Mapper", () => {
    it("uses a custom mapper for typed failures", () => {
      let seen: BadInput | undefined
      const mapper: ErrorReport.Mapper<BadInput> = (error) => {
        seen = error
        return ErrorReport.make("Mapped.Type", `mapped: ${error.message}`, ["custom"])
      }
      const failure = new BadInput({ message: "nope" })
      const report = ErrorReport.fromCause(Cause.fail(failure), mapper)
      assert.strictEqual(seen, failure)
      assert.deepStrictEqual(report, { errorType: "Mapped.Type", errorMessage: "mapped: nope", stackTrace: ["custom"] })
    })

    it("falls back to the default rules when the mapper returns undefined", () => {
      const report = ErrorReport.fromCause(Cause.fail(new BadInput({ message: "nope" })), () => undefined)
      assert.strictEqual(report.errorType, "BadInput")
      assert.strictEqual(report.errorMessage, "nope")
    })

    it("does not call the mapper for defects or interruption", () => {
      let calls = 0
      const mapper: ErrorReport.Mapper<unknown> = () => {
        calls++
        return ErrorReport.make("Never", "never")
      }
      assert.strictEqual(ErrorReport.fromCause(Cause.die(new Error("d")), mapper).errorType, "Error")
      assert.strictEqual(ErrorReport.fromCause(Cause.interrupt(FiberId.none), mapper).errorType, "Runtime.Interrupted")
      assert.strictEqual(calls, 0)
    })

    it("reports a mapper that throws as the mapper's defect instead of throwing", () => {
      const mapper: ErrorReport.Mapper<BadInput> = () => {
        throw new TypeError("mapper broke")
      }
      const report = ErrorReport.fromCause(Cause.fail(new BadInput({ message: "nope" })), mapper)
      assert.strictEqual(report.errorType, "TypeError")
      assert.strictEqual(report.errorMessage, "mapper broke")
      assertStack(report.stackTrace)
    })

    it("reports a mapper that throws a string as a string defect", () => {
      const mapper: ErrorReport.Mapper<BadInput> = () => {
        throw "mapper string"
      }
      assert.deepStrictEqual(ErrorReport.fromCause(Cause.fail(new BadInput({ message: "nope" })), mapper), {
        errorType: "string",
        errorMessage: "mapper string",
        stackTrace: []
      })
    })
  })

  describe("make and toJson", () => {
    it("make defaults the stack trace to []", () => {
      assert.deepStrictEqual(ErrorReport.make("T", "m"), { errorType: "T", errorMessage: "m", stackTrace: [] })
    })

    it("toJson has exactly errorType, errorMessage, stackTrace in that order", () => {
      const json = ErrorReport.toJson(ErrorReport.make("Some.Type", 'quote " and \n newline', ["at a", "at b"]))
      assert.strictEqual(
        json,
        '{"errorType":"Some.Type","errorMessage":"quote \\" and \\n newline","stackTrace":["at a","at b"]}'
      )
      assert.deepStrictEqual(Object.keys(JSON.parse(json)), ["errorType", "errorMessage", "stackTrace"])
    })

    it("toJson drops extra properties of the report", () => {
      const report = { ...ErrorReport.make("T", "m"), extra: "x" }
      assert.deepStrictEqual(JSON.parse(ErrorReport.toJson(report)), {
        errorType: "T",
        errorMessage: "m",
        stackTrace: []
      })
    })

    it.prop(
      "toJson round-trips through JSON.parse",
      [Schema.String, Schema.String, Schema.Array(Schema.String)],
      ([errorType, errorMessage, stackTrace]) => {
        assert.deepStrictEqual(JSON.parse(ErrorReport.toJson(ErrorReport.make(errorType, errorMessage, stackTrace))), {
          errorType,
          errorMessage,
          stackTrace
        })
      }
    )
  })

  describe("headerSafeType", () => {
    it("leaves a normal error type alone", () => {
      assert.strictEqual(ErrorReport.headerSafeType("Runtime.DeadlineExceeded"), "Runtime.DeadlineExceeded")
    })

    it("percent-encodes CR, LF, TAB, NUL and DEL", () => {
      assert.strictEqual(ErrorReport.headerSafeType("a\r\nb"), "a%0D%0Ab")
      assert.strictEqual(ErrorReport.headerSafeType("\t\u0000\u007f"), "%09%00%7F")
    })

    it("percent-encodes non-ASCII as UTF-8 bytes", () => {
      assert.strictEqual(ErrorReport.headerSafeType("é"), "%C3%A9")
      assert.strictEqual(ErrorReport.headerSafeType("Fehler€"), "Fehler%E2%82%AC")
    })

    it("percent-encodes a character outside the BMP as its four UTF-8 bytes", () => {
      // U+1F600 is F0 9F 98 80 in UTF-8; it is one code point made of two UTF-16 code units.
      assert.strictEqual(ErrorReport.headerSafeType("x😀"), "x%F0%9F%98%80")
    })

    it.prop(
      "never yields a character outside 0x20-0x7e",
      [FastCheck.string({ unit: "binary", maxLength: 64 })],
      ([s]) => {
        assert.isTrue(isPrintableAscii(ErrorReport.headerSafeType(s)))
      },
      { fastCheck: { numRuns: 500 } }
    )

    it.prop("is the identity on printable ASCII", [FastCheck.string({ unit: "grapheme-ascii" })], ([s]) => {
      assert.isTrue(isPrintableAscii(s))
      assert.strictEqual(ErrorReport.headerSafeType(s), s)
    })

    it.prop(
      "decodes back to the original when the input has no '%' and no lone surrogate",
      [FastCheck.string({ unit: "grapheme", maxLength: 32 }).filter((s) => !s.includes("%"))],
      ([s]) => {
        assert.strictEqual(decodeURIComponent(ErrorReport.headerSafeType(s)), s)
      },
      { fastCheck: { examples: [["Fehler.😀"]] } }
    )
  })
})
