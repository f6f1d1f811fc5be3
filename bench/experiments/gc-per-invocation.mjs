/**
 * Experiment: what one invocation costs the garbage collector, over a real socket. A bench handler (`echo`, `error`,
 * `http`, `json-1mb`), bundled as the bench bundles it, is run as its own process against a minimal Runtime API on
 * 127.0.0.1 that hands out the scenario's event N times, with V8's `--trace-gc-nvp`; the scavenges' own counters
 * are summed. Unlike timings on a shared machine, bytes allocated per invocation repeat to within 1% from run to run,
 * so a change to the per-invocation path can be judged by them before a noisy throughput run.
 *
 *   node bench/experiments/gc-per-invocation.mjs [--node 22|24|machine] [--count N] HANDLER [node flags...]
 *
 * Prints KiB allocated and KiB promoted per invocation, scavenges, full collections, the process's peak RSS and its
 * CPU per invocation (the last two as noisy as any timing). The node flags are passed as given: add the bootstrap's
 * (`--max-semi-space-size=4 --no-allocation-site-pretenuring --max-old-space-size=921`) to measure what is deployed.
 */
import * as ChildProcess from "node:child_process"
import * as Net from "node:net"
import * as Path from "node:path"
import * as Url from "node:url"
import { buildHandlers } from "../lib/build.mjs"
import { cpuSeconds, treePeakRss } from "../lib/procfs.mjs"
import { resolveNode } from "../lib/node.mjs"
import { ECHO_EVENT, HTTP_EVENT } from "../lib/scenarios.mjs"

const benchDir = Path.dirname(Path.dirname(Url.fileURLToPath(import.meta.url)))
const args = process.argv.slice(2)
let major = "22"
let count = 20_000
while (args[0]?.startsWith("--") && ["--node", "--count"].includes(args[0])) {
  const [flag, value] = args.splice(0, 2)
  if (flag === "--node") major = value
  else count = Number(value)
}
const [handler, ...nodeFlags] = args
const events = { echo: ECHO_EVENT, error: ECHO_EVENT, "json-1mb": ECHO_EVENT, http: HTTP_EVENT }
if (!(handler in events) || !(count > 0)) {
  console.error(
    "usage: node bench/experiments/gc-per-invocation.mjs [--node 22|24|machine] [--count N] echo|error|json-1mb|http [node flags...]"
  )
  process.exit(2)
}
const node = resolveNode({ benchDir, major })
const bundle = (await buildHandlers({ benchDir, entries: [handler], profile: false }))[handler].file

const event = events[handler]
const ack = Buffer.from(
  'HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"status":"OK"}'
)
let served = 0
const next = () =>
  Buffer.concat([
    Buffer.from(
      `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: req-${served}\r\n` +
        `Lambda-Runtime-Deadline-Ms: ${Date.now() + 900_000}\r\n` +
        "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:eu-west-1:123456789012:function:bench\r\n" +
        "Lambda-Runtime-Trace-Id: Root=1-65f0a1b2-000000000000000000000001;Parent=9a9197af755a6419;Sampled=0\r\n" +
        `Content-Length: ${event.length}\r\n\r\n`,
      "latin1"
    ),
    event
  ])

let child
let peak = 0
let cpu = 0
const finished = new Promise((resolve) => {
  const server = Net.createServer((socket) => {
    socket.setNoDelay(true)
    let buffer = Buffer.alloc(0)
    socket.on("error", () => {})
    socket.on("data", (data) => {
      buffer = buffer.length === 0 ? data : Buffer.concat([buffer, data])
      for (;;) {
        const end = buffer.indexOf("\r\n\r\n")
        if (end === -1) return
        const head = buffer.toString("latin1", 0, end)
        let rest
        if (/transfer-encoding: *chunked/i.test(head)) {
          const last = buffer.indexOf("0\r\n\r\n", end)
          if (last === -1) return
          rest = last + 5
        } else {
          const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0)
          if (buffer.length < end + 4 + length) return
          rest = end + 4 + length
        }
        buffer = buffer.subarray(rest)
        const line = head.slice(0, head.indexOf("\r\n"))
        if (line.includes("/extension/register")) {
          const body = '{"functionName":"bench","functionVersion":"$LATEST","handler":"index.handler"}'
          socket.write(
            `HTTP/1.1 200 OK\r\nLambda-Extension-Identifier: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`
          )
        } else if (line.includes("/extension/event/next")) {
          // Held open: the shutdown event never comes.
        } else if (line.includes("/invocation/next")) {
          if (served < count) {
            served++
            socket.write(next())
          } else {
            peak = treePeakRss(child.pid)
            cpu = cpuSeconds(child.pid)
            child.kill("SIGTERM")
            server.close()
            resolve()
          }
        } else socket.write(ack)
      }
    })
  })
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address()
    child = ChildProcess.spawn("taskset", ["-c", "1", node.bin, "--trace-gc-nvp", ...nodeFlags, bundle], {
      env: {
        PATH: process.env.PATH,
        AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
        AWS_LAMBDA_FUNCTION_NAME: "bench",
        AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024",
        AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/bench",
        AWS_LAMBDA_LOG_STREAM_NAME: "bench"
      },
      stdio: ["ignore", "pipe", "inherit"]
    })
    child.stdout.setEncoding("utf8")
    let out = ""
    child.stdout.on("data", (chunk) => {
      out += chunk
    })
    child.on("exit", () => report(out))
  })
})

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
    `${handler} on Node ${node.version}, ${count} invocations${nodeFlags.length > 0 ? `, ${nodeFlags.join(" ")}` : ""}: ` +
      `${kib(allocated)} KiB allocated and ${kib(promoted)} KiB promoted per invocation (counted at scavenges), ` +
      `${scavenges} scavenges, ${full} full collections; peak RSS ${(peak / 1048576).toFixed(1)} MiB, ` +
      `${((cpu * 1e6) / count).toFixed(0)} µs of CPU per invocation (start included)`
  )
}

await finished
