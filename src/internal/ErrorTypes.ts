/**
 * Every `errorType` string the runtime reports, defined once. The public modules re-export the ones users match
 * on under their documented names (`ResponseSink.ResponseSizeTooLargeType`, `RuntimeLoop.DeadlineExceededType`,
 * `ErrorReport.InterruptedType`, …).
 *
 * @internal
 */

/** A reply (buffered or streamed) over the size Lambda accepts. */
export const ResponseSizeTooLarge = "Function.ResponseSizeTooLarge"
/** A failure that carries neither a `_tag` nor a `name`. */
export const FunctionError = "Function.Error"
/** The invocation's fiber was interrupted (shutdown) before it replied. */
export const Interrupted = "Runtime.Interrupted"
/** The handler ran past the invocation's deadline. */
export const DeadlineExceeded = "Runtime.DeadlineExceeded"
/** A `/next` answer whose headers do not describe an invocation. */
export const MalformedInvocation = "Runtime.MalformedInvocation"
/** The event is not JSON. */
export const MalformedEvent = "Runtime.MalformedEvent"
/** The event does not match the handler's schema. */
export const EventDecodeError = "Runtime.EventDecodeError"
/** The handler's result cannot be serialized (or encoded with its schema). */
export const SerializationError = "Runtime.SerializationError"
/** The HTTP adapter received an event of no source it knows. */
export const UnsupportedEvent = "Runtime.UnsupportedEvent"
/** A promise rejected with nobody to handle it: the process stops. */
export const UnhandledPromiseRejection = "Runtime.UnhandledPromiseRejection"
/** A buffered handler replied with a stream (managed runtime). */
export const InvalidReply = "Runtime.InvalidReply"
/** A streaming handler on a managed runtime without `awslambda.streamifyResponse`. */
export const StreamingUnavailable = "Runtime.StreamingUnavailable"
