/**
 * The parser's validation errors as the command's one-line usage message.
 *
 * @internal
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import type * as ValidationError from "@effect/cli/ValidationError"
import * as HashSet from "effect/HashSet"

const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g")

/** @internal */
export const plainText = (doc: HelpDoc.HelpDoc): string =>
  HelpDoc.toAnsiText(doc).replace(ansi, "").replace(/\s+/g, " ").trim()

/**
 * `effect-lambda dev: <what is wrong>` and where to read the usage.
 *
 * @internal
 */
export const format = <Name extends string, R, E, A>(
  program: string,
  subcommands: ReadonlyArray<Command.Command<Name, R, E, A>>,
  argv: ReadonlyArray<string>,
  error: ValidationError.ValidationError
): string => {
  const command = subcommands.find((c) => argv[0] !== undefined && HashSet.has(Command.getNames(c), argv[0]))
  let message = plainText(error.error)
  // An option given without its value is left over as an "unknown argument".
  const leftover = /^Received unknown argument: '(--?[\w-]+)'$/.exec(message)?.[1]
  if (command !== undefined && leftover !== undefined) {
    const help = HelpDoc.toAnsiText(Command.getHelp(command, CliConfig.defaultConfig)).replace(ansi, "")
    const declared = new RegExp(`^\\(?(?:-\\w, )?${leftover} (\\S+)`, "m").exec(help)
    if (declared !== null) message = `${leftover} needs a value <${declared[1]}>`
  }
  const name = command === undefined ? program : `${program} ${argv[0]}`
  return `${name}: ${message}\nRun \`${name} --help\` for usage.\n`
}
