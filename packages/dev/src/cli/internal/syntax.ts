/**
 * A syntax check of the function's entry before it starts, so a syntax error is shown once, with its line, instead
 * of as the stack of a failed init. The check parses the entry the way the function's process loads it (esbuild, the
 * transform under tsx); it reads only the entry, not the modules it imports.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Esbuild from "esbuild"
import * as FileSystem from "node:fs"
import * as Path from "node:path"

/**
 * A syntax error in the entry: `text` is the error as printed for a person (file, line, column, the line with a
 * caret), `message` the one-line form used as the init error's message.
 *
 * @internal
 */
export interface SyntaxProblem {
  readonly text: string
  readonly message: string
}

const loaders: Readonly<Record<string, Esbuild.Loader>> = {
  ".ts": "ts",
  ".mts": "ts",
  ".cts": "ts",
  ".tsx": "tsx",
  ".js": "js",
  ".mjs": "js",
  ".cjs": "js",
  ".jsx": "jsx"
}

const isFailure = (error: unknown): error is Esbuild.TransformFailure =>
  typeof error === "object" && error !== null && "errors" in error && Array.isArray(error.errors)

/**
 * Parse `entry`; `Some` when it has a syntax error. A file of another kind, or one that cannot be read, is left
 * to the function's process to report.
 *
 * @internal
 */
export const check = (entry: string): Effect.Effect<Option.Option<SyntaxProblem>> =>
  Effect.promise(async (): Promise<Option.Option<SyntaxProblem>> => {
    const loader = loaders[Path.extname(entry).toLowerCase()]
    if (loader === undefined) return Option.none()
    let source: string
    try {
      source = await FileSystem.promises.readFile(entry, "utf8")
    } catch {
      return Option.none()
    }
    const sourcefile = Path.relative(process.cwd(), Path.resolve(entry)) || entry
    try {
      await Esbuild.transform(source, { loader, sourcefile, format: "esm", target: "esnext", logLevel: "silent" })
      return Option.none()
    } catch (error) {
      if (!isFailure(error) || error.errors.length === 0) return Option.none()
      const formatted = await Esbuild.formatMessages(error.errors, { kind: "error", color: false })
      const first = error.errors[0]!
      const where =
        first.location === null ? sourcefile : `${sourcefile}:${first.location.line}:${first.location.column}`
      return Option.some({
        text: formatted
          .join("")
          .replace(/^✘ \[ERROR\] /, `syntax error: `)
          .trimEnd(),
        message: `SyntaxError: ${first.text} (${where})`
      })
    }
  })
