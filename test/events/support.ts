/**
 * Helpers for the event-source tests: fixtures (AWS's documented example events) and decode-error text.
 */
import { Either, ParseResult, Schema } from "effect"
import * as FileSystem from "node:fs"
import * as Path from "node:path"

const dir = Path.resolve(import.meta.dirname, "../fixtures/events/sources")

/** A fresh copy of a fixture (tests mutate them freely, hence the loose type). */
// biome-ignore lint/suspicious/noExplicitAny: a JSON fixture the tests mutate at any path
export const fixture = (name: string): any =>
  JSON.parse(FileSystem.readFileSync(Path.join(dir, `${name}.json`), "utf8"))

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`)).join("")

/** Decode, expecting a failure; return each issue as `<path>: <message>`. */
export const issues = <A, I>(schema: Schema.Schema<A, I>, input: unknown): Array<string> => {
  const result = Schema.decodeUnknownEither(schema)(input, { errors: "all" })
  if (Either.isRight(result)) throw new Error(`expected a decode failure, got ${JSON.stringify(result.right)}`)
  return ParseResult.ArrayFormatter.formatErrorSync(result.left).map(
    (issue) => `${formatPath(issue.path)}: ${issue.message}`
  )
}

export const decode = <A, I>(schema: Schema.Schema<A, I>, input: unknown): A => Schema.decodeUnknownSync(schema)(input)
