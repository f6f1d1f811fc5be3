/**
 * Preloaded (`node --import`) into the other clients in profile mode only: exit normally on SIGTERM, so that
 * `--cpu-prof` writes its profile (a process killed by a signal writes none).
 */
process.on("SIGTERM", () => process.exit(0))
