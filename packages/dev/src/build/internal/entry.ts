/**
 * The generated files of a build: the wrapper entry that esbuild bundles into `index.mjs`, the launcher
 * `bootstrap.mjs`, the `bootstrap` shell scripts and the `Dockerfile`.
 */
import * as CompileCache from "./compileCache.js"

/** The global flag `LambdaRuntime.runMain` sets (see the runtime's `LambdaRuntime` module). */
const runMainFlag = `Symbol.for("effect-lambda-runtime/LambdaRuntime/runMain")`

const missingHandler = (entry: string): string =>
  JSON.stringify(
    `${entry} does not export a \`handler\` made with Handler.effect, Handler.stream or HttpHandler.make ` +
      "(optionally with a `layer` export: the Layer it needs)"
  )

/** The generated lines that run the user's `handler` (with its `layer`) unless the module started itself. */
const runUnlessStarted = (entryLabel: string, hasLayer: boolean): ReadonlyArray<string> => [
  `if (globalThis[${runMainFlag}] !== true) {`,
  `  if (!Handler.isHandler(user.handler)) throw new TypeError(${missingHandler(entryLabel)})`,
  `  LambdaRuntime.runMain(user.handler${hasLayer ? ", { layer: user.layer }" : ""})`,
  "}"
]

/**
 * The entry of a bundle that runs this runtime's own loop (`custom`, `container`): imports the user's module and
 * starts exactly one runtime. The user's module may start it itself (`if (LambdaRuntime.isMain(import.meta))
 * LambdaRuntime.runMain(handler)`, true when the bundle is the process's entry or the emulator's entry file);
 * otherwise its `handler` export runs, with its `layer` export when there is one.
 */
export const loopEntry = (specifier: string, entryLabel: string, hasLayer: boolean): string =>
  [
    `import * as user from ${JSON.stringify(specifier)}`,
    `import * as Handler from "effect-lambda-runtime/Handler"`,
    `import * as LambdaRuntime from "effect-lambda-runtime/LambdaRuntime"`,
    ...runUnlessStarted(entryLabel, hasLayer),
    // The emulator's bootstrap reads these when the bundle itself is its entry file.
    "export const handler = user.handler",
    hasLayer ? "export const layer = user.layer" : "",
    ""
  ].join("\n")

/** The module the snapshot entry imports first (a virtual module of the bundle: {@link snapshotPrelude}). */
export const snapshotPreludeModule = "effect-lambda:snapshot-prelude"

/**
 * The first module of a snapshot entry, evaluated before any other. Node 22 aborts `--build-snapshot` (a C++
 * `std::length_error`) when the heap holds an `Error` whose stack was captured and never read, and Effect creates
 * such errors while its modules are evaluated. While the snapshot is built, `Error` is therefore a subclass that
 * reads its own `.stack` at once (which formats it and drops what Node cannot serialize); `instanceof Error` and
 * the static `stackTraceLimit` / `prepareStackTrace` / `captureStackTrace` keep meaning the native ones. The
 * runtime's snapshot main (`runMain`, see the runtime's `internal/snapshot.ts`, which reads the same global key)
 * puts the native `Error` back and turns the eager read off before anything else runs.
 */
export const snapshotPrelude = `const key = Symbol.for("effect-lambda-runtime/snapshot/prelude")
const NativeError = globalThis.Error
const state = { NativeError, building: true }
class SnapshotError extends NativeError {
  constructor(...args) {
    super(...args)
    if (state.building) void this.stack
  }
  static [Symbol.hasInstance](value) {
    return this === SnapshotError ? value instanceof NativeError : Function.prototype[Symbol.hasInstance].call(this, value)
  }
  static get stackTraceLimit() { return NativeError.stackTraceLimit }
  static set stackTraceLimit(value) { NativeError.stackTraceLimit = value }
  static get prepareStackTrace() { return NativeError.prepareStackTrace }
  static set prepareStackTrace(value) { NativeError.prepareStackTrace = value }
  static captureStackTrace(target, at) {
    NativeError.captureStackTrace(target, at ?? SnapshotError.captureStackTrace)
    if (state.building) void target.stack
  }
}
Object.defineProperty(SnapshotError, "name", { value: "Error" })
globalThis[key] = state
globalThis.Error = SnapshotError
`

/**
 * What the snapshot entry prints once its modules are evaluated if something is still open then (a timer, a socket,
 * a server): Node takes the snapshot only once the event loop is empty, so the build reports it if it times out.
 */
export const snapshotOpenMarker = "effect-lambda-snapshot: still open once the modules were evaluated:"

