/**
 * The `--snapshot` step of a `custom` build: the carried Node.js binary builds the startup snapshot of `index.cjs`
 * (`node --experimental-sea-config sea-config.json`, a single-executable preparation blob with `useSnapshot`), and a
 * copy of that binary gets it injected (`postject`) as `bin/function`: a blob only starts on the exact binary that
 * built it, and one inside the binary is mapped with it at start instead of read from a file. The builder runs in the
 * function's folder, with an empty environment (what a module reads from the environment while it is evaluated is
 * read here, not on Lambda; an empty environment makes such a read visible instead of baking in the build machine's
 * values) and a time limit (Node takes the snapshot only once the event loop is empty: a timer, socket or server
 * opened while the modules are evaluated keeps it waiting forever).
 */
import * as FileSystem from "node:fs"
import { createRequire } from "node:module"
import * as Path from "node:path"
import * as Entry from "./entry.js"
import * as RunChild from "./runChild.js"

export type Outcome =
  | { readonly _tag: "Built"; readonly path: string; readonly bytes: number; readonly executable: string }
  | Failed

type Failed = { readonly _tag: "Failed"; readonly detail: string }

/** At most this many bytes of Node's output are kept. */
const outputLimit = 64 * 1024

/**
 * Node's error output as a message: the error lines, without the stack frames (of a minified bundle: one line,
 * thousands of columns), the source excerpt Node prints above an uncaught error (the bundle's one line) and its
 * caret, and the version trailer.
 */
