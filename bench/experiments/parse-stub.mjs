/**
 * Experiment only (cold-start.mjs, `no-schema-at-all`): `effect/ParseResult` replaced by a stub, with
 * `effect/Schema` stubbed too (schema-stub.mjs), so that no Schema module is left in a bundle whose handler uses
 * no schema: what `Handler`'s reference to `ParseResult` (its schema decoding) costs such a function.
 */
export const decodeUnknown = () => () => {
  throw new Error("parse stub: this bundle cannot decode with a schema")
}
export const ArrayFormatter = { formatIssueSync: () => [] }
