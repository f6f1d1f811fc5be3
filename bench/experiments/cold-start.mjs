/**
 * Experiment: what would shorten this runtime's cold start? Builds three variants of the echo function and times
 * spawn → first /next for each, interleaved with the official client and the bare loop:
 *
 * - `bundle`: handlers/echo.ts bundled and minified, as `npm run bench` runs it;
 * - `no-schema`: the same bundle with `effect/Schema` stubbed out (schema-stub.mjs): what Schema costs a bundle whose
 *   handler uses none (the runtime's error classes are `Schema.TaggedError`s);
 * - `snapshot`: a V8 startup snapshot (`node --build-snapshot`, snapshot-entry.ts): modules evaluated and code
 *   warmed at build time; started with `node --snapshot-blob`.
 *
 *   node bench/experiments/cold-start.mjs [spawns per variant, default 20]
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import * as Url from "node:url"
import * as esbuild from "esbuild"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const benchDir = Path.dirname(here)
const out = Path.join(benchDir, "build", "experiments")
Fs.mkdirSync(out, { recursive: true })
const BANNER = 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);'
const common = { bundle: true, minify: true, platform: "node", target: "node20", logLevel: "warning" }
const stub = Path.join(here, "schema-stub.mjs")

await esbuild.build({
  ...common,
  entryPoints: [Path.join(benchDir, "handlers", "echo.ts")],
  outfile: Path.join(out, "echo.mjs"),
  format: "esm",
  banner: { js: BANNER }
})
await esbuild.build({
  ...common,
  entryPoints: [Path.join(benchDir, "handlers", "echo.ts")],
  outfile: Path.join(out, "echo-no-schema.mjs"),
  format: "esm",
  banner: { js: BANNER },
  plugins: [
    {
      name: "schema-stub",
      setup: (build) =>
        build.onResolve({ filter: /^effect\/Schema$/ }, (args) => (args.importer === stub ? undefined : { path: stub }))
    }
  ]
})
await esbuild.build({
  ...common,
  entryPoints: [Path.join(here, "snapshot-entry.ts")],
  outfile: Path.join(out, "snapshot-entry.cjs"),
  format: "cjs"
})
const blob = Path.join(out, "echo.blob")
const built = ChildProcess.spawnSync(
  process.execPath,
  ["--snapshot-blob", blob, "--build-snapshot", Path.join(out, "snapshot-entry.cjs")],
  { stdio: "pipe", encoding: "utf8" }
)
if (built.status !== 0) throw new Error(`snapshot build failed: ${built.stderr}`)
const size = (file) => `${(Fs.statSync(file).size / 1024).toFixed(0)} KiB`
console.log(
  `bundle ${size(Path.join(out, "echo.mjs"))}, no-schema ${size(Path.join(out, "echo-no-schema.mjs"))}, snapshot blob ${size(blob)}`
)

const variants = {
  bundle: [Path.join(out, "echo.mjs")],
  "no-schema": [Path.join(out, "echo-no-schema.mjs")],
  snapshot: ["--snapshot-blob", blob],
  ric: [Path.join(benchDir, "node_modules", "aws-lambda-ric", "index.mjs"), "echo.handler"],
  bare: [Path.join(benchDir, "clients", "bare-loop.mjs")]
}

const event = Buffer.from('{"id":"42"}')
let onData
const server = Net.createServer((socket) => {
  socket.on("error", () => {})
  socket.on("data", (data) => onData?.(socket, data))
})
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
const env = {
  PATH: process.env.PATH,
  AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${server.address().port}`,
  _HANDLER: "echo.handler",
  LAMBDA_TASK_ROOT: Path.join(benchDir, "handlers", "js"),
  AWS_LAMBDA_FUNCTION_NAME: "bench",
  AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024",
  AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/bench",
  AWS_LAMBDA_LOG_STREAM_NAME: "bench"
}
const pin = ChildProcess.spawnSync("taskset", ["-c", "1", "true"]).status === 0

/** Spawn a variant; with `check`, answer one echo invocation and return the reply body; else time to first /next. */
const start = (name, check) =>
  new Promise((resolve) => {
    const args = [...variants[name]]
    const t0 = process.hrtime.bigint()
    const child = pin
      ? ChildProcess.spawn("taskset", ["-c", "1", process.execPath, ...args], { env, stdio: "ignore" })
      : ChildProcess.spawn(process.execPath, args, { env, stdio: "ignore" })
    let first
    onData = (socket, data) => {
      const text = data.toString("latin1")
      if (first === undefined) {
        first = Number(process.hrtime.bigint() - t0) / 1e6
        if (!check) {
          child.kill("SIGKILL")
          child.on("exit", () => resolve(first))
          return
        }
        socket.write(
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: r1\r\n" +
            `Lambda-Runtime-Deadline-Ms: ${Date.now() + 60_000}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:eu-west-1:1:function:bench\r\n` +
            `Content-Length: ${event.length}\r\n\r\n${event}`
        )
      } else if (text.startsWith("POST")) {
        socket.write('HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n\r\n{"status":"OK"}\n')
        child.kill("SIGKILL")
        child.on("exit", () => resolve(text.slice(text.indexOf("\r\n\r\n") + 4)))
      }
    }
  })

for (const name of Object.keys(variants)) {
  const reply = await start(name, true)
  if (reply !== event.toString()) throw new Error(`${name} replied ${JSON.stringify(reply)}`)
}
const spawns = Number(process.argv[2] ?? 20)
const times = Object.fromEntries(Object.keys(variants).map((name) => [name, []]))
for (let i = 0; i < spawns; i++) for (const name of Object.keys(variants)) times[name].push(await start(name, false))
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length % 2 === 1
    ? sorted[sorted.length >> 1]
    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2
}
console.log(`spawn → first /next, ${spawns} spawns each, interleaved${pin ? ", pinned to CPU 1" : ""}:`)
for (const [name, values] of Object.entries(times)) {
  console.log(
    `  ${name.padEnd(10)} median ${median(values).toFixed(1).padStart(6)} ms   min ${Math.min(...values).toFixed(1)} ms`
  )
}
server.close()
