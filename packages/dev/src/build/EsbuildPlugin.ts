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
import * as Path from "node:path"
import type * as esbuild from "esbuild"
import * as OutputFiles from "./internal/outputFiles.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Called once per build with the number of closures rewritten in each output file (absolute paths). */
  readonly onRewritten?: (sites: ReadonlyMap<string, number>) => void
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
          if (!OutputFiles.isScript(file.path)) continue
          const mapFile = files.get(`${file.path}.map`)
          const done = OutputFiles.rewrite(file.path, file.text, mapFile?.text, initial.format)
          if (done.skipped !== undefined) warnings.push(skippedWarning(file.path, done.skipped))
          sites.set(file.path, done.sites)
          if (done.sites === 0) continue
          file.contents = encoder.encode(done.code)
          if (mapFile !== undefined && done.map !== undefined) mapFile.contents = encoder.encode(done.map)
        }
      } else if (writes && result.metafile !== undefined) {
        const outputs = new Set(Object.keys(result.metafile.outputs).map((path) => Path.resolve(cwd, path)))
        for (const path of outputs) {
          if (!OutputFiles.isScript(path)) continue
          const done = OutputFiles.rewriteFile(
            path,
            outputs.has(`${path}.map`) ? `${path}.map` : undefined,
            initial.format
          )
          if (done.skipped !== undefined) warnings.push(skippedWarning(path, done.skipped))
          sites.set(path, done.sites)
        }
      }
      options.onRewritten?.(sites)
      return warnings.length === 0 ? undefined : { warnings }
    })
  }
})
