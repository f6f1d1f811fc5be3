/**
 * Preloaded (`node --import`) in heap-profile mode: V8's sampling heap profiler, keeping the samples of objects
 * that the GC has already collected, so the profile shows where the client allocates (not what stays live).
 * On SIGTERM it writes the profile to $BENCH_HEAP_PROFILE and exits. With BENCH_HEAP_SURVIVORS=1 it drops the samples
 * of objects a scavenge collected: what is left is what survived the young generation (promoted to the old
 * generation, whether a mark-compact collected it later or it is still live), i.e. what makes the old space grow.
 */
import * as Fs from "node:fs"
import * as Inspector from "node:inspector"

const session = new Inspector.Session()
session.connect()
session.post("HeapProfiler.startSampling", {
  samplingInterval: 8192,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: process.env.BENCH_HEAP_SURVIVORS !== "1"
})
process.prependListener("SIGTERM", () => {
  session.post("HeapProfiler.stopSampling", (error, result) => {
    if (error === null) Fs.writeFileSync(process.env.BENCH_HEAP_PROFILE, JSON.stringify(result.profile))
    process.exit(0)
  })
})