/** How many in-memory invocations of an echo handler warm the runtime's code while the snapshot is built. */
export const snapshotWarmups = 50

/** How many invocations then warm the live path (socket transport, the loop's waits) before the snapshot is taken. */
export const snapshotLiveWarmups = 20

/** The line a snapshot build prints when the live warm-up failed (the snapshot is still taken, only colder). */
export const snapshotWarmUpFailed = "effect-lambda-snapshot: the live warm-up failed:"

/**
 * The entry of a V8 startup snapshot (`--snapshot`): bundled as one CommonJS script (Node's snapshot entry is a
 * single script that can only `require` builtins). The prelude first, then the user's module; `runMain`, called
 * there or here, does not start the runtime while the snapshot is built but registers its start as the snapshot's
 * main function, which runs in each process started with `node --snapshot-blob`.
 */
export const snapshotEntry = (specifier: string, entryLabel: string, hasLayer: boolean): string =>
  [
    `import ${JSON.stringify(snapshotPreludeModule)}`,
    `import * as user from ${JSON.stringify(specifier)}`,
    `import * as Handler from "effect-lambda-runtime/Handler"`,
    `import * as LambdaRuntime from "effect-lambda-runtime/LambdaRuntime"`,
    `import * as TestRuntimeApi from "effect-lambda-runtime/TestRuntimeApi"`,
    `import * as Effect from "effect/Effect"`,
    ...runUnlessStarted(entryLabel, hasLayer),
    // Warm the runtime's own invocation path (an echo handler of its own, never the user's handler) so that the
    // code it compiles is in the snapshot: in memory first, then, once the check below has seen what the user's
    // module left open, through the live path (a socket to an API of the runtime's own on 127.0.0.1, closed after).
    "const warm = Handler.effect((event) => Effect.succeed(event))",
    `for (let i = 0; i < ${snapshotWarmups}; i++) void Effect.runPromise(TestRuntimeApi.invoke(warm, { id: String(i) }))`,
    "setImmediate(() => {",
    // Not listed: this very callback, and the process's own stdio pipes (stderr once a warning was written).
    `  const open = process.getActiveResourcesInfo().filter((name) => !["Immediate", "PipeWrap", "TTYWrap"].includes(name))`,
    `  if (open.length > 0) process.stderr.write(${JSON.stringify(`${snapshotOpenMarker} `)} + open.join(", ") + "\\n")`,
    `  else LambdaRuntime.warmUp(warm, ${snapshotLiveWarmups}).catch((error) => process.stderr.write(${JSON.stringify(`${snapshotWarmUpFailed} `)} + String(error) + "\\n"))`,
    "})",
    ""
  ].join("\n")

/**
 * The entry of a bundle for Lambda's managed Node.js runtime: exports `handler` through the managed-runtime
 * adapter (the Layer is built during the module's import: the function's init). Outside the managed runtime (no
 * `awslambda` global: the local emulator) it exports the `Handler` itself, which the emulator runs with this
 * runtime's loop.
 */
export const managedEntry = (specifier: string, entryLabel: string, hasLayer: boolean): string =>
  [
    `import * as user from ${JSON.stringify(specifier)}`,
    `import * as Handler from "effect-lambda-runtime/Handler"`,
    `import * as ManagedRuntime from "effect-lambda-runtime/ManagedRuntime"`,
    `if (!Handler.isHandler(user.handler)) throw new TypeError(${missingHandler(entryLabel)})`,
    `const managed = typeof globalThis.awslambda === "object" && globalThis.awslambda !== null`,
    `export const handler = managed && globalThis[${runMainFlag}] !== true`,
    `  ? await ManagedRuntime.toHandler(user.handler${hasLayer ? ", { layer: user.layer }" : ""})`,
    "  : user.handler",
    hasLayer ? "export const layer = user.layer" : "",
    ""
  ].join("\n")

/**
 * The process entry of our loop. It only imports the bundle, so no module of the bundle is the process's entry
 * file (`LambdaRuntime.isMain` is false for all of them) and the bundle's wrapper starts the one runtime.
 */
export const launcher = `// The process entry of this function's Lambda runtime (see bootstrap). Generated by effect-lambda build.
import "./index.mjs"
`

const scriptDirectory = `case "$0" in
  */*) dir="\${0%/*}" ;;
  *) dir=. ;;
esac`

