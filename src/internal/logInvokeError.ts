/**
 * How the runtime logs an invocation that ended in error: one ERROR line with the report's type and message;
 * a defect also gets its cause (the stack), an expected typed failure does not. Written directly by the Lambda
 * logger when it is the only one installed (see `directLog.ts`), through Effect's logging otherwise.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as LogLevel from "effect/LogLevel"
import { tryLog } from "./directLog.js"
import type * as ErrorReport from "../streaming/ErrorReport.js"

/** @internal */
export const logInvokeError = (
  report: ErrorReport.ErrorReport,
  cause: Cause.Cause<unknown>,
  context = "Invoke Error"
): Effect.Effect<void> => {
  const line = `${context}: ${report.errorType}: ${report.errorMessage}`
  const logged = Cause.isDie(cause) ? cause : Cause.empty
  return Effect.withFiberRuntime((fiber) => {
    // One line per failed invocation: written directly when only the Lambda logger would write it.
    if (tryLog(fiber, LogLevel.Error, line, logged)) return Effect.void
    return logged === cause ? Effect.logError(line, cause) : Effect.logError(line)
  })
}
