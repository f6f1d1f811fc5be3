/**
 * DynamoDB attribute values (`{ "S": "x" }`, `{ "N": "1" }`, …) to plain values and back.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"

/** @internal */
export type AttributeValue =
  | { readonly S: string }
  | { readonly N: string }
  | { readonly B: string }
  | { readonly BOOL: boolean }
  | { readonly NULL: boolean }
  | { readonly SS: Array<string> }
  | { readonly NS: Array<string> }
  | { readonly BS: Array<string> }
  | { readonly L: Array<AttributeValue> }
  | { readonly M: { readonly [name: string]: AttributeValue } }

/** @internal */
export type Value =
  | string
  | number
  | bigint
  | boolean
  | null
  | Uint8Array
  | ReadonlySet<string>
  | ReadonlySet<number | bigint>
  | ReadonlySet<Uint8Array>
  | ReadonlyArray<Value>
  | { readonly [name: string]: Value }

/** Where an attribute value is wrong, and why. */
export class Invalid {
  constructor(
    readonly path: ReadonlyArray<PropertyKey>,
    readonly message: string
  ) {}
}

const numberPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const integerPattern = /^[+-]?\d+$/

const isObject = (u: unknown): u is { readonly [key: string]: unknown } =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const describe = (u: unknown): string => {
  if (u === undefined) return "undefined"
  const json = JSON.stringify(u)
  return json.length > 60 ? `${json.slice(0, 57)}...` : json
}

const tags = ["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"] as const

/** A DynamoDB number: as `number`, except an integer no double holds exactly, which is a `bigint`. */
const parseNumber = (raw: unknown, path: ReadonlyArray<PropertyKey>): number | bigint => {
  if (typeof raw !== "string" || !numberPattern.test(raw)) {
    throw new Invalid(path, `Expected a DynamoDB number string, actual ${describe(raw)}`)
  }
  if (integerPattern.test(raw)) {
    const n = Number(raw)
    if (Number.isSafeInteger(n)) return n
    const big = BigInt(raw)
    return BigInt(n) === big ? n : big
  }
  const n = Number(raw)
  if (!Number.isFinite(n)) throw new Invalid(path, `Expected a finite number, actual ${describe(raw)}`)
  return n
}

const parseBinary = (raw: unknown, path: ReadonlyArray<PropertyKey>): Uint8Array => {
  if (typeof raw !== "string") throw new Invalid(path, `Expected a base64 string, actual ${describe(raw)}`)
  const bytes = Encoding.decodeBase64(raw)
  if (Either.isLeft(bytes)) throw new Invalid(path, `Expected a base64 string, actual ${describe(raw)}`)
  return bytes.right
}

const stringArray = (raw: unknown, path: ReadonlyArray<PropertyKey>): ReadonlyArray<string> => {
  if (!Array.isArray(raw)) throw new Invalid(path, `Expected an array, actual ${describe(raw)}`)
  raw.forEach((item, i) => {
    if (typeof item !== "string") throw new Invalid([...path, i], `Expected a string, actual ${describe(item)}`)
  })
  return raw
}

/** Throws {@link Invalid}. */
const unmarshallAt = (av: unknown, path: ReadonlyArray<PropertyKey>): Value => {
  if (!isObject(av))
    throw new Invalid(path, `Expected an attribute value ({ "S": … }, { "N": … }, …), actual ${describe(av)}`)
  const keys = Object.keys(av)
  const tag = keys.length === 1 ? tags.find((t) => t === keys[0]) : undefined
  if (tag === undefined) {
    throw new Invalid(
      path,
      `Expected an attribute value with exactly one of ${tags.join(", ")}, actual keys ${describe(keys)}`
    )
  }
  const raw = av[tag]
  const at = [...path, tag]
  switch (tag) {
    case "S":
      if (typeof raw !== "string") throw new Invalid(at, `Expected a string, actual ${describe(raw)}`)
      return raw
    case "N":
      return parseNumber(raw, at)
    case "B":
      return parseBinary(raw, at)
    case "BOOL":
      if (typeof raw !== "boolean") throw new Invalid(at, `Expected a boolean, actual ${describe(raw)}`)
      return raw
    case "NULL":
      if (raw !== true) throw new Invalid(at, `Expected true, actual ${describe(raw)}`)
      return null
    case "SS":
      return new Set(stringArray(raw, at))
    case "NS":
      return new Set(stringArray(raw, at).map((n, i) => parseNumber(n, [...at, i])))
    case "BS":
      return new Set(stringArray(raw, at).map((b, i) => parseBinary(b, [...at, i])))
    case "L":
      if (!Array.isArray(raw)) throw new Invalid(at, `Expected an array, actual ${describe(raw)}`)
      return raw.map((item, i) => unmarshallAt(item, [...at, i]))
    case "M":
      return unmarshallMapAt(raw, at)
  }
}

