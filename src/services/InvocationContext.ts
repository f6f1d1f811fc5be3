/**
 * Per-invocation facts, decoded from the headers of `/next` and provided to the handler's fiber.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import { Tag } from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ErrorTypes from "../internal/ErrorTypes.js"

/**
 * Mobile client context (`Lambda-Runtime-Client-Context`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientContext {
  readonly client?: Record<string, unknown>
  readonly custom?: Record<string, unknown>
  readonly env?: Record<string, unknown>
  readonly [key: string]: unknown
}

/**
 * Cognito identity (`Lambda-Runtime-Cognito-Identity`).
 *
 * @since 0.1.0
 * @category models
 */
export interface CognitoIdentity {
  readonly cognitoIdentityId?: string
  readonly cognitoIdentityPoolId?: string
  readonly [key: string]: unknown
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Context {
  readonly requestId: string
  /** Absolute deadline, Unix epoch milliseconds. */
  readonly deadlineMs: number
  readonly functionArn: string
  readonly traceId: Option.Option<string>
  readonly clientContext: Option.Option<ClientContext>
  readonly cognitoIdentity: Option.Option<CognitoIdentity>
  readonly tenantId: Option.Option<string>
  /** The per-invocation nonce echoed on the reply (`Lambda-Runtime-Invocation-Id`). */
  readonly invocationId: Option.Option<string>
  /** Time left until the deadline, read from Effect's `Clock` (so `TestClock` controls it). */
  readonly remainingTime: Effect.Effect<Duration.Duration>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class InvocationContext extends Tag("effect-lambda-runtime/InvocationContext")<InvocationContext, Context>() {}

/**
 * The `/next` headers were not a valid invocation. Reported to `/error` as `Runtime.MalformedInvocation`.
 *
 * @since 0.1.0
 * @category errors
 */
export class MalformedInvocation extends Data.TaggedError("MalformedInvocation")<{
  readonly header: string
  readonly reason: string
}> {
  override get message(): string {
    return `invalid ${this.header} header: ${this.reason}`
  }
}

/**
 * `errorType` reported for a {@link MalformedInvocation}.
 *
 * @since 0.1.0
 * @category constants
 */
export const MalformedInvocationType = ErrorTypes.MalformedInvocation

/**
 * The header names of `/next`, lower-case.
 *
 * @since 0.1.0
 * @category constants
 */
export const Headers = {
  requestId: "lambda-runtime-aws-request-id",
  deadline: "lambda-runtime-deadline-ms",
  functionArn: "lambda-runtime-invoked-function-arn",
  traceId: "lambda-runtime-trace-id",
  clientContext: "lambda-runtime-client-context",
  cognitoIdentity: "lambda-runtime-cognito-identity",
  tenantId: "lambda-runtime-aws-tenant-id",
  invocationId: "lambda-runtime-invocation-id"
} as const

const optionalString = (value: string | undefined): Option.Option<string> =>
  value === undefined || value === "" ? Option.none() : Option.some(value)

const parseJsonObject = <A>(
  headers: Readonly<Record<string, string>>,
  header: string
): Option.Option<A> | MalformedInvocation => {
  const raw = headers[header]
  if (raw === undefined || raw === "") return Option.none()
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (e) {
    return new MalformedInvocation({ header, reason: `not valid JSON (${(e as Error).message})` })
  }
  if (parsed === null) return Option.none()
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    return new MalformedInvocation({ header, reason: "not a JSON object" })
  }
  return Option.some(parsed as A)
}

/**
 * Decode an invocation's context from its `/next` headers (names lower-case). The request id is taken as
 * given (the transport checks it is present). A missing or non-numeric deadline, a missing function ARN,
 * or a client context / cognito identity that is not a JSON object fails with {@link MalformedInvocation}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromHeaders = (
  requestId: string,
  headers: Readonly<Record<string, string>>
): Context | MalformedInvocation => {
  const rawDeadline = headers[Headers.deadline]
  if (rawDeadline === undefined || rawDeadline === "") {
    return new MalformedInvocation({ header: Headers.deadline, reason: "missing" })
  }
  const deadlineMs = Number(rawDeadline)
  if (!/^\d+$/.test(rawDeadline) || !Number.isSafeInteger(deadlineMs)) {
    return new MalformedInvocation({
      header: Headers.deadline,
      reason: `${JSON.stringify(rawDeadline)} is not epoch ms`
    })
  }
  const functionArn = headers[Headers.functionArn]
  if (functionArn === undefined || functionArn === "") {
    return new MalformedInvocation({ header: Headers.functionArn, reason: "missing" })
  }
  const clientContext = parseJsonObject<ClientContext>(headers, Headers.clientContext)
  if (clientContext instanceof MalformedInvocation) return clientContext
  const cognitoIdentity = parseJsonObject<CognitoIdentity>(headers, Headers.cognitoIdentity)
  if (cognitoIdentity instanceof MalformedInvocation) return cognitoIdentity
  return {
    requestId,
    deadlineMs,
    functionArn,
    traceId: optionalString(headers[Headers.traceId]),
    clientContext,
    cognitoIdentity,
    tenantId: optionalString(headers[Headers.tenantId]),
    invocationId: optionalString(headers[Headers.invocationId]),
    remainingTime: remaining(deadlineMs)
  }
}

const remaining = (deadlineMs: number): Effect.Effect<Duration.Duration> =>
  Effect.map(Clock.currentTimeMillis, (now) => Duration.millis(Math.max(0, deadlineMs - now)))

/**
 * Build a context directly (tests, emulators). `deadlineMs` defaults to 30 s from `Date.now()`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (fields: {
  readonly requestId: string
  readonly deadlineMs?: number
  readonly functionArn?: string
  readonly traceId?: string
  readonly clientContext?: ClientContext
  readonly cognitoIdentity?: CognitoIdentity
  readonly tenantId?: string
  readonly invocationId?: string
}): Context => {
  const deadlineMs = fields.deadlineMs ?? Date.now() + 30_000
  return {
    requestId: fields.requestId,
    deadlineMs,
    functionArn: fields.functionArn ?? "arn:aws:lambda:us-east-1:123456789012:function:test-function",
    traceId: Option.fromNullable(fields.traceId),
    clientContext: Option.fromNullable(fields.clientContext),
    cognitoIdentity: Option.fromNullable(fields.cognitoIdentity),
    tenantId: Option.fromNullable(fields.tenantId),
    invocationId: Option.fromNullable(fields.invocationId),
    remainingTime: remaining(deadlineMs)
  }
}
