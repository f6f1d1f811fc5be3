/**
 * Experiment: what one invocation costs the garbage collector, over a real socket. A bench handler (`echo`, `error`,
 * `http`, `json-1mb`), bundled as the bench bundles it, is run as its own process against the bench's fake Runtime API
 * (`lib/server.mjs`, the scenario's event N times, every reply checked), with V8's `--trace-gc-nvp`; the scavenges'
 * own counters are summed. Unlike timings on a shared machine, bytes allocated per invocation repeat to within 1% from run to run,
 * so a change to the per-invocation path can be judged by them before a noisy throughput run.
 *
 *   node bench/experiments/gc-per-invocation.mjs [--node 22|24|machine] [--count N] [--log FILE] [--client ric] HANDLER [node flags...]
 *
 * `--client ric` runs the official client (`aws-lambda-ric`, as the bench starts it) with the same handler instead.
 *
 * Prints KiB allocated and KiB promoted per invocation, scavenges, full collections, the process's peak RSS and its
 * CPU per invocation (the last two as noisy as any timing). The node flags are passed as given: add the bootstrap's
 * (`--max-semi-space-size=4 --no-allocation-site-pretenuring --max-old-space-size=921`) to measure what is deployed.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Url from "node:url"
import { buildHandlers } from "../lib/build.mjs"
import { treePeakRss } from "../lib/procfs.mjs"
import { checkRic, ricArgv, ricHandlerEnv } from "../lib/ric.mjs"
import { resolveNode } from "../lib/node.mjs"

const benchDir = Path.dirname(Path.dirname(Url.fileURLToPath(import.meta.url)))
const args = process.argv.slice(2)
let major = "22"
let count = 20_000
/** `--log FILE`: V8's trace lines (one per collection, init included) are also written there, to read them in order. */
let log
/** `--client ric`: the official client instead of this runtime. */
let client = "effect"
while (args[0]?.startsWith("--") && ["--node", "--count", "--log", "--client"].includes(args[0])) {
  const [flag, value] = args.splice(0, 2)
  if (flag === "--node") major = value
  else if (flag === "--log") log = value
  else if (flag === "--client") client = value
  else count = Number(value)
}
const [handler, ...nodeFlags] = args
if (!["echo", "error", "json-1mb", "http"].includes(handler) || !(count > 0) || !["effect", "ric"].includes(client)) {
  console.error(
    "usage: node bench/experiments/gc-per-invocation.mjs [--node 22|24|machine] [--count N] [--log FILE] [--client ric] echo|error|json-1mb|http [node flags...]"
  )
  process.exit(2)
}
const node = resolveNode({ benchDir, major })
const ricProblem = client === "ric" ? checkRic(benchDir) : undefined
if (ricProblem !== undefined) {
  console.error(ricProblem)
  process.exit(2)
}
const target =
  client === "ric"
    ? ricArgv(benchDir, handler)
    : [(await buildHandlers({ benchDir, entries: [handler], profile: false }))[handler].file]

// The bench's own fake Runtime API (lib/server.mjs), armed for the scenario: the same events, and every reply checked.
const server = ChildProcess.fork(Path.join(benchDir, "lib", "server.mjs"), [], { execPath: node.bin, stdio: "inherit" })
const message = (type) => new Promise((resolve) => server.on("message", (m) => m.type === type && resolve(m)))
const { port } = await message("listening")
server.send({ type: "arm", scenario: handler, count, mode: "run" })
await message("armed")
const child = ChildProcess.spawn("taskset", ["-c", "1", node.bin, "--trace-gc-nvp", ...nodeFlags, ...target], {
  env: {
    PATH: process.env.PATH,
    AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
    AWS_LAMBDA_FUNCTION_NAME: "bench",
    ...ricHandlerEnv(benchDir, handler),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024",
    AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/bench",
    AWS_LAMBDA_LOG_STREAM_NAME: "bench"
  },
  stdio: ["ignore", "pipe", "inherit"]
})
let out = ""
child.stdout.setEncoding("utf8").on("data", (chunk) => {
  out += chunk
})
server.send({ type: "client", pid: child.pid })
const { result } = await message("done")
const peak = treePeakRss(child.pid)
const exited = new Promise((resolve) => child.on("exit", resolve))
child.kill("SIGTERM")
await exited
server.send({ type: "exit" })
if (result.problems.length > 0) console.error(`wrong replies: ${result.problems.join("; ")}`)

const report = (out) => {
  let allocated = 0
  let promoted = 0
  let scavenges = 0
  let full = 0
  for (const line of out.split("\n")) {
    if (/\bgc=s\b/.test(line)) {
      scavenges++
      allocated += Number(/\ballocated=(\d+)/.exec(line)?.[1] ?? 0)
      promoted += Number(/\bpromoted=(\d+)/.exec(line)?.[1] ?? 0)
    } else if (/\bgc=(mc|mmc)\b/.test(line)) full++
  }
  const kib = (bytes) => (bytes / 1024 / count).toFixed(2)
  console.log(
    `${handler}${client === "ric" ? " (aws-lambda-ric)" : ""} on Node ${node.version}, ${count} invocations${nodeFlags.length > 0 ? `, ${nodeFlags.join(" ")}` : ""}: ` +
      `${kib(allocated)} KiB allocated and ${kib(promoted)} KiB promoted per invocation (counted at scavenges), ` +
      `${scavenges} scavenges, ${full} full collections; peak RSS ${(peak / 1048576).toFixed(1)} MiB, ` +
      `${((result.clientCpuSeconds * 1e6) / count).toFixed(0)} µs of CPU per invocation`
  )
}

if (log !== undefined) Fs.writeFileSync(log, out)
report(out)
