/**
 * Experiment only (snapshot-entry.ts): evaluated before any other module of the snapshot entry.
 *
 * Node 22 (22.23) aborts `--build-snapshot` (`std::length_error`, `vector::_M_range_insert`) when the heap holds an
 * `Error` whose stack trace was captured but never read: V8 keeps the raw call sites until `.stack` is first read,
 * and Node 22's serializer cannot write them. Effect creates such errors when its modules are evaluated
 * (`Context.GenericTag` keeps one for the tag's `stack`), so evaluating `effect/Effect` alone is enough to abort.
 * Node 24 builds the same entry without this. The workaround: while the snapshot is being built, `Error` is a
 * subclass that reads `.stack` at once (formatting it, which drops the call sites); the deserialized main restores
 * the native `Error` (`restoreError`), so at run time errors are created as usual.
 */
import * as v8 from "node:v8"

const NativeError = globalThis.Error

class SnapshotError extends NativeError {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options)
    void this.stack
  }
}

if (v8.startupSnapshot?.isBuildingSnapshot()) globalThis.Error = SnapshotError as ErrorConstructor

/** Put the native `Error` back (call it first in the deserialized main). */
export const restoreError = (): void => {
  globalThis.Error = NativeError
}