export const errorText = (stderr: string): string => {
  const lines = stderr
    // Node's warning that a builtin module (worker_threads, …) is not verified in snapshots: not the failure.
    .replace(/^\(node:\d+\) Warning: It's not yet fully verified[^\n]*\n(?:[^\n(][^\n]*\n)*/gm, "")
    // Node's notes while it builds a single executable's blob.
    .replace(/^\(node:\d+\) ExperimentalWarning: Single executable application[^\n]*\n/gm, "")
    .replace(/^Wrote single executable preparation blob[^\n]*\n/gm, "")
    .replace(/^\(Use `node --trace-warnings[^\n]*\n/gm, "")
    .split("\n")
    .map((line) => line.trimEnd())
    .filter(
      (line) =>
        !/^\s+at /.test(line) &&
        !/^\s*\^+\s*$/.test(line) &&
        !/^Node\.js v\d/.test(line) &&
        !line.startsWith(Entry.snapshotOpenMarker) &&
        !line.startsWith(Entry.snapshotWarmUpFailed) &&
        line.length <= 400
    )
  const kept: Array<string> = []
  for (const line of lines) {
    if (line === "" && (kept.length === 0 || kept[kept.length - 1] === "")) continue
    kept.push(line)
  }
  while (kept.length > 0 && kept[kept.length - 1] === "") kept.pop()
  return kept.slice(0, 20).join("\n")
}

/** The fuse Node.js looks for to know that it carries a single-executable blob (`postject --sentinel-fuse`). */
const seaFuse = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2"

/**
 * Build the startup snapshot of `<directory>/index.cjs` with `node` (`<directory>/sea.blob`), then
 * `<directory>/bin/function`: a copy of `node` that carries it.
 */
export const build = async (options: {
  readonly node: string
  readonly directory: string
  readonly timeoutMs: number
}): Promise<Outcome> => {
  const built = await buildBlob(options)
  if (built._tag === "Failed") return built
  const executable = Path.join(options.directory, Entry.snapshotExecutable)
  try {
    await FileSystem.promises.mkdir(Path.dirname(executable), { recursive: true })
    await FileSystem.promises.copyFile(options.node, executable)
    await FileSystem.promises.chmod(executable, 0o755)
  } catch (error) {
    return {
      _tag: "Failed",
      detail: `cannot write ${executable}: ${error instanceof Error ? error.message : String(error)}`
    }
  }
  const failure = await inject(executable, built.path, options.timeoutMs)
  if (failure !== undefined)
    return { _tag: "Failed", detail: `cannot inject the snapshot into ${executable}: ${failure}` }
  return { _tag: "Built", path: built.path, bytes: built.bytes, executable }
}

/** `postject`'s `inject` in a child process: the arguments are its module, the executable, the blob and the fuse. */
const injectScript = `const [api, executable, blob, fuse] = process.argv.slice(1)
require(api)
  .inject(executable, "NODE_SEA_BLOB", require("node:fs").readFileSync(blob), { sentinelFuse: fuse })
  .catch((error) => {
    process.stderr.write(String((error && error.message) || error) + "\\n")
    process.exitCode = 1
  })`

/**
 * Inject `blob` into `executable` with `postject`, in a child Node.js process: the 130 MB binary it reads and
 * rewrites stays out of this process's heap, and what it prints (its executable parser's notes on Node.js's own
 * binary, such as `Can't find string offset for section name '.note.100'`) is not the build's output. Resolves
 * with why it failed, shown with that output, or `undefined`.
 */
const inject = async (executable: string, blob: string, timeoutMs: number): Promise<string | undefined> => {
  const api = createRequire(import.meta.url).resolve("postject")
  const ran = await RunChild.run(process.execPath, ["-e", injectScript, api, executable, blob, seaFuse], {
    timeoutMs,
    outputLimit
  })
  if (ran._tag === "NotStarted") return ran.detail
  if (ran.code === 0) return undefined
  const lines = ran.output.trim().split("\n").slice(-20).join("\n")
  return (
    `postject ${ran.signal === null ? `exited with code ${ran.code}` : `was killed by ${ran.signal}`}` +
    (lines === "" ? "" : `:\n${lines}`)
  )
}

/** Build `<directory>/sea.blob` (the startup snapshot) from `<directory>/index.cjs` with `node`. */
const buildBlob = async (options: {
  readonly node: string
  readonly directory: string
  readonly timeoutMs: number
}): Promise<{ readonly _tag: "Blob"; readonly path: string; readonly bytes: number } | Failed> => {
  const blob = Path.join(options.directory, Entry.seaBlob)
  try {
    FileSystem.writeFileSync(Path.join(options.directory, Entry.seaConfigFile), Entry.seaConfig)
  } catch (error) {
    return { _tag: "Failed", detail: `cannot write ${Entry.seaConfigFile}: ${String(error)}` }
  }
  const ran = await RunChild.run(options.node, ["--experimental-sea-config", Entry.seaConfigFile], {
    cwd: options.directory,
    env: {},
    timeoutMs: options.timeoutMs,
    outputLimit
  })
  if (ran._tag === "NotStarted") return { _tag: "Failed", detail: ran.detail }
  const { code, signal, output, timedOut } = ran
  const text = errorText(output)
  if (timedOut) {
    const open = output
      .split("\n")
      .find((line) => line.startsWith(Entry.snapshotOpenMarker))
      ?.slice(Entry.snapshotOpenMarker.length)
      .trim()
    return {
      _tag: "Failed",
      detail:
        `the snapshot was not taken within ${options.timeoutMs} ms: Node takes it once the event loop is empty, ` +
        `and something the function's modules start while they are evaluated keeps it busy` +
        (open === undefined || open === "" ? "" : ` (still open: ${open})`) +
        ": open sockets, timers and servers in the Layer or the handler instead" +
        (text === "" ? "" : `\n${text}`)
    }
  }
  const warmUpFailure = output.split("\n").find((line) => line.startsWith(Entry.snapshotWarmUpFailed))
  if (warmUpFailure !== undefined) {
    return {
      _tag: "Failed",
      detail: `the runtime's warm-up before the snapshot failed:${warmUpFailure.slice(Entry.snapshotWarmUpFailed.length)}`
    }
  }
  const stat = FileSystem.statSync(blob, { throwIfNoEntry: false })
  if (code === 0 && stat !== undefined && stat.size > 0) return { _tag: "Blob", path: blob, bytes: stat.size }
  return {
    _tag: "Failed",
    detail:
      `node --experimental-sea-config ${signal === null ? `exited with code ${code}` : `was killed by ${signal}`}` +
      (text === "" ? "" : `:\n${text}`)
  }
}
