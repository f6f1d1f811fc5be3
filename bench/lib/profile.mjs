/**
 * Summarize a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per source file, with
 * bundle positions mapped back to the original sources through the bundle's source map.
 */
import * as Fs from "node:fs"
import { SourceMap } from "node:module"
import * as Path from "node:path"
import * as Url from "node:url"

const sourceMaps = new Map()

const sourceMapFor = (url) => {
  if (!url.startsWith("file://")) return undefined
  if (sourceMaps.has(url)) return sourceMaps.get(url)
  let map
  try {
    const file = Url.fileURLToPath(url)
    map = new SourceMap(JSON.parse(Fs.readFileSync(`${file}.map`, "utf8")))
  } catch {
    map = undefined
  }
  sourceMaps.set(url, map)
  return map
}

/** Where a profile node's function is, as `file:line` relative to `root`, through the source map when there is one. */
const locate = (callFrame, root) => {
  const { url, lineNumber, columnNumber } = callFrame
  if (url === "") return { file: "(native)", where: "(native)" }
  if (!url.startsWith("file://")) return { file: url, where: `${url}:${lineNumber + 1}` }
  const map = sourceMapFor(url)
  const entry = map?.findEntry(lineNumber, columnNumber)
  if (entry?.originalSource !== undefined) {
    const source = entry.originalSource.startsWith("file://")
      ? Url.fileURLToPath(entry.originalSource)
      : Path.resolve(Path.dirname(Url.fileURLToPath(url)), entry.originalSource)
    const file = Path.relative(root, source)
    return { file, where: `${file}:${entry.originalLine + 1}` }
  }
  const file = Path.relative(root, Url.fileURLToPath(url))
  return { file, where: `${file}:${lineNumber + 1}` }
}

/** A short group name for a source file: the package (effect, @effect/platform-node, …), node internals, or the file. */
const groupOf = (file) => {
  if (file.startsWith("node:")) return "node internals"
  const nm = file.lastIndexOf("node_modules/")
  if (nm !== -1) {
    const rest = file.slice(nm + 13).split("/")
    const pkg = rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]
    const inner = rest.slice(rest[0].startsWith("@") ? 2 : 1)
    const dist = inner.indexOf("esm")
    const tail = dist === -1 ? inner.join("/") : inner.slice(dist + 1).join("/")
    return `${pkg}/${tail}`
  }
  return file
}

/**
 * `window`: [from, to] in µs on CLOCK_MONOTONIC (process.hrtime), the clock of V8's profiles; samples outside
 * are ignored, so init and shutdown do not count.
 * @returns {{ totalMs: number, idleMs: number, functions: Array<{ name: string, where: string, selfMs: number, share: number }>, files: Array<{ file: string, selfMs: number, share: number }> }}
 */
export const summarize = (profileFile, root, window) => {
  const profile = JSON.parse(Fs.readFileSync(profileFile, "utf8"))
  const selfUs = new Map()
  // Sample i was taken at startTime + the sum of timeDeltas[0..i] (µs, CLOCK_MONOTONIC); the time it stands for
  // is the gap to the next sample. Only samples inside `window` (when given) count.
  let at = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0
    if (window !== undefined && (at < window[0] || at > window[1])) continue
    const id = profile.samples[i]
    const weight = profile.timeDeltas[i + 1] ?? 0
    selfUs.set(id, (selfUs.get(id) ?? 0) + weight)
  }
  const byFunction = new Map()
  const byFile = new Map()
  let total = 0
  let idle = 0
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0
    if (us === 0) continue
    const name = node.callFrame.functionName || "(anonymous)"
    if (name === "(idle)") {
      idle += us
      continue
    }
    total += us
    const { file, where } = locate(node.callFrame, root)
    const key = `${name} ${where}`
    const entry = byFunction.get(key) ?? { name, where, us: 0 }
    entry.us += us
    byFunction.set(key, entry)
    const group = node.callFrame.url === "" && name.startsWith("(") ? name : groupOf(file)
    byFile.set(group, (byFile.get(group) ?? 0) + us)
  }
  const functions = [...byFunction.values()]
    .sort((a, b) => b.us - a.us)
    .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, share: f.us / total }))
  const files = [...byFile.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([file, us]) => ({ file, selfMs: us / 1000, share: us / total }))
  return { totalMs: total / 1000, idleMs: idle / 1000, functions, files }
}

/**
 * Summarize a sampling heap profile (`HeapProfiler.stopSampling`, with collected objects kept): bytes allocated
 * per function and per package / source file.
 * @returns {{ totalBytes: number, functions: Array<{ name: string, where: string, bytes: number, share: number }>, files: Array<{ file: string, bytes: number, share: number }> }}
 */
export const summarizeHeap = (profileFile, root) => {
  const profile = JSON.parse(Fs.readFileSync(profileFile, "utf8"))
  const byFunction = new Map()
  const byFile = new Map()
  let total = 0
  const visit = (node) => {
    if (node.selfSize > 0) {
      total += node.selfSize
      const name = node.callFrame.functionName || "(anonymous)"
      const { file, where } = locate(node.callFrame, root)
      const key = `${name} ${where}`
      const entry = byFunction.get(key) ?? { name, where, bytes: 0 }
      entry.bytes += node.selfSize
      byFunction.set(key, entry)
      const group = node.callFrame.url === "" && name.startsWith("(") ? name : groupOf(file)
      byFile.set(group, (byFile.get(group) ?? 0) + node.selfSize)
    }
    for (const child of node.children) visit(child)
  }
  visit(profile.head)
  return {
    totalBytes: total,
    functions: [...byFunction.values()]
      .sort((a, b) => b.bytes - a.bytes)
      .map((f) => ({ ...f, share: f.bytes / total })),
    files: [...byFile.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([file, bytes]) => ({ file, bytes, share: bytes / total }))
  }
}
