/**
 * Soak: `npm run soak [-- --invocations N --every M --limit-mb L]`.
 *
 * Bundles `examples/echo.ts` as the README deploys it (esbuild, one ESM file) and runs it as a real runtime process
 * against a minimal Runtime API on 127.0.0.1 (raw sockets,
 * keep-alive) for 100,000 invocations, checks that each one is answered exactly once with its own event, samples
 * the process's RSS every 10,000 invocations and fails unless the samples stay within 40 MB of each other.
 */
import * as ChildProcess from "node:child_process"
import * as FileSystem from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const total = arg("invocations", 100_000)
const every = arg("every", 10_000)
const limitMb = arg("limit-mb", 40)
const root = Path.resolve(import.meta.dirname, "..")

const rssMb = (pid) => {
  try {
    const status = FileSystem.readFileSync(`/proc/${pid}/status`, "utf8")
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1])
    if (Number.isFinite(kb)) return kb / 1024
  } catch {}
  const kb = Number(ChildProcess.execFileSync("ps", ["-o", "rss=", "-p", String(pid)], { encoding: "utf8" }).trim())
  return kb / 1024
}

let served = 0
let answered = 0
const pending = new Map()
const samples = []
const violations = []
let child
let finish

const done = new Promise((resolve) => {
  finish = resolve
})

const invocation = (n) => {
  const id = `soak-${n}`
  const body = JSON.stringify({ n, text: "soak", list: [n, n + 1, n + 2] })
  pending.set(id, body)
  return (
    `HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: ${id}\r\nLambda-Runtime-Deadline-Ms: ${Date.now() + 60_000}\r\n` +
    "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:soak\r\n" +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  )
}

const accepted = 'HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"status":"OK"}'

const server = Net.createServer((socket) => {
  socket.setNoDelay(true)
  socket.on("error", () => {})
  let buffer = Buffer.alloc(0)
  socket.on("data", (data) => {
    buffer = buffer.length === 0 ? data : Buffer.concat([buffer, data])
    for (;;) {
      const end = buffer.indexOf("\r\n\r\n")
      if (end === -1) return
      const head = buffer.toString("latin1", 0, end)
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0)
      if (buffer.length < end + 4 + length) return
      const body = buffer.toString("utf8", end + 4, end + 4 + length)
      buffer = buffer.subarray(end + 4 + length)
      if (head.startsWith("GET")) {
        if (served < total) socket.write(invocation(served++))
        continue
      }
      const id = /\/invocation\/([^/]+)\/response /.exec(head)?.[1]
      const expected = id === undefined ? undefined : pending.get(id)
      if (expected === undefined) violations.push(`unexpected or doubled reply: ${head.split("\r\n")[0]}`)
      else if (expected !== body) violations.push(`wrong body for ${id}`)
      if (id !== undefined) pending.delete(id)
      socket.write(accepted)
      answered++
      if (answered % every === 0) {
        const mb = rssMb(child.pid)
        samples.push({ invocations: answered, rssMb: mb })
        console.log(`${String(answered).padStart(7)} invocations  RSS ${mb.toFixed(1)} MB`)
      }
      if (answered >= total) finish()
    }
  })
})

const dir = FileSystem.mkdtempSync(Path.join(Os.tmpdir(), "soak-"))
const bundle = Path.join(dir, "index.mjs")
ChildProcess.execFileSync(
  Path.join(root, "node_modules/.bin/esbuild"),
  [
    "examples/echo.ts",
    "--bundle",
    "--minify",
    "--platform=node",
    "--format=esm",
    `--outfile=${bundle}`,
    '--banner:js=import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
    "--log-level=error"
  ],
  { cwd: root }
)

await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
const address = `127.0.0.1:${server.address().port}`
child = ChildProcess.spawn(process.execPath, [bundle], {
  cwd: root,
  env: { PATH: process.env.PATH ?? "", AWS_LAMBDA_RUNTIME_API: address, AWS_LAMBDA_LOG_LEVEL: "WARN" },
  stdio: ["ignore", "ignore", "inherit"]
})
child.on("exit", (code) => {
  if (answered < total) {
    console.error(`the runtime exited (${code}) after ${answered} invocations`)
    process.exit(1)
  }
})

const started = Date.now()
await done
const seconds = (Date.now() - started) / 1000
child.kill("SIGTERM")
server.close()
FileSystem.rmSync(dir, { recursive: true, force: true })

const values = samples.map((s) => s.rssMb)
const spread = Math.max(...values) - Math.min(...values)
console.log(
  `${answered} invocations in ${seconds.toFixed(1)} s, each answered once: ${violations.length === 0 && pending.size === 0}; ` +
    `RSS ${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)} MB (spread ${spread.toFixed(1)} MB, ` +
    `limit ${limitMb} MB); Node ${process.version}`
)
for (const violation of violations.slice(0, 10)) console.error(violation)
if (violations.length > 0 || pending.size > 0 || spread > limitMb) {
  console.error("soak: FAILED")
  process.exit(1)
}
console.log("soak: OK")
