/**
 * Bundle this runtime's bench handlers the way users deploy them: esbuild, one ESM file per function, minified,
 * with the `createRequire` banner (docs: effect-platform-notes §5). The profile build keeps identifiers and
 * writes a source map, so a CPU profile names functions and points back into src/.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as esbuild from "esbuild"

const BANNER = 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);'

/**
 * @param {{ benchDir: string, entries: string[], profile: boolean }} options
 * @returns {Promise<Record<string, { file: string, bytes: number }>>}
 */
export const buildHandlers = async ({ benchDir, entries, profile }) => {
  const outdir = Path.join(benchDir, "build", profile ? "profile" : "minified")
  Fs.rmSync(outdir, { recursive: true, force: true })
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
    out[name] = { file, bytes: Fs.statSync(file).size }
  }
  return out
}
