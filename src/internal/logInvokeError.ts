/**
 * How the runtime logs an invocation that ended in error: one ERROR line with the report's type and message;
 * a defect also gets its cause (the stack), an expected typed failure does not.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as ErrorReport from "../streaming/ErrorReport.js"

/** @internal */
export const logInvokeError = (
  report: ErrorReport.ErrorReport,
  cause: Cause.Cause<unknown>,
  context = "Invoke Error"
): Effect.Effect<void> => {
  const line = `${context}: ${report.errorType}: ${report.errorMessage}`
  return Cause.isDie(cause) ? Effect.logError(line, cause) : Effect.logError(line)
}
