/**
 * effect-lambda-runtime: an AWS Lambda runtime for Node.js written with Effect.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Handler from "./handler/Handler.js"
/** @since 0.1.0 */
export * as LambdaRuntime from "./LambdaRuntime.js"
/** @since 0.1.0 */
export * as InvocationContext from "./services/InvocationContext.js"
/** @since 0.1.0 */
export * as ResponseSink from "./services/ResponseSink.js"
/** @since 0.1.0 */
export * as RuntimeApi from "./services/RuntimeApi.js"
/** @since 0.1.0 */
export * as RuntimeConfig from "./services/RuntimeConfig.js"
/** @since 0.1.0 */
export * as RuntimeLoop from "./services/RuntimeLoop.js"
/** @since 0.1.0 */
export * as ErrorReport from "./streaming/ErrorReport.js"
/** @since 0.1.0 */
export * as NodeRuntimeApi from "./layers/NodeRuntimeApi.js"
/** @since 0.1.0 */
export * as TestRuntimeApi from "./layers/TestRuntimeApi.js"
/** @since 0.1.0 */
export * as LambdaLogger from "./layers/LambdaLogger.js"
/** @since 0.1.0 */
export * as Encoders from "./streaming/Encoders.js"
/** @since 0.1.0 */
export * as HttpHandler from "./http/HttpHandler.js"
/** @since 0.1.0 */
export * as LambdaEvent from "./http/LambdaEvent.js"
/** @since 0.1.0 */
export * as HttpPrelude from "./streaming/HttpPrelude.js"
/** @since 0.1.0 */
export * as Batch from "./handler/Batch.js"
/** @since 0.1.0 */
export * as SqsEvent from "./events/SqsEvent.js"
/** @since 0.1.0 */
export * as SnsEvent from "./events/SnsEvent.js"
/** @since 0.1.0 */
export * as S3Event from "./events/S3Event.js"
/** @since 0.1.0 */
export * as EventBridgeEvent from "./events/EventBridgeEvent.js"
/** @since 0.1.0 */
export * as ScheduledEvent from "./events/ScheduledEvent.js"
/** @since 0.1.0 */
export * as KinesisEvent from "./events/KinesisEvent.js"
/** @since 0.1.0 */
export * as DynamoDbEvent from "./events/DynamoDbEvent.js"