/**
 * The young generation's semi-space size, in MiB, the bootstraps start `node` with (`--max-semi-space-size`).
 *
 * Left to itself, V8 grows each semi-space up to 16 MiB under a steady allocation rate (and sizes the young
 * generation at three semi-spaces), which an invocation loop reaches within seconds although almost nothing it
 * allocates outlives its invocation. Measured on Node 22 serving 20 000 echo invocations (`node bench/run.mjs
 * --scenarios echo --node-flags "--max-semi-space-size=N"`, issue 13; a loaded machine): peak RSS 103–113 MiB by
 * default, 99 MiB at 8, 87–93 MiB at 4, 2 or 1, with echo throughput unchanged within the noise; the scavenges
 * (`--trace-gc`) were 81 taking 0.54 s in all at 16 MiB, 282 taking 0.98 s at 4, 556 / 1.14 s at 2, 1104 / 1.08 s
 * at 1: each scavenge has a fixed cost besides what survives it, so below 4 MiB the count doubles for no further
 * saving. 4 MiB takes most of the memory back (a young generation of at most 12 MiB, which a 128 MB function can
 * spare and a 1024 MB one does not need more of) for about 20 µs of scavenging per invocation on that machine, and
 * leaves a handler that allocates a few MiB of short-lived data per invocation room before its objects are promoted
 * to the old generation. `NODE_OPTIONS` with its own `--max-semi-space-size` wins (the flag is then not passed).
 * The managed target has no bootstrap of ours: there Lambda starts `node`, and the function's `NODE_OPTIONS`
 * environment variable is the only way to set it.
 */
export const semiSpaceMiB = 4

/**
 * The share of the function's memory (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, MB), in percent, the bootstraps give V8's
 * old generation (`--max-old-space-size`): what Lambda's own Node.js bootstrap gives it (the memory less a tenth).
 *
 * Without it V8 sizes the heap from the machine's physical memory, not from the function's: the same function then
 * runs out of heap at a different size in a container, a custom runtime and the managed runtime, and on a large
 * machine (a local emulator, a test host) lets garbage pile up far longer before a full collection. Measured on
 * Node 22 serving 20 000 echo invocations on a 24 GiB machine at 1024 MB (issue 13): peak RSS 90 →
 * 79 MiB, with 15 full collections instead of 7 and no change in throughput beyond the noise. `NODE_OPTIONS` with
 * its own `--max-old-space-size` wins; without a numeric `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` the flag is not passed.
 * Node.js 24 keys its compile cache without it; Node.js 22 by every V8 flag, so a Node.js 22 container image, whose
 * cache is made before the function's memory is known, leaves the limit to V8.
 */
export const oldSpacePercent = 90

/**
 * The garbage collector's flags the bootstraps pass besides the heap sizes (each unless `NODE_OPTIONS` names it), by
 * the Node.js major that runs the function.
 *
 * `--no-allocation-site-pretenuring`: V8 allocates the objects of an allocation site directly in the old generation
 * once most of them were found alive at a scavenge. An invocation loop trips that: the objects of the invocation in
 * flight are all alive when a scavenge comes, invocation after invocation, so sites of the runtime's per-invocation
 * objects get pretenured, and each then leaves its garbage in the old generation, and keeps the young objects it points
 * to alive until a full collection. Measured over a real socket (20 000 echo invocations, Node 22, `--trace-gc-nvp`,
 * at `--max-old-space-size=921`; issue 13): promoted per invocation 4.1 → 0.5 KiB, full collections 14 → 2, peak RSS
 * 78 → 76.5 MiB, CPU per invocation unchanged within the noise.
 *
 * Only on Node.js 22. A V8 flag that is part of V8's flag hash makes Node.js reject the code cache built into its
 * binary, so every built-in module it loads after its start (net, streams, the ES module loader: about 45 for this
 * runtime) is compiled from source. Node.js 24's V8 leaves the heap sizes out of that hash but not this flag: on
 * Node.js 24.22.3 it cost 9–16 ms of a cold start (spawn → first `/next`, 92.3 → 83.7 ms without it in one
 * `bench/run.mjs --node 24` round) for no change in peak RSS (echo 85.1 / 85.4 MiB, json-1mb 83.8 / 83.5). Node.js 22
 * hashes every flag, the heap sizes too, so there the built-ins are compiled from source anyway (12 ms at 1024 MB:
 * 85.7 → 74.0 ms with no flag at all, but 20 MiB more RSS and an old generation sized from the machine) and this
 * flag adds nothing to that cost. `process.moduleLoadList` and Node's `getCacheUsage()` show the rejection.
 *
 * (The benchmark reads this table from this file.)
 */
const gcFlagsByMajor: Readonly<Record<string, ReadonlyArray<string>>> = {
  "22": ["--no-allocation-site-pretenuring"],
  "24": []
}

