/**
 * Preloaded (`node --import`) in heap-profile mode: V8's sampling heap profiler, keeping the samples of objects
 * that the GC has already collected, so the profile shows where the client allocates (not what stays live).
 * On SIGTERM it writes the profile to $BENCH_HEAP_PROFILE and exits.
 */
import * as Fs from "node:fs"
import * as Inspector from "node:inspector"

const session = new Inspector.Session()
session.connect()
session.post("HeapProfiler.startSampling", {
  samplingInterval: 8192,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true
})
process.prependListener("SIGTERM", () => {
  session.post("HeapProfiler.stopSampling", (error, result) => {
    if (error === null) Fs.writeFileSync(process.env.BENCH_HEAP_PROFILE, JSON.stringify(result.profile))
    process.exit(0)
  })
})
