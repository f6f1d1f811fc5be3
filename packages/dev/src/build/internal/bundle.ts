/**
 * The esbuild step of a build: one minified ESM file for Node.js, tree-shaken, with an external source map and
 * the metafile summary (bundle size, largest inputs); then the closures it assigns to properties rewritten so that
 * V8 allocates them young (`propertyClosures`), the source map shifted to match.
 */
import * as esbuild from "esbuild"
import * as Path from "node:path"
import * as PropertyClosures from "./propertyClosures.js"

/** One input of the bundle and the bytes it contributes. */
export interface Input {
  readonly path: string
  readonly bytes: number
}

export interface Bundled {
  readonly code: Uint8Array
  readonly map: Uint8Array
  readonly bytes: number
  /** Every input that contributes bytes, largest first (paths relative to the working directory). */
  readonly inputs: ReadonlyArray<Input>
  readonly warnings: ReadonlyArray<string>
  /** How many closures assigned to a property were rewritten to be allocated young (see `propertyClosures`). */
  readonly youngClosures: number
}

/** A problem the user can fix (a missing export, an unresolved import), with esbuild's own words. */
export class BundleFailure {
  readonly _tag = "BundleFailure"
  constructor(readonly messages: ReadonlyArray<string>) {}
}

/**
 * `Node`'s `require` inside the ESM bundle, for the CommonJS packages a function may use. The local name cannot
 * collide with minified names (esbuild does not rename banner code, and it avoids names the banner declares).
 */
export const banner =
  'import { createRequire as __effectLambdaCreateRequire } from "node:module"; ' +
  "const require = __effectLambdaCreateRequire(import.meta.url);"

const formatMessage = (message: esbuild.Message): string => {
  const at = message.location ? `${message.location.file}:${message.location.line}:${message.location.column}: ` : ""
  return `${at}${message.text}`
}

/**
 * Bundle `contents` (the generated wrapper entry, resolved from `resolveDir`). `undefinedExports` lists the
 * exports of the user's module that may be absent without an error (esbuild warns when one is read).
 */
export const bundle = async (options: {
  readonly contents: string
  readonly resolveDir: string
  readonly nodeMajor: string
  readonly conditions: ReadonlyArray<string>
  readonly outfile: string
  readonly required: ReadonlyArray<string>
  /**
   * `esm` (default): `index.mjs`, Node's `require` through the banner. `cjs`: one CommonJS script, for a startup
   * snapshot entry (no banner: `import.meta` is empty there, which only `LambdaRuntime.isMain` reads).
   */
  readonly format?: "esm" | "cjs"
  /** Modules that exist only in the bundle: specifier → JavaScript source. */
  readonly virtualModules?: Readonly<Record<string, string>>
}): Promise<Bundled | BundleFailure> => {
  const format = options.format ?? "esm"
  const extension = format === "esm" ? ".mjs" : ".cjs"
  const virtual = options.virtualModules ?? {}
  const plugins: Array<esbuild.Plugin> =
    Object.keys(virtual).length === 0
      ? []
      : [
          {
            name: "effect-lambda-virtual",
            setup: (build) => {
              build.onResolve({ filter: /^effect-lambda:/ }, (args) =>
                args.path in virtual ? { path: args.path, namespace: "effect-lambda-virtual" } : undefined
              )
              build.onLoad({ filter: /.*/, namespace: "effect-lambda-virtual" }, (args) => ({
                contents: virtual[args.path] ?? "",
                loader: "js"
              }))
            }
          }
        ]
  let result: esbuild.BuildResult<{ metafile: true; write: false }>
  try {
    result = await esbuild.build({
      stdin: {
        contents: options.contents,
        resolveDir: options.resolveDir,
        sourcefile: "effect-lambda-entry.mjs",
        loader: "js"
      },
      bundle: true,
      minify: true,
      treeShaking: true,
      format,
      platform: "node",
      target: `node${options.nodeMajor}`,
      mainFields: ["module", "main"],
      conditions: [...options.conditions],
      ...(format === "esm" ? { banner: { js: banner } } : {}),
      plugins,
      sourcemap: "external",
      metafile: true,
      write: false,
      outfile: options.outfile,
      logLevel: "silent",
      legalComments: "none"
    })
  } catch (error) {
    const failure = error as { errors?: ReadonlyArray<esbuild.Message> }
    return new BundleFailure(
      Array.isArray(failure.errors)
        ? failure.errors.map(formatMessage)
        : [error instanceof Error ? error.message : String(error)]
    )
  }
  const missing = result.warnings.filter(
    (w) => w.id === "import-is-undefined" && options.required.some((name) => w.text.includes(`"${name}"`))
  )
  if (missing.length > 0) return new BundleFailure(missing.map(formatMessage))
  const code = result.outputFiles.find((file) => file.path.endsWith(extension))
  const map = result.outputFiles.find((file) => file.path.endsWith(".map"))
  const output = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith(extension))
  if (code === undefined || map === undefined || output === undefined) {
    return new BundleFailure(["esbuild wrote no bundle"])
  }
  const inputs = Object.entries(output[1].inputs)
    .map(([path, input]) => ({ path: Path.normalize(path), bytes: input.bytesInOutput }))
    .filter((input) => input.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
  const rewritten = PropertyClosures.rewrite({ code: code.text, map: map.text, format })
  const encoder = new TextEncoder()
  const finalCode = rewritten.sites === 0 ? code.contents : encoder.encode(rewritten.code)
  return {
    code: finalCode,
    map: rewritten.sites === 0 || rewritten.map === undefined ? map.contents : encoder.encode(rewritten.map),
    bytes: finalCode.byteLength,
    inputs,
    warnings: [
      ...result.warnings
        .filter((w) => w.id !== "import-is-undefined" && !(format === "cjs" && w.id === "empty-import-meta"))
        .map(formatMessage),
      ...(rewritten.skipped === undefined
        ? []
        : [`closures assigned to properties left as they are (the bundle did not parse: ${rewritten.skipped})`])
    ],
    youngClosures: rewritten.sites
  }
}