/** The garbage collector's flags the bootstraps pass on Node.js `major` besides the heap sizes (see above). */
export const gcFlags = (major: string): ReadonlyArray<string> => gcFlagsByMajor[major] ?? []

/**
 * The V8 flags `bootstrap` always passes on Node.js `major` (unless `NODE_OPTIONS` sets its own): the semi-space size
 * and {@link gcFlags}.
 */
export const nodeFlags = (major: string): ReadonlyArray<string> => [
  `--max-semi-space-size=${semiSpaceMiB}`,
  ...gcFlags(major)
]

/** The old generation's limit `bootstrap` passes for a function of `memoryMb` MB (see {@link oldSpacePercent}). */
export const oldSpaceMiB = (memoryMb: number): number => Math.floor((memoryMb * oldSpacePercent) / 100)

/** The name a V8 flag is known by in `NODE_OPTIONS`, with or without its `no-` (`allocation-site-pretenuring`). */
const flagName = (flag: string): string => flag.replace(/^--(no-)?/, "").replace(/=.*$/, "")

/**
 * Shell lines that set `$flags` (each of `nodeFlags` that `NODE_OPTIONS` does not name) and `$old` (the old
 * generation's limit), the heap and collector flags `node` is started with (see above).
 */
const heapFlags = (major: string, oldSpace: boolean) => `flags=
${nodeFlags(major)
  .map(
    (flag) => `case "\${NODE_OPTIONS:-}" in
  *${flagName(flag)}*) ;;
  *) flags="$flags ${flag}" ;;
esac`
  )
  .join("\n")}
old=${
  oldSpace
    ? `
case "\${NODE_OPTIONS:-}" in
  *--max-old-space-size*) ;;
  *) case "\${AWS_LAMBDA_FUNCTION_MEMORY_SIZE:-}" in
      ''|*[!0-9]*) ;;
      *) old=--max-old-space-size=$((AWS_LAMBDA_FUNCTION_MEMORY_SIZE * ${oldSpacePercent} / 100)) ;;
    esac ;;
esac`
    : ""
}`

/** The file name of the startup snapshot next to `bootstrap` (`--snapshot`). */
export const snapshotBlob = "snapshot.blob"

/** The file name of the snapshot entry, the bundle a `--snapshot` build writes instead of `index.mjs`. */
export const snapshotScript = "index.cjs"

/**
 * The executable of a `custom --snapshot` function, next to `bootstrap` (and in the zip): the carried Node.js binary
 * with the startup snapshot inside, as a single executable application. Node.js reads a blob file into memory at
 * every start (`--snapshot-blob`); a snapshot inside the binary is mapped with it instead, which starts the function
 * about 25 ms sooner (`bench/experiments/cold-start.mjs`, Node.js 22).
 */
export const snapshotExecutable = "bin/function"

/** The single-executable preparation blob (the startup snapshot) the build injects into {@link snapshotExecutable}. */
export const seaBlob = "sea.blob"

/** The configuration `node --experimental-sea-config` reads, next to the snapshot entry. */
export const seaConfigFile = "sea-config.json"

/**
 * The single-executable configuration of a `custom --snapshot` function: the snapshot entry as a startup snapshot,
 * no experimental-feature warning at each start, and Node.js options from the command line's `--node-options=`
 * (where `bootstrap` passes its heap flags and the function's `NODE_OPTIONS`) instead of the environment, so that
 * the function's own `NODE_OPTIONS` stays what it was set to for the processes it starts.
 */
export const seaConfig = `${JSON.stringify(
  {
    main: snapshotScript,
    output: seaBlob,
    useSnapshot: true,
    disableExperimentalSEAWarning: true,
    execArgvExtension: "cli"
  },
  null,
  2
)}
`

/** What `node` runs after its flags: the launcher, or the startup snapshot (whose main starts the runtime). */
const nodeMain = (snapshot: boolean): string =>
  snapshot ? `--snapshot-blob "$dir/${snapshotBlob}"` : `"$dir/bootstrap.mjs"`

/** How `bootstrap` starts Node.js with its flags. */
const execNode = (
  node: { readonly _tag: "Carried" } | { readonly _tag: "Layer"; readonly path: string },
  snapshot: boolean
) =>
  snapshot
    ? // The flags travel as one Node.js option list, the function's NODE_OPTIONS last (a later flag wins).
      `exec "$dir/${snapshotExecutable}" --node-options="$flags $old \${NODE_OPTIONS:-}"`
    : `exec ${node._tag === "Carried" ? `"$dir/bin/node"` : shellQuote(node.path)} $flags $old ${nodeMain(false)}`

