/**
 * `effect-lambda young-closures <path>...`: the closure rewrite of `effect-lambda build`, in place, on bundles another
 * tool wrote (CDK's `NodejsFunction` in its `afterBundling` hook, any bundler without esbuild plugins).
 *
 * ```sh
 * effect-lambda young-closures cdk.out/asset.1234/index.mjs
 * effect-lambda young-closures dist                 # every .js, .mjs and .cjs below dist (node_modules left out)
 * ```
 *
 * Each file's closures assigned straight to a property become `(0, …)` (see `effect-lambda-dev/EsbuildPlugin`); its
 * `<file>.map` and an inline source map are shifted to match. Prints one line per file rewritten and a total. A path
 * that does not exist is a usage error (exit 2, nothing written); a file that does not parse is left as it is, with a
 * line on stderr; one that cannot be read or written is named on stderr and the command ends with exit code 2.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as FileSystem from "node:fs"
import * as Path from "node:path"
import * as OutputFiles from "../../build/internal/outputFiles.js"
import { CliExit, Code, usage } from "../internal/exit.js"
import { writeErr, writeOut } from "../internal/output.js"
import { Program } from "../internal/program.js"

const paths = Args.text({ name: "path" }).pipe(
  Args.atLeast(1),
  Args.withDescription("A bundle (.js, .mjs, .cjs), or a folder: every such file below it, node_modules left out.")
)

/** The scripts at `path`: the file itself, or every script below the folder (sorted, node_modules skipped). */
const scriptsAt = (path: string): ReadonlyArray<string> => {
  if (!FileSystem.statSync(path).isDirectory()) return [path]
  const found: Array<string> = []
  const walk = (dir: string): void => {
    for (const entry of FileSystem.readdirSync(dir, { withFileTypes: true })) {
      const full = Path.join(dir, entry.name)
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(full)
      } else if (entry.isFile() && OutputFiles.isScript(entry.name)) {
        found.push(full)
      }
    }
  }
  walk(path)
  return found.sort()
}

/**
 * The `young-closures` subcommand.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("young-closures", { paths }, (options) =>
  Effect.suspend(() => {
    const missing = options.paths.find((path) => !FileSystem.existsSync(path))
    if (missing !== undefined)
      return Effect.fail(usage(Program, "young-closures", `no such file or folder: ${missing}`))
    const files = options.paths.flatMap(scriptsAt)
    const lines: Array<string> = []
    const problems: Array<string> = []
    let total = 0
    let unwritable = false
    for (const file of files) {
      const map = FileSystem.existsSync(`${file}.map`) ? `${file}.map` : undefined
      let done: OutputFiles.Rewritten
      try {
        done = OutputFiles.rewriteFile(file, map)
      } catch (error) {
        unwritable = true
        problems.push(`${Program} young-closures: ${file}: ${error instanceof Error ? error.message : String(error)}\n`)
        continue
      }
      if (done.skipped !== undefined) {
        problems.push(`${Program} young-closures: ${file} left as it is (it did not parse: ${done.skipped})\n`)
      } else if (done.sites > 0) {
        total += done.sites
        lines.push(`${file}: ${done.sites} closures rewritten${map === undefined ? "" : ", source map shifted"}\n`)
      }
    }
    lines.push(`${total} closures rewritten in ${lines.length} of ${files.length} files\n`)
    const printed = Effect.zipRight(writeErr(problems.join("")), writeOut(lines.join("")))
    // A file that could not be read or written: the files are wrong (exit 2), after every other file was done.
    return unwritable ? Effect.zipRight(printed, Effect.fail(new CliExit({ code: Code.usage }))) : printed
  })
).pipe(
  Command.withDescription(
    "Rewrite, in place, the closures a bundle assigns straight to a property as (0, …), so that V8 allocates them " +
      "in the young generation (what build does to its own bundles), and shift their source maps: for bundles " +
      "written by another tool, e.g. CDK's NodejsFunction in an afterBundling hook."
  )
)
