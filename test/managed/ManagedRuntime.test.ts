/**
 * `ManagedRuntime.toHandler` in-process: the function contract of the managed runtime (`(event, context)` resolving
 * with the reply's value, or rejecting with an `Error` named after the report's `errorType`), the init failures,
 * and the deadline. The same paths run under the official client in `ManagedRuntime.ric.test.ts`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Schema } from "effect"
import { handler as order } from "../../examples/order.js"
import { handler as stream } from "../../examples/stream.js"
import { Handler, InvocationContext } from "../../src/index.js"
import * as ManagedRuntime from "../../src/ManagedRuntime.js"

const lambdaContext = (requestId: string, remainingMs = 30_000): ManagedRuntime.LambdaContext => {
  const deadline = Date.now() + remainingMs
  return {
    awsRequestId: requestId,
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:unit",
    getRemainingTimeInMillis: () => deadline - Date.now()
  }
}

const buffered = (fn: ManagedRuntime.ManagedHandler) => fn as ManagedRuntime.BufferedFunction

/** The rejection of `promise` (fails the test when it resolves). */
const rejection = (promise: Promise<unknown>) =>
  Effect.flip(Effect.tryPromise({ try: () => promise, catch: (error) => error as Error }))

class Missing extends Schema.TaggedError<Missing>()("Missing", { what: Schema.String }) {
  override get message() {
    return `${this.what} is missing`
  }
}

class Table extends Context.Tag("test/Table")<Table, string>() {}

describe("ManagedRuntime.toHandler (in process)", () => {
  it.live("a buffered handler resolves with the reply's value and rejects with an Error named after the _tag", () =>
    Effect.gen(function* () {
      const fn = buffered(yield* Effect.promise(() => ManagedRuntime.toHandler(order)))
      assert.strictEqual(fn.length, 2)
      const value = yield* Effect.promise(() => fn({ id: "42" }, lambdaContext("r-1")))
      assert.deepStrictEqual(value, { id: "42", total: 12.5 })
      const error = yield* rejection(fn({ id: "7" }, lambdaContext("r-2")))
      assert.instanceOf(error, Error)
      assert.strictEqual(error.name, "OrderNotFound")
      assert.strictEqual(error.message, "order 7 was not found")
    })
  )

  it.live("the handler reads its InvocationContext and the services of the Layer built at init", () =>
    Effect.gen(function* () {
      let builds = 0
      const layer = Layer.effect(
        Table,
        Effect.sync(() => {
          builds++
          return "orders"
        })
      )
      const handler = Handler.effect(() =>
        Effect.gen(function* () {
          const context = yield* InvocationContext.InvocationContext
          return { table: yield* Table, requestId: context.requestId, arn: context.functionArn }
        })
      )
      const fn = buffered(yield* Effect.promise(() => ManagedRuntime.toHandler(handler, { layer })))
      const first = yield* Effect.promise(() => fn({}, lambdaContext("r-a")))
      const second = yield* Effect.promise(() => fn({}, lambdaContext("r-b")))
      assert.deepStrictEqual(first, {
        table: "orders",
        requestId: "r-a",
        arn: "arn:aws:lambda:us-east-1:123456789012:function:unit"
      })
      assert.deepStrictEqual(second, { ...(first as object), requestId: "r-b" })
      assert.strictEqual(builds, 1)
    })
  )

  it.live("a Layer that fails rejects toHandler itself with an Error named after the failure's _tag", () =>
    Effect.gen(function* () {
      const handler = Handler.effect(() => Table)
      const layer = Layer.fail(new Missing({ what: "the table" }))
      const error = yield* rejection(ManagedRuntime.toHandler(handler, { layer }))
      assert.strictEqual(error.name, "Missing")
      assert.strictEqual(error.message, "the table is missing")
    })
  )

  it.live("a streamed handler outside the managed runtime (no awslambda.streamifyResponse) is an init error", () =>
    Effect.gen(function* () {
      // `@aws/lambda-invoke-store` (loaded by the runtime) creates an empty `awslambda` global for its store; only
      // the managed runtime adds `streamifyResponse` to it
      const global = globalThis as { awslambda?: { streamifyResponse?: unknown } }
      assert.isUndefined(global.awslambda?.streamifyResponse)
      const error = yield* rejection(ManagedRuntime.toHandler(stream))
      assert.strictEqual(error.name, "Runtime.StreamingUnavailable")
      assert.include(error.message, "awslambda.streamifyResponse")
    })
  )

  it.live("the deadline interrupts the invocation before it and reports Runtime.DeadlineExceeded", () =>
    Effect.gen(function* () {
      let finalized = false
      const handler = Handler.effect(() =>
        Effect.never.pipe(
          Effect.ensuring(
            Effect.sync(() => {
              finalized = true
            })
          )
        )
      )
      const fn = buffered(yield* Effect.promise(() => ManagedRuntime.toHandler(handler)))
      const error = yield* rejection(fn({}, lambdaContext("r-slow", 400)))
      assert.strictEqual(error.name, "Runtime.DeadlineExceeded")
      assert.isTrue(finalized)
    })
  )

  it("types: the layer is required exactly when the handler needs services, and must provide them", () => {
    // Checked by tsc (npm run typecheck); never called.
    const calls = () => {
      const needs = Handler.effect(() => Table)
      const free = Handler.effect(() => Effect.succeed(1))
      void ManagedRuntime.toHandler(free)
      void ManagedRuntime.toHandler(needs, { layer: Layer.succeed(Table, "orders") })
      // @ts-expect-error the layer is required
      void ManagedRuntime.toHandler(needs)
      // @ts-expect-error the layer must provide Table
      void ManagedRuntime.toHandler(needs, { layer: Layer.empty })
    }
    assert.isFunction(calls)
  })
})
