/**
 * Experiment only (cold-start.mjs): `effect/Schema` replaced by `Data.TaggedError`, to measure what loading
 * Schema costs a bundle whose handler uses no schema. Enough of Schema's surface for the runtime's error classes.
 */
import * as Data from "effect/Data"

export const TaggedError = () => (tag) => Data.TaggedError(tag)
export const isSchema = () => false
export const decodeUnknown = () => () => {
  throw new Error("schema stub: this bundle cannot decode with a schema")
}
const any = new Proxy(() => any, { get: () => any, apply: () => any })
export {
  any as Array,
  any as Boolean,
  any as Defect,
  any as Literal,
  any as Number,
  any as optional,
  any as String,
  any as Struct,
  any as Union,
  any as Unknown
}
