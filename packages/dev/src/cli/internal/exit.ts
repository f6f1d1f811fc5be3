/**
 * How a command ends when it does not succeed: an exit code and the one message to print on stderr.
 *
 * @internal
 */
import * as Data from "effect/Data"

/**
 * The exit codes of the `effect-lambda` command.
 *
 * @internal
 */
export const Code = {
  /** The command did what was asked. */
  ok: 0,
  /** The function failed: an error reply, an init error, a crash, a timeout. */
  functionFailed: 1,
  /** The command line or its files are wrong, or the port is taken. */
  usage: 2
} as const

/**
 * Ends the command with `code` after writing `message` (if any) to stderr.
 *
 * @internal
 */
export class CliExit extends Data.TaggedError("CliExit")<{
  readonly code: number
  readonly message?: string
}> {}

/**
 * A usage error of `command`: exit code 2 and a one-line message prefixed with the program and command.
 *
 * @internal
 */
export const usage = (program: string, command: string, message: string): CliExit =>
  new CliExit({ code: Code.usage, message: `${program} ${command}: ${message}\n` })
