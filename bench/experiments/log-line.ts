/**
 * Experiment (run with run-experiment.mjs): what the runtime's one log line per failed invocation costs, written the
 * way `logInvokeError` writes it now (directly, when the Lambda logger is the only one) against
 * `Effect.logError` through Effect's logger dispatch (what it did before), in one process, in alternating batches
 * (so both see the same machine), inside an invocation (InvocationContext provided), the line going to a no-op
 * writer. Prints µs per line for each and their ratio, the median over batches.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import { logInvokeError } from "../../src/internal/logInvokeError.js"
import * as LambdaLogger from "../../src/layers/LambdaLogger.js"
import * as InvocationContext from "../../src/services/InvocationContext.js"
import * as ErrorReport from "../../src/streaming/ErrorReport.js"

const format = process.argv[2] === "JSON" ? "JSON" : "Text"
const perBatch = Number(process.argv[3] ?? 2000)
const batches = Number(process.argv[4] ?? 41)
let bytes = 0
const layer = LambdaLogger.layer({
  format,
  level: "INFO",
  write: (line) => {
    bytes += line.length
  }
})
const report = ErrorReport.make("OrderNotFound", "order 42 was not found")
const cause = Cause.fail({ _tag: "OrderNotFound" })
const line = `Invoke Error: ${report.errorType}: ${report.errorMessage}`
const direct = logInvokeError(report, cause)
const viaDispatch = Effect.logError(line)

const timeBatch = (log: Effect.Effect<void>) =>
  Effect.sync(() => process.hrtime.bigint()).pipe(
    Effect.zipLeft(Effect.repeatN(log, perBatch - 1)),
    Effect.flatMap((t0) => Effect.sync(() => Number(process.hrtime.bigint() - t0) / 1000 / perBatch))
  )

const program = Effect.gen(function* () {
  const a: Array<number> = []
  const b: Array<number> = []
  for (let i = 0; i < batches; i++) {
    a.push(yield* timeBatch(direct))
    b.push(yield* timeBatch(viaDispatch))
  }
  return { a, b }
}).pipe(
  Effect.provideService(
    InvocationContext.InvocationContext,
    InvocationContext.make({ requestId: "3f6c9a2e-5b1d-4c7a-9e8f-000000000001" })
  ),
  Effect.provide(layer)
)

const median = (values: ReadonlyArray<number>) => [...values].sort((x, y) => x - y)[values.length >> 1]!
const { a, b } = Effect.runSync(program)
const ratios = a.map((x, i) => x / b[i]!)
console.log(
  `${format} failure line, ${batches} batches of ${perBatch} (median): direct ${median(a).toFixed(2)} µs/line, ` +
    `Effect.logError ${median(b).toFixed(2)} µs/line, direct / logError ${median(ratios).toFixed(2)} ` +
    `(${(bytes / 1024 / 1024).toFixed(1)} MiB written)`
)
