import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Option, TestClock } from "effect"
import * as InvocationContext from "../../src/services/InvocationContext.js"

const { Headers } = InvocationContext

const ARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders:live"
const TRACE = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"

const base: Record<string, string> = {
  [Headers.requestId]: "req-1",
  [Headers.deadline]: "1700000000123",
  [Headers.functionArn]: ARN
}

const decode = (headers: Record<string, string>): InvocationContext.Context => {
  const result = InvocationContext.fromHeaders("req-1", headers)
  if (result instanceof InvocationContext.MalformedInvocation) return assert.fail(result.message)
  return result
}

const malformed = (headers: Record<string, string>): InvocationContext.MalformedInvocation => {
  const result = InvocationContext.fromHeaders("req-1", headers)
  if (result instanceof InvocationContext.MalformedInvocation) return result
  return assert.fail(`expected MalformedInvocation, got a context for ${result.requestId}`)
}

const without = (name: string): Record<string, string> => {
  const copy = { ...base }
  delete copy[name]
  return copy
}

describe("InvocationContext.fromHeaders", () => {
  it("decodes every field", () => {
    const clientContext = {
      client: { installation_id: "i-1", app_title: "App" },
      custom: { k: "v" },
      env: { platform: "Android" }
    }
    const cognito = { cognitoIdentityId: "id-1", cognitoIdentityPoolId: "pool-1" }
    const ctx = decode({
      ...base,
      [Headers.traceId]: TRACE,
      [Headers.clientContext]: JSON.stringify(clientContext),
      [Headers.cognitoIdentity]: JSON.stringify(cognito),
      [Headers.tenantId]: "tenant-7",
      [Headers.invocationId]: "nonce-9"
    })
    assert.strictEqual(ctx.requestId, "req-1")
    assert.strictEqual(ctx.deadlineMs, 1700000000123)
    assert.strictEqual(ctx.functionArn, ARN)
    assert.deepStrictEqual(ctx.traceId, Option.some(TRACE))
    assert.deepStrictEqual(ctx.clientContext, Option.some(clientContext))
    assert.deepStrictEqual(ctx.cognitoIdentity, Option.some(cognito))
    assert.deepStrictEqual(ctx.tenantId, Option.some("tenant-7"))
    assert.deepStrictEqual(ctx.invocationId, Option.some("nonce-9"))
  })

  it("optional headers that are absent or empty are None", () => {
    for (const ctx of [
      decode(base),
      decode({
        ...base,
        [Headers.traceId]: "",
        [Headers.clientContext]: "",
        [Headers.cognitoIdentity]: "",
        [Headers.tenantId]: "",
        [Headers.invocationId]: ""
      })
    ]) {
      assert.isTrue(Option.isNone(ctx.traceId))
      assert.isTrue(Option.isNone(ctx.clientContext))
      assert.isTrue(Option.isNone(ctx.cognitoIdentity))
      assert.isTrue(Option.isNone(ctx.tenantId))
      assert.isTrue(Option.isNone(ctx.invocationId))
    }
  })

  it("a JSON null client context or cognito identity is None", () => {
    const ctx = decode({ ...base, [Headers.clientContext]: "null", [Headers.cognitoIdentity]: "null" })
    assert.isTrue(Option.isNone(ctx.clientContext))
    assert.isTrue(Option.isNone(ctx.cognitoIdentity))
  })

  it("a missing deadline is MalformedInvocation naming the header", () => {
    const error = malformed(without(Headers.deadline))
    assert.strictEqual(error._tag, "MalformedInvocation")
    assert.strictEqual(error.header, "lambda-runtime-deadline-ms")
    assert.include(error.message, "lambda-runtime-deadline-ms")
  })

  it("an empty deadline is MalformedInvocation", () => {
    assert.strictEqual(malformed({ ...base, [Headers.deadline]: "" }).header, Headers.deadline)
  })

  for (const bad of ["soon", "-5000", "1700000000123.5", "1e12", " 1700000000123", "0x10", "99999999999999999999"]) {
    it(`a deadline of ${JSON.stringify(bad)} is MalformedInvocation`, () => {
      const error = malformed({ ...base, [Headers.deadline]: bad })
      assert.strictEqual(error.header, Headers.deadline)
      assert.include(error.message, Headers.deadline)
      assert.include(error.message, JSON.stringify(bad))
    })
  }

  it("a missing or empty function ARN is MalformedInvocation naming the header", () => {
    for (const headers of [without(Headers.functionArn), { ...base, [Headers.functionArn]: "" }]) {
      const error = malformed(headers)
      assert.strictEqual(error.header, "lambda-runtime-invoked-function-arn")
      assert.include(error.message, "lambda-runtime-invoked-function-arn")
    }
  })

  it("a client context that is not JSON is MalformedInvocation naming the header", () => {
    const error = malformed({ ...base, [Headers.clientContext]: "{client:" })
    assert.strictEqual(error.header, "lambda-runtime-client-context")
    assert.include(error.message, "lambda-runtime-client-context")
    assert.include(error.reason, "not valid JSON")
  })

  it("a client context that is a JSON string is MalformedInvocation", () => {
    assert.strictEqual(malformed({ ...base, [Headers.clientContext]: '"text"' }).header, Headers.clientContext)
  })

  it("a cognito identity that is a JSON array is MalformedInvocation naming the header", () => {
    const error = malformed({ ...base, [Headers.cognitoIdentity]: '["id-1"]' })
    assert.strictEqual(error.header, "lambda-runtime-cognito-identity")
    assert.include(error.message, "lambda-runtime-cognito-identity")
    assert.include(error.reason, "not a JSON object")
  })

  it("a cognito identity that is not JSON is MalformedInvocation", () => {
    assert.strictEqual(malformed({ ...base, [Headers.cognitoIdentity]: "id-1" }).header, Headers.cognitoIdentity)
  })

  it("uses the request id argument", () => {
    const result = InvocationContext.fromHeaders("other-id", base)
    assert.isFalse(result instanceof InvocationContext.MalformedInvocation)
    if (!(result instanceof InvocationContext.MalformedInvocation)) assert.strictEqual(result.requestId, "other-id")
  })

  it("reports MalformedInvocation as Runtime.MalformedInvocation", () => {
    assert.strictEqual(InvocationContext.MalformedInvocationType, "Runtime.MalformedInvocation")
  })

  describe("remainingTime", () => {
    it.effect("is the deadline minus the Clock's time", () =>
      Effect.gen(function* () {
        const ctx = decode({ ...base, [Headers.deadline]: "5000" })
        assert.strictEqual(Duration.toMillis(yield* ctx.remainingTime), 5000)
        yield* TestClock.adjust("1 second")
        assert.strictEqual(Duration.toMillis(yield* ctx.remainingTime), 4000)
        yield* TestClock.adjust("3999 millis")
        assert.strictEqual(Duration.toMillis(yield* ctx.remainingTime), 1)
      })
    )

    it.effect("is zero, never negative, after the deadline", () =>
      Effect.gen(function* () {
        const ctx = decode({ ...base, [Headers.deadline]: "5000" })
        yield* TestClock.adjust("6 seconds")
        assert.strictEqual(Duration.toMillis(yield* ctx.remainingTime), 0)
      })
    )

    it.effect("works the same for a context built with make", () =>
      Effect.gen(function* () {
        const ctx = InvocationContext.make({ requestId: "r", deadlineMs: 2500 })
        yield* TestClock.adjust("500 millis")
        assert.strictEqual(Duration.toMillis(yield* ctx.remainingTime), 2000)
      })
    )
  })
})

describe("InvocationContext.make", () => {
  it("fills the defaults and wraps optional fields in Option", () => {
    const ctx = InvocationContext.make({ requestId: "r", tenantId: "t" })
    assert.strictEqual(ctx.requestId, "r")
    assert.include(ctx.functionArn, "arn:aws:lambda:")
    assert.isAbove(ctx.deadlineMs, Date.now())
    assert.deepStrictEqual(ctx.tenantId, Option.some("t"))
    assert.isTrue(Option.isNone(ctx.traceId))
  })

  it.effect("the service is absent outside an invocation", () =>
    Effect.gen(function* () {
      assert.isTrue(Option.isNone(yield* Effect.serviceOption(InvocationContext.InvocationContext)))
    })
  )
})
