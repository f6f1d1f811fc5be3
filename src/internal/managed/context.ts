/**
 * The managed runtime's context object → the runtime's `InvocationContext`.
 *
 * @internal
 */
import * as Option from "effect/Option"
import type { LambdaContext } from "../../ManagedRuntime.js"
import * as InvocationContext from "../../services/InvocationContext.js"

const TRACE_ENV = "_X_AMZN_TRACE_ID"

const objectOf = <A>(value: unknown): A | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as A) : undefined

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value === "" ? undefined : value

/**
 * Fill an `InvocationContext` from the context object: the deadline is now + `getRemainingTimeInMillis()`, the trace
 * id is the context's `xRayTraceId`, else `_X_AMZN_TRACE_ID` (which the runtime sets per invocation when it serves
 * one invocation at a time).
 *
 * @internal
 */
export const fromLambdaContext = (context: LambdaContext): InvocationContext.Context => {
  const remaining = Number(context.getRemainingTimeInMillis())
  const traceId = nonEmpty(context.xRayTraceId) ?? nonEmpty(process.env[TRACE_ENV])
  const clientContext = objectOf<InvocationContext.ClientContext>(context.clientContext)
  const cognitoIdentity = objectOf<InvocationContext.CognitoIdentity>(context.identity)
  const tenantId = nonEmpty(context.tenantId)
  const made = InvocationContext.make({
    requestId: context.awsRequestId,
    deadlineMs: Date.now() + (Number.isFinite(remaining) ? Math.max(0, Math.floor(remaining)) : 0),
    functionArn: context.invokedFunctionArn,
    ...(traceId === undefined ? {} : { traceId }),
    ...(clientContext === undefined ? {} : { clientContext }),
    ...(cognitoIdentity === undefined ? {} : { cognitoIdentity }),
    ...(tenantId === undefined ? {} : { tenantId })
  })
  return { ...made, invocationId: Option.none() }
}
