/**
 * Readers of /proc for a client process and its descendants: CPU time (utime + stime, all threads) and
 * peak resident memory (VmHWM). Linux only.
 */
import * as Fs from "node:fs"

const TICKS_PER_SECOND = 100 // USER_HZ; getconf CLK_TCK is 100 on every Linux/x86_64 and arm64 kernel

/** The pids of `pid` and all its descendants (depth-first), through /proc/<pid>/task/<tid>/children. */
export const processTree = (pid) => {
  const out = []
  const visit = (p) => {
    out.push(p)
    let tasks
    try {
      tasks = Fs.readdirSync(`/proc/${p}/task`)
    } catch {
      return
    }
    for (const tid of tasks) {
      let children = ""
      try {
        children = Fs.readFileSync(`/proc/${p}/task/${tid}/children`, "latin1")
      } catch {
        continue
      }
      for (const child of children.split(" ")) if (child !== "") visit(Number(child))
    }
  }
  visit(pid)
  return out
}

/** CPU seconds (user + system, every thread, reaped children included) of one process; 0 when it is gone. */
export const cpuSeconds = (pid) => {
  let stat
  try {
    stat = Fs.readFileSync(`/proc/${pid}/stat`, "latin1")
  } catch {
    return 0
  }
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  // fields[0] is field 3 (state): utime = field 14, stime = 15, cutime = 16, cstime = 17.
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])
  return ticks / TICKS_PER_SECOND
}

/** CPU seconds of a process tree. */
export const treeCpuSeconds = (pid) => {
  let total = 0
  for (const p of processTree(pid)) total += cpuSeconds(p)
  return total
}

const statusField = (pid, field) => {
  let status
  try {
    status = Fs.readFileSync(`/proc/${pid}/status`, "latin1")
  } catch {
    return 0
  }
  const at = status.indexOf(`${field}:`)
  if (at === -1) return 0
  return Number.parseInt(status.slice(at + field.length + 1).trimStart(), 10) * 1024
}

/** Peak resident set size (VmHWM) of a process tree, in bytes: the sum of each live process's peak. */
export const treePeakRss = (pid) => {
  let total = 0
  for (const p of processTree(pid)) total += statusField(p, "VmHWM")
  return total
}

/** Current resident set size (VmRSS) of a process tree, in bytes. */
export const treeRss = (pid) => {
  let total = 0
  for (const p of processTree(pid)) total += statusField(p, "VmRSS")
  return total
}

/**
 * CPU seconds of a process from the scheduler's own accounting: the sum over its live threads of
 * /proc/<pid>/task/<tid>/schedstat's first field (ns on CPU). Precise (utime/stime are sampled at ticks), but a
 * thread that exited is no longer counted; undefined when schedstat is not available.
 */
export const schedSeconds = (pid) => {
  let tasks
  try {
    tasks = Fs.readdirSync(`/proc/${pid}/task`)
  } catch {
    return 0
  }
  let ns = 0
  for (const tid of tasks) {
    try {
      ns += Number(Fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "latin1").split(" ")[0])
    } catch {
      return undefined
    }
  }
  return ns / 1e9
}

/** {@link schedSeconds} of a process tree, or undefined when schedstat is not available. */
export const treeSchedSeconds = (pid) => {
  let total = 0
  for (const p of processTree(pid)) {
    const s = schedSeconds(p)
    if (s === undefined) return undefined
    total += s
  }
  return total
}
