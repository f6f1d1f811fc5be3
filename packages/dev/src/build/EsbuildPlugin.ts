/**
 * The closure rewrite of `effect-lambda build`, as an esbuild plugin, for functions bundled by esbuild directly (a
 * build script, SST, serverless-esbuild, any tool that takes esbuild plugins).
 *
 * ```ts
 * import * as esbuild from "esbuild"
 * import { youngClosures } from "effect-lambda-dev/EsbuildPlugin"
 *
 * await esbuild.build({
 *   entryPoints: ["src/handler.ts"],
 *   bundle: true,
 *   minify: true,
 *   platform: "node",
 *   format: "esm",
 *   outfile: "dist/index.mjs",
 *   sourcemap: true,
 *   plugins: [youngClosures()]
 * })
 * ```
 *
 * **What it does.** V8 allocates a function literal assigned straight to a property (`o.f = () => x`) in the old
 * generation. Effect creates such closures for every `Effect.async`, `uninterruptible` and mask it runs, so until
 * that code is optimized each invocation leaves a dead closure in the old generation that keeps the invocation's
 * young objects alive until a full collection (the README's Performance section has the numbers). The plugin wraps
 * every such function as `o.f = (0, () => x)` in the bundle esbuild wrote: the same value, the same `name` and `this`,
 * allocated young.
 *
 * **When it runs.** At the end of each build (watch mode and `context.rebuild` included), on every `.js`, `.mjs`
 * and `.cjs` output. It has to work on the output: esbuild's minifier would remove the `0, ` again. With
 * `write: false` it replaces the contents of `outputFiles` (their `hash` stays esbuild's: the rewrite is a function of
 * the output, so the hash still identifies it); otherwise it rewrites the written files in place, which is why it turns
 * on `metafile` (the list of outputs). A source map, external (`.map`) or inline, is shifted to match, so every
 * position in it still points at the same original code. Rewriting an output twice changes nothing.
 *
 * **Never fails a build.** An output the parser cannot read is left as esbuild wrote it, with a warning.
 *
 * @since 0.1.0
 */
import * as FileSystem from "node:fs"
import * as Path from "node:path"
import type * as esbuild from "esbuild"
import * as PropertyClosures from "./internal/propertyClosures.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Called once per build with the number of closures rewritten in each output file (absolute paths). */
  readonly onRewritten?: (sites: ReadonlyMap<string, number>) => void
}

const isScript = (path: string): boolean => path.endsWith(".js") || path.endsWith(".mjs") || path.endsWith(".cjs")

const inlineMapPrefix = "//# sourceMappingURL=data:application/json;base64,"

/** The base64 of an inline source map and where it starts, when the code ends with one. */
const findInlineMap = (code: string): { readonly start: number; readonly end: number } | undefined => {
  const at = code.lastIndexOf(inlineMapPrefix)
  if (at === -1) return undefined
  const start = at + inlineMapPrefix.length
  let end = start
  while (end < code.length && code.charCodeAt(end) > 32) end++
  // Only a comment that ends the file is esbuild's (anything after it but whitespace means it is something else).
  return code.slice(end).trim() === "" ? { start, end } : undefined
}

/** What the rewrite did to one output file. */
interface FileRewrite {
  readonly code: string
  readonly map: string | undefined
  readonly sites: number
  readonly skipped?: string
}

/**
 * Rewrite one output's code, its external map (if any) and its inline map (if any). The format is the file's
 * (`.mjs` module, `.cjs` script) or the build's; code that does not parse as that is tried as the other.
 */
const rewriteFile = (
  path: string,
  code: string,
  map: string | undefined,
  format: esbuild.Format | undefined
): FileRewrite => {
  const preferred: "esm" | "cjs" = path.endsWith(".mjs")
    ? "esm"
    : path.endsWith(".cjs")
      ? "cjs"
      : format === "esm"
        ? "esm"
        : "cjs"
  let used = preferred
  let done = PropertyClosures.rewrite({ code, map, format: used })
  if (done.skipped !== undefined) {
    const other = PropertyClosures.rewrite({ code, map, format: preferred === "esm" ? "cjs" : "esm" })
    if (other.skipped === undefined) {
      done = other
      used = preferred === "esm" ? "cjs" : "esm"
    }
  }
  if (done.skipped !== undefined || done.sites === 0) return done
  const inline = findInlineMap(done.code)
  if (inline === undefined) return done
  // The inline map describes the code before the rewrite: shift it by the same insertions (the comment holding it
  // comes after every site, so its own position does not matter).
  const original = findInlineMap(code)
  if (original === undefined) return done
  const inlineMap = Buffer.from(code.slice(original.start, original.end), "base64").toString("utf8")
  const shifted = PropertyClosures.rewrite({ code, map: inlineMap, format: used }).map
  if (shifted === undefined) return done
  return {
    ...done,
    code:
      done.code.slice(0, inline.start) + Buffer.from(shifted, "utf8").toString("base64") + done.code.slice(inline.end)
  }
}

const skippedWarning = (path: string, reason: string): esbuild.PartialMessage => ({
  text: `effect-lambda young closures: ${path} left as esbuild wrote it (it did not parse: ${reason})`
})

/**
 * An esbuild plugin that rewrites every function literal the output assigns straight to a property as `(0, …)`, so
 * that V8 allocates it in the young generation, and shifts the output's source maps to match. See the module
 * documentation.
 *
 * @since 0.1.0
 * @category constructors
 */
export const youngClosures = (options: Options = {}): esbuild.Plugin => ({
  name: "effect-lambda-young-closures",
  setup(build) {
    const initial = build.initialOptions
    const writes = initial.write !== false
    // The outputs of a build that writes its files are listed only in the metafile.
    if (writes) initial.metafile = true
    const cwd = initial.absWorkingDir ?? process.cwd()

    build.onEnd((result): esbuild.OnEndResult | undefined => {
      if (result.errors.length > 0) return undefined
      const warnings: Array<esbuild.PartialMessage> = []
      const sites = new Map<string, number>()
      if (result.outputFiles !== undefined) {
        const files = new Map(result.outputFiles.map((file) => [file.path, file]))
        const encoder = new TextEncoder()
        for (const file of result.outputFiles) {
          if (!isScript(file.path)) continue
          const mapFile = files.get(`${file.path}.map`)
          const done = rewriteFile(file.path, file.text, mapFile?.text, initial.format)
          if (done.skipped !== undefined) warnings.push(skippedWarning(file.path, done.skipped))
          sites.set(file.path, done.sites)
          if (done.sites === 0) continue
          file.contents = encoder.encode(done.code)
          if (mapFile !== undefined && done.map !== undefined) mapFile.contents = encoder.encode(done.map)
        }
      } else if (writes && result.metafile !== undefined) {
        const outputs = new Set(Object.keys(result.metafile.outputs).map((path) => Path.resolve(cwd, path)))
        for (const path of outputs) {
          if (!isScript(path)) continue
          const mapPath = `${path}.map`
          const hasMap = outputs.has(mapPath)
          const done = rewriteFile(
            path,
            FileSystem.readFileSync(path, "utf8"),
            hasMap ? FileSystem.readFileSync(mapPath, "utf8") : undefined,
            initial.format
          )
          if (done.skipped !== undefined) warnings.push(skippedWarning(path, done.skipped))
          sites.set(path, done.sites)
          if (done.sites === 0) continue
          FileSystem.writeFileSync(path, done.code)
          if (hasMap && done.map !== undefined) FileSystem.writeFileSync(mapPath, done.map)
        }
      }
      options.onRewritten?.(sites)
      return warnings.length === 0 ? undefined : { warnings }
    })
  }
})
