/**
 * Bundle one of the in-process experiments and run it pinned to CPU 1, on the bench's Node (`--node`, default 22):
 *
 *   node bench/experiments/run-experiment.mjs log-line [Text|JSON] [lines per batch, default 2000] [batches, default 41]
 *   node bench/experiments/run-experiment.mjs http-request [requests per batch, default 500] [batches, default 31]
 *
 * (append `--node 20|22|24`).
 */
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"
import * as Url from "node:url"
import * as esbuild from "esbuild"
import { resolveNode } from "../lib/node.mjs"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const argv = process.argv.slice(2)
const name = argv.shift()
if (name === undefined || !["log-line", "http-request"].includes(name)) {
  console.error("usage: node bench/experiments/run-experiment.mjs log-line|http-request [args] [--node 22]")
  process.exit(2)
}
const outfile = Path.join(Path.dirname(here), "build", "experiments", `${name}.mjs`)
await esbuild.build({
  entryPoints: [Path.join(here, `${name}.ts`)],
  outfile,
  bundle: true,
  minify: true,
  platform: "node",
  format: "esm",
  target: "node20",
  banner: { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' },
  logLevel: "warning"
})
const nodeAt = argv.indexOf("--node")
const node = resolveNode({ benchDir: Path.dirname(here), major: nodeAt === -1 ? "22" : argv[nodeAt + 1] })
if (nodeAt !== -1) argv.splice(nodeAt, 2)
console.log(`node ${node.version} (${node.source})`)
const pinned = ChildProcess.spawnSync("taskset", ["-c", "1", "true"]).status === 0
const result = pinned
  ? ChildProcess.spawnSync("taskset", ["-c", "1", node.bin, outfile, ...argv], { stdio: "inherit" })
  : ChildProcess.spawnSync(node.bin, [outfile, ...argv], { stdio: "inherit" })
process.exit(result.status ?? 1)
