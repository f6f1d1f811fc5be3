/**
 * A small command-line parser for the `effect-lambda` CLI: each command declares its positional arguments and
 * flags once; parsing and the help text both come from that declaration.
 *
 * Accepted forms: `--flag`, `--flag value`, `--flag=value`, `-h`, and `--` to end the flags. A flag that takes
 * a value and is given twice keeps the last value unless it is `repeatable`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"

/**
 * @since 0.1.0
 * @category models
 */
export interface Flag {
  /** Long name, without the dashes. */
  readonly name: string
  /** One-letter alias, without the dash. */
  readonly alias?: string
  /** Placeholder of the value (`<n>`); a flag without one is a switch. */
  readonly value?: string
  readonly repeatable?: boolean
  readonly description: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Positional {
  readonly name: string
  readonly description: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Command {
  readonly name: string
  readonly summary: string
  readonly positionals: ReadonlyArray<Positional>
  readonly flags: ReadonlyArray<Flag>
  /** Paragraphs printed after the options. */
  readonly notes?: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Parsed {
  readonly positionals: ReadonlyArray<string>
  /** Switches map to `true`; flags with a value to their values, in order. */
  readonly flags: ReadonlyMap<string, true | ReadonlyArray<string>>
}

/**
 * The command line does not match the command's declaration.
 *
 * @since 0.1.0
 * @category errors
 */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly command: string; readonly reason: string }> {
  override get message(): string {
    return this.reason
  }
}

/**
 * Parse `argv` (the words after the command's name) against `command`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (command: Command, argv: ReadonlyArray<string>): Either.Either<Parsed, UsageError> => {
  const positionals: Array<string> = []
  const flags = new Map<string, true | Array<string>>()
  const usage = (reason: string) => Either.left(new UsageError({ command: command.name, reason }))
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!
    if (word === "--") {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (!word.startsWith("-") || word === "-") {
      positionals.push(word)
      continue
    }
    const equals = word.indexOf("=")
    const key = word.startsWith("--") ? word.slice(2, equals === -1 ? undefined : equals) : word.slice(1)
    const flag = word.startsWith("--")
      ? command.flags.find((f) => f.name === key)
      : command.flags.find((f) => f.alias === key)
    if (flag === undefined) return usage(`unknown option ${word.slice(0, equals === -1 ? undefined : equals)}`)
    if (flag.value === undefined) {
      if (equals !== -1) return usage(`--${flag.name} takes no value`)
      flags.set(flag.name, true)
      continue
    }
    let value: string
    if (equals !== -1 && word.startsWith("--")) {
      value = word.slice(equals + 1)
    } else {
      const next = argv[i + 1]
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        return usage(`--${flag.name} needs a value ${flag.value}`)
      }
      value = next
      i++
    }
    const previous = flags.get(flag.name)
    flags.set(flag.name, flag.repeatable === true && Array.isArray(previous) ? [...previous, value] : [value])
  }
  return Either.right({ positionals, flags })
}

/**
 * The last value of a flag, if given.
 *
 * @since 0.1.0
 * @category parsing
 */
export const value = (parsed: Parsed, name: string): string | undefined => {
  const got = parsed.flags.get(name)
  return Array.isArray(got) ? got[got.length - 1] : undefined
}

/**
 * Every value of a repeatable flag.
 *
 * @since 0.1.0
 * @category parsing
 */
export const values = (parsed: Parsed, name: string): ReadonlyArray<string> => {
  const got = parsed.flags.get(name)
  return Array.isArray(got) ? got : []
}

/**
 * Whether a switch was given.
 *
 * @since 0.1.0
 * @category parsing
 */
export const isSet = (parsed: Parsed, name: string): boolean => parsed.flags.get(name) === true

const wrap = (text: string, width: number, indent: string): string => {
  const words = text.split(/\s+/).filter((w) => w.length > 0)
  const lines: Array<string> = []
  let line = ""
  for (const word of words) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line.length === 0 ? word : `${line} ${word}`
    }
  }
  if (line.length > 0) lines.push(line)
  return lines.join(`\n${indent}`)
}

/**
 * The help text of a command.
 *
 * @since 0.1.0
 * @category help
 */
export const help = (program: string, command: Command): string => {
  const args = command.positionals.map((p) => `<${p.name}>`).join(" ")
  const out: Array<string> = [`Usage: ${program} ${command.name}${args.length > 0 ? ` ${args}` : ""} [options]`, ""]
  out.push(wrap(command.summary, 96, ""), "")
  if (command.positionals.length > 0) {
    out.push("Arguments:")
    for (const p of command.positionals)
      out.push(`  ${`<${p.name}>`.padEnd(24)}${wrap(p.description, 72, " ".repeat(26))}`)
    out.push("")
  }
  out.push("Options:")
  for (const flag of command.flags) {
    const names = `${flag.alias === undefined ? "" : `-${flag.alias}, `}--${flag.name}${flag.value === undefined ? "" : ` ${flag.value}`}`
    const pad = names.length >= 22 ? `\n${" ".repeat(26)}` : " ".repeat(24 - names.length)
    out.push(`  ${names}${pad}${wrap(flag.description, 72, " ".repeat(26))}`)
  }
  for (const note of command.notes ?? []) out.push("", wrap(note, 96, ""))
  return `${out.join("\n")}\n`
}