/** Set an own property, even one named `__proto__` (a plain assignment would set the object's prototype instead). */
const setOwn = <A>(out: { [name: string]: A }, key: string, value: A): void => {
  if (key === "__proto__")
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}

const unmarshallMapAt = (map: unknown, path: ReadonlyArray<PropertyKey>): { readonly [name: string]: Value } => {
  if (!isObject(map)) throw new Invalid(path, `Expected a map of attribute values, actual ${describe(map)}`)
  const out: { [name: string]: Value } = {}
  for (const key of Object.keys(map)) setOwn(out, key, unmarshallAt(map[key], [...path, key]))
  return out
}

const attempt = <A>(f: () => A): Either.Either<A, Invalid> => {
  try {
    return Either.right(f())
  } catch (error) {
    if (error instanceof Invalid) return Either.left(error)
    throw error
  }
}

/** An attribute value to a plain value, or where it is malformed. */
export const unmarshall = (av: unknown): Either.Either<Value, Invalid> => attempt(() => unmarshallAt(av, []))

/** A map of attribute values (an item image) to a plain object, or where it is malformed. */
export const unmarshallMap = (map: unknown): Either.Either<{ readonly [name: string]: Value }, Invalid> =>
  attempt(() => unmarshallMapAt(map, []))

/**
 * A number's DynamoDB form. An integer beyond 2^53 is written with all its digits (the double's exact value),
 * so that it reads back as the same number rather than as the bigint of its shortest printed form.
 */
const numberString = (n: number): string =>
  Number.isInteger(n) && !Number.isSafeInteger(n) ? BigInt(n).toString() : String(n)

/** Throws {@link Invalid}. */
const marshallAt = (value: unknown, path: ReadonlyArray<PropertyKey>): AttributeValue => {
  if (value === null) return { NULL: true }
  switch (typeof value) {
    case "string":
      return { S: value }
    case "boolean":
      return { BOOL: value }
    case "bigint":
      return { N: value.toString() }
    case "number":
      if (!Number.isFinite(value)) throw new Invalid(path, `DynamoDB has no number ${value}`)
      return { N: numberString(value) }
  }
  if (value instanceof Uint8Array) return { B: Encoding.encodeBase64(value) }
  if (value instanceof Set) {
    const items = Array.from(value as Set<unknown>)
    if (items.length === 0) throw new Invalid(path, "DynamoDB sets cannot be empty")
    if (items.every((item) => typeof item === "string")) return { SS: items }
    if (items.every((item) => typeof item === "bigint" || (typeof item === "number" && Number.isFinite(item)))) {
      return { NS: items.map((item) => (typeof item === "number" ? numberString(item) : String(item))) }
    }
    if (items.every((item) => item instanceof Uint8Array)) return { BS: items.map((b) => Encoding.encodeBase64(b)) }
    throw new Invalid(path, "A set must hold only strings, only numbers or only binary values")
  }
  if (Array.isArray(value)) return { L: value.map((item, i) => marshallAt(item, [...path, i])) }
  if (isObject(value)) return { M: marshallMapAt(value, path) }
  throw new Invalid(path, `DynamoDB has no attribute value for ${describe(value)}`)
}

const marshallMapAt = (
  map: { readonly [name: string]: unknown },
  path: ReadonlyArray<PropertyKey>
): { [name: string]: AttributeValue } => {
  const out: { [name: string]: AttributeValue } = {}
  for (const key of Object.keys(map)) setOwn(out, key, marshallAt(map[key], [...path, key]))
  return out
}

/** A plain value to an attribute value, or where it has no DynamoDB form. */
export const marshall = (value: unknown): Either.Either<AttributeValue, Invalid> => attempt(() => marshallAt(value, []))

/** A plain object to a map of attribute values, or where it has no DynamoDB form. */
export const marshallMap = (map: {
  readonly [name: string]: unknown
}): Either.Either<{ [name: string]: AttributeValue }, Invalid> => attempt(() => marshallMapAt(map, []))
