/**
 * Bundle this runtime's bench handlers the way users deploy them: esbuild, one ESM file per function, minified,
 * with the `createRequire` banner (docs: effect-platform-notes §5), then the build's rewrite of closures assigned to
 * properties (packages/dev/src/build/internal/propertyClosures.ts, the very module `effect-lambda build` runs). The
 * profile build keeps identifiers and writes a source map, so a CPU profile names functions and points back into src/.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Url from "node:url"
import * as esbuild from "esbuild"

const BANNER = 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);'

/**
 * @param {{ benchDir: string, entries: string[], profile: boolean }} options
 * @returns {Promise<Record<string, { file: string, bytes: number }>>}
 */
export const buildHandlers = async ({ benchDir, entries, profile }) => {
  const outdir = Path.join(benchDir, "build", profile ? "profile" : "minified")
  Fs.rmSync(outdir, { recursive: true, force: true })
  const PropertyClosures = await loadPropertyClosures(benchDir)
  await esbuild.build({
    absWorkingDir: Path.dirname(benchDir),
    entryPoints: entries.map((name) => ({ in: Path.join(benchDir, "handlers", `${name}.ts`), out: name })),
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    banner: { js: BANNER },
    ...(profile
      ? { minifyWhitespace: true, minifySyntax: true, minifyIdentifiers: false, sourcemap: "linked" }
      : { minify: true }),
    logLevel: "silent"
  })
  const out = {}
  for (const name of entries) {
    const file = Path.join(outdir, `${name}.mjs`)
    if (PropertyClosures === undefined) {
      out[name] = { file, bytes: Fs.statSync(file).size }
      continue
    }
    const mapFile = `${file}.map`
    const map = Fs.existsSync(mapFile) ? Fs.readFileSync(mapFile, "utf8") : undefined
    const rewritten = PropertyClosures.rewrite({ code: Fs.readFileSync(file, "utf8"), map, format: "esm" })
    if (rewritten.skipped !== undefined) throw new Error(`${file}: ${rewritten.skipped}`)
    Fs.writeFileSync(file, rewritten.code)
    if (rewritten.map !== undefined) Fs.writeFileSync(mapFile, rewritten.map)
    out[name] = { file, bytes: Fs.statSync(file).size }
  }
  return out
}

/**
 * The build's rewrite module of the tree `benchDir` is in, compiled from its TypeScript source (with its parser) into
 * that bench's build folder; `undefined` for a tree from before the rewrite existed (a `--variant` of older code is
 * then bundled as that code's build did).
 */
const loadPropertyClosures = async (benchDir) => {
  const source = Path.join(Path.dirname(benchDir), "packages", "dev", "src", "build", "internal", "propertyClosures.ts")
  if (!Fs.existsSync(source)) return undefined
  const outfile = Path.join(benchDir, "build", "propertyClosures.mjs")
  await esbuild.build({
    entryPoints: [source],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "silent"
  })
  return import(`${Url.pathToFileURL(outfile).href}?${Fs.statSync(outfile).mtimeMs}`)
}
