/**
 * Properties of the DynamoDB attribute-value unmarshalling: plain values survive marshall → unmarshall, and
 * canonical attribute values survive unmarshall → marshall, through the public `Image` schema.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc, Schema } from "effect"
import * as DynamoDbEvent from "../../src/events/DynamoDbEvent.js"
import * as internal from "../../src/events/internal/attributeValue.js"

/**
 * Top-level attribute names: any string but `__proto__`, which Effect's `Schema.Record` drops (see the test that
 * pins it); nested maps keep every name.
 */
const name = fc.string().filter((key) => key !== "__proto__")

/** Integers no double holds exactly: these unmarshal as bigint. */
const unsafeInteger = fc
  .oneof(
    fc.bigInt({ min: BigInt(Number.MAX_SAFE_INTEGER) + 1n, max: 10n ** 38n - 1n }),
    fc.bigInt({ min: -(10n ** 38n) + 1n, max: BigInt(Number.MIN_SAFE_INTEGER) - 1n })
  )
  .filter((n) => BigInt(Number(n)) !== n)
const number = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0))
const bytes = fc.uint8Array({ maxLength: 16 }).map((b) => new Uint8Array(b))

/** Plain values as the unmarshaller produces them. */
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string(),
    number,
    unsafeInteger,
    fc.boolean(),
    fc.constant(null),
    bytes,
    fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 5 }).map((xs) => new Set(xs)),
    fc
      .uniqueArray(fc.oneof(number, unsafeInteger), { minLength: 1, maxLength: 5, selector: (n) => String(n) })
      .map((xs) => new Set(xs)),
    fc.array(bytes, { minLength: 1, maxLength: 4 }).map((xs) => new Set(xs)),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie("value"), { maxKeys: 4 })
  )
}))
const item = fc.dictionary(name, value, { maxKeys: 6 })

/** Sets → sorted arrays, bytes → arrays of numbers: a shape deepStrictEqual compares reliably. */
const normalize = (v: unknown): unknown => {
  if (v instanceof Uint8Array) return { bytes: Array.from(v) }
  if (v instanceof Set) return { set: Array.from(v, normalize) }
  if (Array.isArray(v)) return v.map(normalize)
  if (typeof v === "object" && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]))
  if (typeof v === "bigint") return { bigint: v.toString() }
  return v
}

describe("DynamoDB attribute values", () => {
  it("__proto__: an own attribute in nested maps, dropped at the top level (Effect's Schema.Record); never a prototype", () => {
    const wire = JSON.parse('{"__proto__":{"N":"1"},"a":{"M":{"__proto__":{"S":"x"},"b":{"S":"y"}}}}')
    const plain = Schema.decodeUnknownSync(DynamoDbEvent.Image)(wire) as Record<string, Record<string, unknown>>
    assert.deepStrictEqual(Object.keys(plain), ["a"])
    assert.strictEqual(Object.getPrototypeOf(plain), Object.prototype)
    assert.strictEqual(Object.getPrototypeOf(plain.a), Object.prototype)
    assert.deepStrictEqual(Object.keys(plain.a!), ["__proto__", "b"])
    assert.strictEqual(Object.getOwnPropertyDescriptor(plain.a, "__proto__")?.value, "x")
    const back = Schema.encodeSync(DynamoDbEvent.Image)(plain as DynamoDbEvent.Item)
    assert.strictEqual(JSON.stringify(back), '{"a":{"M":{"__proto__":{"S":"x"},"b":{"S":"y"}}}}')
  })

  it.prop(
    "plain item → attribute values → the same plain item",
    [item],
    ([plain]) => {
      const encoded = Schema.encodeSync(DynamoDbEvent.Image)(plain as DynamoDbEvent.Item)
      const decoded = Schema.decodeUnknownSync(DynamoDbEvent.Image)(JSON.parse(JSON.stringify(encoded)))
      assert.deepStrictEqual(normalize(decoded), normalize(plain))
    },
    { fastCheck: { numRuns: 500 } }
  )

  it.prop(
    "canonical attribute values → plain → the same attribute values",
    [item],
    ([plain]) => {
      const attributes = JSON.parse(JSON.stringify(Schema.encodeSync(DynamoDbEvent.Image)(plain as DynamoDbEvent.Item)))
      const again = Schema.encodeSync(DynamoDbEvent.Image)(Schema.decodeUnknownSync(DynamoDbEvent.Image)(attributes))
      assert.deepStrictEqual(again, attributes)
    },
    { fastCheck: { numRuns: 500 } }
  )

  it.prop("every well-formed attribute value passes the AttributeValue schema", [value], ([plain]) => {
    const av = Either.getOrThrow(internal.marshall(plain))
    assert.isTrue(Schema.is(DynamoDbEvent.AttributeValue)(av))
  })

  it("numbers: as number, except integers no double holds exactly, as bigint", () => {
    const decode = Schema.decodeUnknownSync(DynamoDbEvent.Image)
    assert.deepStrictEqual(
      decode({
        a: { N: "9007199254740991" },
        b: { N: "9007199254740993" },
        f: { N: "9007199254740992" },
        c: { N: "-1.5e3" },
        d: { N: "0.1" },
        e: { N: "1.0" }
      }),
      { a: 9007199254740991, b: 9007199254740993n, f: 9007199254740992, c: -1500, d: 0.1, e: 1 }
    )
  })

  it("encoding fails for values DynamoDB cannot hold, naming the path", () => {
    const encode = Schema.encodeEither(DynamoDbEvent.Image)
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [{ tags: new Set() }, "DynamoDB sets cannot be empty"],
      [{ tags: new Set(["a", 1]) }, "A set must hold only strings, only numbers or only binary values"],
      [{ nested: { list: [1, Number.POSITIVE_INFINITY] } }, "DynamoDB has no number Infinity"],
      [{ missing: undefined }, "DynamoDB has no attribute value for undefined"]
    ]
    for (const [input, message] of cases) {
      const result = encode(input as DynamoDbEvent.Item)
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) assert.include(result.left.message, message)
    }
    const deep = encode({ nested: { list: [1, Number.POSITIVE_INFINITY] } } as unknown as DynamoDbEvent.Item)
    if (Either.isLeft(deep)) assert.include(deep.left.message, `["nested"]["list"][1]`)
  })

  it("decoding rejects malformed attribute values with their path", () => {
    const decode = Schema.decodeUnknownEither(DynamoDbEvent.Image)
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [{ a: { NULL: false } }, "Expected true, actual false"],
      [{ a: { B: "***" } }, "Expected a base64 string"],
      [{ a: { SS: ["x", 1] } }, "Expected a string, actual 1"],
      [{ a: { X: "1" } }, "Expected an attribute value with exactly one of"],
      [{ a: "plain" }, "Expected an attribute value"]
    ]
    for (const [input, message] of cases) {
      const result = decode(input)
      assert.isTrue(Either.isLeft(result), JSON.stringify(input))
      if (Either.isLeft(result)) assert.include(result.left.message, message)
    }
  })
})