/**
 * `bootstrap` of a `provided.al2023` function. It uses shell builtins only: a custom runtime starts with no Node.js
 * and possibly no PATH. With `snapshot`, it starts `bin/function`, the carried binary with the startup snapshot it
 * built inside ({@link snapshotExecutable}).
 */
export const customBootstrap = (
  node: { readonly _tag: "Carried" } | { readonly _tag: "Layer"; readonly path: string },
  major: string,
  snapshot = false
) =>
  `#!/bin/sh
# The Lambda custom runtime of this function: effect-lambda-runtime's loop on ${
    snapshot
      ? `the Node.js binary in this zip (${snapshotExecutable}),\n# started from the V8 startup snapshot that binary built and carries inside`
      : node._tag === "Carried"
        ? "the Node.js binary in this zip (bin/node)"
        : `the Node.js of a layer (${node.path})`
  }.
# Generated by effect-lambda build.
${scriptDirectory}
${heapFlags(major, true)}
${execNode(node, snapshot)}
`

/**
 * The entrypoint of the container image: our loop on the image's Node.js (with `snapshot`, started from the
 * snapshot the image's Node.js built in the `Dockerfile`'s `RUN` step). Without `oldSpace` it leaves the old
 * generation's limit to V8: Node.js 22 keys its compile cache by every V8 flag, and the image's cache is made before
 * the function's memory is known.
 */
export const containerBootstrap = (major: string, snapshot = false, oldSpace = true): string => `#!/bin/sh
# The entrypoint of this function's container image: effect-lambda-runtime's loop on the image's Node.js${
  snapshot ? ",\n# started from the V8 startup snapshot the image's Node.js built (see the Dockerfile)" : ""
}.
# Without AWS_LAMBDA_RUNTIME_API (a local \`docker run -p 9000:8080\`) it runs under the image's Runtime Interface
# Emulator. Generated by effect-lambda build.
${scriptDirectory}
${heapFlags(major, oldSpace)}
if [ -z "\${AWS_LAMBDA_RUNTIME_API:-}" ] && [ -x /usr/local/bin/aws-lambda-rie ]; then
  exec /usr/local/bin/aws-lambda-rie node $flags $old ${nodeMain(snapshot)}
fi
exec node $flags $old ${nodeMain(snapshot)}
`

/** The files a container build copies into the image (the `Dockerfile`'s `COPY` sources). */
export const containerFiles = (snapshot = false): ReadonlyArray<string> =>
  snapshot ? ["bootstrap", snapshotScript] : ["bootstrap", "bootstrap.mjs", "index.mjs"]

/**
 * The command that builds the startup snapshot from the snapshot entry, with the `node` that will run it, in the
 * folder that holds both (`/var/task` in the image).
 */
export const buildSnapshotArgs: ReadonlyArray<string> = [
  "--snapshot-blob",
  snapshotBlob,
  "--build-snapshot",
  snapshotScript
]

/**
 * The container image's `Dockerfile`. With `snapshot`, a `RUN` step builds `snapshot.blob` with the image's own
 * Node.js (a blob only starts on the exact binary that built it), in an empty environment, so a module's
 * load-time reads of the environment see nothing of the build.
 */
export const dockerfile = (options: {
  readonly node: string
  readonly arch: "x86_64" | "arm64"
  readonly snapshot?: boolean | undefined
}): string =>
  `# The image of this function: effect-lambda-runtime's own loop on AWS Lambda's Node.js ${options.node} base image.
# Generated by effect-lambda build. Build it with: docker build --platform ${dockerPlatform(options.arch)} -t my-function .
FROM --platform=${dockerPlatform(options.arch)} public.ecr.aws/lambda/nodejs:${options.node}
COPY ${containerFiles(options.snapshot).join(" ")} /var/task/
${
  options.snapshot === true
    ? `# The V8 startup snapshot, built by the image's own Node.js: the function's modules evaluated once, here.
RUN cd /var/task && env -i "$(command -v node)" ${buildSnapshotArgs.join(" ")}
`
    : `# V8's code cache of index.mjs, made by the image's own Node.js (compiled only: nothing of the function runs).
RUN cd /var/task && env -i "$(command -v node)" ${nodeFlags(options.node).join(" ")} --input-type=module -e '${CompileCache.fillScript("/var/task", false)}'
`
}ENTRYPOINT ["/var/task/bootstrap"]
`

const dockerPlatform = (arch: "x86_64" | "arm64"): string => (arch === "arm64" ? "linux/arm64" : "linux/amd64")

const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`
