/**
 * Preloaded (`node --import`) in memory mode (`run.mjs --memory`): what a client's resident memory is made of.
 * Every 20 ms (an unref'd timer) it reads VmRSS and keeps the full sample of the largest one; on SIGTERM it takes a
 * last sample, writes `{ peak, last }` to $BENCH_MEMORY_FILE and exits. A sample: `process.memoryUsage()`, V8's heap
 * spaces and code statistics, and /proc/self/status (RssAnon: heap, malloc, stacks; RssFile: the mapped node binary
 * and libraries). In the cold scenario the client is stopped at its first `/next`, so `last` is "after init".
 */
import * as Fs from "node:fs"
import * as V8 from "node:v8"

const MiB = 1024 * 1024

const statusKb = (status, field) => {
  const at = status.indexOf(`${field}:`)
  return at === -1 ? 0 : Number.parseInt(status.slice(at + field.length + 1).trimStart(), 10)
}

const rssNow = () => statusKb(Fs.readFileSync("/proc/self/status", "latin1"), "VmRSS")

const sample = () => {
  const status = Fs.readFileSync("/proc/self/status", "latin1")
  const usage = process.memoryUsage()
  const spaces = {}
  for (const s of V8.getHeapSpaceStatistics()) {
    spaces[s.space_name] = {
      size: s.space_size / MiB,
      used: s.space_used_size / MiB,
      physical: s.physical_space_size / MiB
    }
  }
  const code = V8.getHeapCodeStatistics()
  const heap = V8.getHeapStatistics()
  return {
    rss: usage.rss / MiB,
    hwm: statusKb(status, "VmHWM") / 1024,
    rssAnon: statusKb(status, "RssAnon") / 1024,
    rssFile: statusKb(status, "RssFile") / 1024,
    heapTotal: usage.heapTotal / MiB,
    heapUsed: usage.heapUsed / MiB,
    heapPhysical: heap.total_physical_size / MiB,
    mallocedMemory: heap.malloced_memory / MiB,
    external: usage.external / MiB,
    arrayBuffers: usage.arrayBuffers / MiB,
    spaces,
    code: {
      codeAndMetadata: code.code_and_metadata_size / MiB,
      bytecodeAndMetadata: code.bytecode_and_metadata_size / MiB,
      externalScriptSource: code.external_script_source_size / MiB
    },
    threads: statusKb(status, "Threads"),
    uptimeMs: process.uptime() * 1000
  }
}

let peak = sample()
let peakRss = peak.rss
const timer = setInterval(() => {
  const rss = rssNow() / 1024
  if (rss > peakRss) {
    peakRss = rss
    peak = sample()
  }
}, 20)
timer.unref()

/** The anonymous mappings with resident pages (heap arenas, V8 spaces, stacks), largest first. */
const anonymousMappings = () => {
  const out = []
  let current
  for (const line of Fs.readFileSync("/proc/self/smaps", "latin1").split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (head !== null) {
      current = { range: `${head[1]}-${head[2]}`, perms: head[3], name: head[4], sizeKb: 0, rssKb: 0 }
      if (head[4] === "" || head[4].startsWith("[")) out.push(current)
      continue
    }
    if (current === undefined) continue
    if (line.startsWith("Size:")) current.sizeKb = Number.parseInt(line.slice(5), 10)
    if (line.startsWith("Rss:")) current.rssKb = Number.parseInt(line.slice(4), 10)
  }
  return out.filter((m) => m.rssKb > 0).sort((a, b) => b.rssKb - a.rssKb)
}

process.prependListener("SIGTERM", () => {
  const last = {
    ...sample(),
    mappings: anonymousMappings(),
    peakMalloced: V8.getHeapStatistics().peak_malloced_memory / MiB
  }
  if (last.rss >= peakRss) peak = last
  Fs.writeFileSync(process.env.BENCH_MEMORY_FILE, JSON.stringify({ peak, last }))
  process.exit(0)
})
