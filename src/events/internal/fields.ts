/**
 * Building blocks shared by the event schemas.
 *
 * @internal
 */
import * as Schema from "effect/Schema"

/** A key that may be absent (never `undefined` when present). */
export const optional = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true })

/** A mutable array, so decoded events stay assignable to hand-written event types. */
export const array = <S extends Schema.Schema.Any>(schema: S) => Schema.mutable(Schema.Array(schema))

/** Keep fields the schema does not name, so a decoded event loses nothing AWS adds later. */
export const preserve = { parseOptions: { onExcessProperty: "preserve" } } as const

/** A JSON object of anything. */
export const UnknownRecord = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** Tumbling-window fields Lambda adds to stream events when the mapping has a window. */
export const windowFields = {
  window: optional(Schema.Struct({ start: Schema.String, end: Schema.String })),
  state: optional(UnknownRecord),
  shardId: optional(Schema.String),
  eventSourceARN: optional(Schema.String),
  isFinalInvokeForWindow: optional(Schema.Boolean),
  isWindowTerminatedEarly: optional(Schema.Boolean)
}
