/**
 * The arguments and options the commands share, with the checks that turn a bad value into a usage error.
 *
 * @internal
 */
import * as Args from "@effect/cli/Args"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as FileSystem from "node:fs"
import * as LocalFunction from "../../emulator/LocalFunction.js"

/** @internal */
export const invalid = (message: string): ValidationError.ValidationError =>
  ValidationError.invalidValue(HelpDoc.p(message))

/**
 * The function's file: it must exist and be a file.
 *
 * @internal
 */
export const entry = Args.text({ name: "entry" }).pipe(
  Args.withDescription("The function's file (.ts runs through tsx, .js/.mjs directly)."),
  Args.mapEffect((path) =>
    Effect.suspend(() => {
      const stat = FileSystem.statSync(path, { throwIfNoEntry: false })
      if (stat === undefined) return Effect.fail(HelpDoc.p(`no such file: ${path}`))
      if (!stat.isFile()) return Effect.fail(HelpDoc.p(`not a file: ${path}`))
      return Effect.succeed(path)
    })
  )
)

/**
 * A number option with a check; `expected` completes "--name must be …".
 *
 * @internal
 */
export const number = (
  name: string,
  pseudoName: string,
  check: (n: number) => boolean,
  expected: string
): Options.Options<Option.Option<number>> =>
  Options.text(name).pipe(
    Options.withPseudoName(pseudoName),
    Options.mapEffect((raw) => {
      const n = Number(raw)
      return raw.trim() !== "" && Number.isFinite(n) && check(n)
        ? Effect.succeed(n)
        : Effect.fail(invalid(`--${name} must be ${expected}, got ${JSON.stringify(raw)}`))
    }),
    Options.optional
  )

/** @internal */
export const timeout = number("timeout", "seconds", (n) => n > 0, "a positive number of seconds").pipe(
  Options.withDescription(
    `Per-invocation timeout; past it the invocation fails with Sandbox.Timedout and the function process is replaced (default ${LocalFunction.Defaults.timeoutMs / 1000}).`
  )
)

/** @internal */
export const name = Options.text("name").pipe(
  Options.withPseudoName("name"),
  Options.withDescription("The function's name (default: the entry's file name)."),
  Options.optional
)

/** @internal */
export interface Common {
  readonly entry: string
  readonly timeout: Option.Option<number>
  readonly name: Option.Option<string>
}

/**
 * The options of a local function from the command line.
 *
 * @internal
 */
export const functionOptions = (common: Common, concurrency?: number): LocalFunction.Options => ({
  entry: common.entry,
  ...Option.match(common.timeout, { onNone: () => ({}), onSome: (s) => ({ timeoutMs: Math.round(s * 1000) }) }),
  ...Option.match(common.name, { onNone: () => ({}), onSome: (functionName) => ({ functionName }) }),
  ...(concurrency === undefined ? {} : { concurrency })
})
