/** The README's "Testing a handler" example, verbatim but for the import paths. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestRuntimeApi } from "../../src/index.js"
import { handler } from "../../examples/order.js"

describe("order", () => {
  it.effect("replies with the order", () =>
    Effect.gen(function* () {
      const result = yield* TestRuntimeApi.invoke(handler, { id: "42" })
      assert.deepStrictEqual(result, TestRuntimeApi.json({ id: "42", total: 12.5 }))
    })
  )

  it.effect("reports OrderNotFound", () =>
    Effect.gen(function* () {
      const result = yield* TestRuntimeApi.invoke(handler, { id: "7" })
      assert.strictEqual(result._tag === "Error" && result.report.errorType, "OrderNotFound")
    })
  )
})
