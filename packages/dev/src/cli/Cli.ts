/**
 * The `effect-lambda` command line: the subcommands (see `main.ts` for the list) under one root command on
 * `@effect/cli`, which gives the help (`--help`, `help <command>`), `--version`, shell completions
 * (`--completions bash|zsh|fish|sh`) and the usage errors.
 *
 * Exit codes: 0 success, 1 the function failed (an error reply, an init error, a crash, a timeout), 2 the
 * command line or its files are wrong, or the port is taken. Every failure is one clear message on stderr.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { CliExit, Code } from "./internal/exit.js"
import { helpConsole, writeErr } from "./internal/output.js"
import { Program as program } from "./internal/program.js"
import * as UsageError from "./internal/usageError.js"
import { version } from "./internal/version.js"

/**
 * The program's name in messages and help.
 *
 * @since 0.1.0
 * @category constants
 */
export const Program: string = program

/**
 * A subcommand of `effect-lambda`: its handler fails with a `CliExit` to end with another code than 0. The name
 * and the parsed options are each command's own (the root only dispatches to it).
 *
 * @since 0.1.0
 * @category models
 */
// biome-ignore lint/suspicious/noExplicitAny: each command has its own name and options type; the root only runs it
export type Subcommand = Command.Command<any, NodeContext.NodeContext, CliExit, any>

/**
 * A command that fails with its own errors (having printed them), as a {@link Subcommand}: `code` gives the exit
 * code of each error.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withExitCode = <Name extends string, E, A>(
  command: Command.Command<Name, NodeContext.NodeContext, E, A>,
  code: (error: E) => number
): Command.Command<Name, NodeContext.NodeContext, CliExit, A> =>
  // The handler is replaced by one that fails only with CliExit; transformHandler's type keeps E regardless.
  Command.transformHandler(command, (handler) =>
    Effect.mapError(handler, (error) => new CliExit({ code: code(error) }))
  ) as Command.Command<Name, NodeContext.NodeContext, CliExit | E, A> as Command.Command<
    Name,
    NodeContext.NodeContext,
    CliExit,
    A
  >

/** `help` and `help <command>` are spelled `--help` and `<command> --help` for the parser. */
const normalize = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  if (argv.length === 0) return ["--help"]
  if (argv[0] === "help") return argv.length > 1 ? [argv[1]!, "--help"] : ["--help"]
  return argv
}

/**
 * Run the command line (the words after the program's name); succeeds with the exit code.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  subcommands: readonly [Subcommand, ...Array<Subcommand>],
  argv: ReadonlyArray<string>
): Effect.Effect<number> =>
  Console.consoleWith((console) => {
    // The parser prints help and errors through a plain-text console; the commands keep the process's own.
    const own = <A extends Subcommand>(command: A): A =>
      Command.transformHandler(command, (handler) => Effect.withConsole(handler, console)) as A
    const [first, ...rest] = subcommands
    const root = Command.make(program).pipe(
      Command.withDescription("Run AWS Lambda functions written with effect-lambda-runtime on this machine."),
      Command.withSubcommands([own(first), ...rest.map(own)])
    )
    const cli = Command.run(root, { name: program, version: version() })
    return cli(["node", program, ...normalize(argv)]).pipe(Effect.withConsole(helpConsole({ errors: false })))
  }).pipe(
    Effect.as(Code.ok),
    Effect.catchIf(ValidationError.isValidationError, (error) =>
      Effect.as(writeErr(UsageError.format(program, subcommands, argv, error)), Code.usage)
    ),
    Effect.catchTag("CliExit", (exit) =>
      Effect.as(exit.message === undefined ? Effect.void : writeErr(exit.message), exit.code)
    ),
    Effect.provide(NodeContext.layer)
  )
