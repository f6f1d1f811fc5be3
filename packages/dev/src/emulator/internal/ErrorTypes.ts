/**
 * Every `errorType` string the emulator and the CLI produce or match, defined once. The one the runtime reports
 * too comes from the runtime's public module.
 *
 * @internal
 */
import { ResponseSizeTooLargeType } from "effect-lambda-runtime/ResponseSink"

/** A reply over the size Lambda accepts (the runtime reports the same type for a streamed reply). */
export const ResponseSizeTooLarge = ResponseSizeTooLargeType
/** A failure whose type the function did not say. */
export const Unknown = "Runtime.Unknown"
/** The function's process exited during an invocation. */
export const ExitError = "Runtime.ExitError"
/** The Runtime API refused the runtime's reply. */
export const InvalidResponse = "Runtime.InvalidResponse"
/** The function's entry does not parse. */
export const UserCodeSyntaxError = "Runtime.UserCodeSyntaxError"
/** The function's entry (or one of its imports) cannot be loaded. */
export const ImportModuleError = "Runtime.ImportModuleError"
/** No entry, or the entry exports no handler. */
export const HandlerNotFound = "Runtime.HandlerNotFound"
/** The invocation (or init) ran past its timeout. */
export const Timedout = "Sandbox.Timedout"
