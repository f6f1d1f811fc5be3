/**
 * Experiment: bundle log-line.ts and run it pinned to CPU 1, on the bench's Node (`--node`, default 22).
 *
 *   node bench/experiments/log-line.mjs [Text|JSON] [lines per batch, default 2000] [batches, default 41] [--node 22]
 */
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"
import * as Url from "node:url"
import * as esbuild from "esbuild"
import { resolveNode } from "../lib/node.mjs"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const outfile = Path.join(Path.dirname(here), "build", "experiments", "log-line.mjs")
await esbuild.build({
  entryPoints: [Path.join(here, "log-line.ts")],
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
console.log(`node ${node.version} (${node.source})`)
const pinned = ChildProcess.spawnSync("taskset", ["-c", "1", "true"]).status === 0
const result = pinned
  ? ChildProcess.spawnSync("taskset", ["-c", "1", node.bin, outfile, ...argv], { stdio: "inherit" })
  : ChildProcess.spawnSync(node.bin, [outfile, ...argv], { stdio: "inherit" })
process.exit(result.status ?? 1)
