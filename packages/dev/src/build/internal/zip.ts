/**
 * `function.zip`: the deployment package, written with yazl. Each entry carries its Unix mode (the `bootstrap`
 * script and the Node.js binary are executable) and a fixed timestamp, so the same inputs give the same zip.
 */
import * as FileSystem from "node:fs"
import * as Stream from "node:stream/promises"
import * as yazl from "yazl"

export type Source =
  | { readonly _tag: "Bytes"; readonly bytes: Uint8Array }
  | { readonly _tag: "File"; readonly path: string }

export interface Entry {
  /** The path inside the zip (`bootstrap`, `bin/node`). */
  readonly name: string
  readonly source: Source
  /** `0o755` for executables, `0o644` otherwise. */
  readonly mode: number
}

const regularFile = 0o100000

const fixedTime = new Date(Date.UTC(2020, 0, 1))

/** Write `entries` to `path`, in the given order. Resolves with the zip's size in bytes. */
export const write = async (path: string, entries: ReadonlyArray<Entry>): Promise<number> => {
  const zip = new yazl.ZipFile()
  const done = Stream.pipeline(zip.outputStream, FileSystem.createWriteStream(path))
  for (const entry of entries) {
    // The external attributes hold the whole Unix mode: the regular-file type and the permission bits.
    const options = { mode: regularFile | entry.mode, mtime: fixedTime, compress: true }
    if (entry.source._tag === "Bytes") {
      zip.addBuffer(Buffer.from(entry.source.bytes), entry.name, options)
    } else {
      zip.addFile(entry.source.path, entry.name, options)
    }
  }
  zip.end()
  await done
  return (await FileSystem.promises.stat(path)).size
}
