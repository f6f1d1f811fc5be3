/**
 * The closure rewrite (`propertyClosures`) applied to a bundler's output files: a script with its external or inline
 * source map, in memory or on disk. Shared by the esbuild plugin and the `young-closures` command.
 *
 * @internal
 */
import * as FileSystem from "node:fs"
import * as PropertyClosures from "./propertyClosures.js"

/** Whether `path` is a script esbuild writes (`.js`, `.mjs`, `.cjs`). */
export const isScript = (path: string): boolean =>
  path.endsWith(".js") || path.endsWith(".mjs") || path.endsWith(".cjs")

const inlineMapPrefix = "//# sourceMappingURL=data:application/json;base64,"

/** The base64 of an inline source map and where it starts, when the code ends with one. */
const findInlineMap = (code: string): { readonly start: number; readonly end: number } | undefined => {
  const at = code.lastIndexOf(inlineMapPrefix)
  if (at === -1) return undefined
  const start = at + inlineMapPrefix.length
  let end = start
  while (end < code.length && code.charCodeAt(end) > 32) end++
  // Only a comment that ends the file is esbuild's (anything after it but whitespace means it is something else).
  return code.slice(end).trim() === "" ? { start, end } : undefined
}

/** What the rewrite did to one output file. */
export interface Rewritten {
  readonly code: string
  readonly map: string | undefined
  readonly sites: number
  readonly skipped?: string
}

/**
 * Rewrite one output's code, its external map (if any) and its inline map (if any). The format is the file's
 * (`.mjs` module, `.cjs` script) or the build's; code that does not parse as that is tried as the other.
 */
export const rewrite = (path: string, code: string, map: string | undefined, format: string | undefined): Rewritten => {
  const preferred: "esm" | "cjs" = path.endsWith(".mjs")
    ? "esm"
    : path.endsWith(".cjs")
      ? "cjs"
      : format === "esm"
        ? "esm"
        : "cjs"
  let used = preferred
  let done = PropertyClosures.rewrite({ code, map, format: used })
  if (done.skipped !== undefined) {
    const other = PropertyClosures.rewrite({ code, map, format: preferred === "esm" ? "cjs" : "esm" })
    if (other.skipped === undefined) {
      done = other
      used = preferred === "esm" ? "cjs" : "esm"
    }
  }
  if (done.skipped !== undefined || done.sites === 0) return done
  const inline = findInlineMap(done.code)
  if (inline === undefined) return done
  // The inline map describes the code before the rewrite: shift it by the same insertions (the comment holding it
  // comes after every site, so its own position does not matter).
  const original = findInlineMap(code)
  if (original === undefined) return done
  const inlineMap = Buffer.from(code.slice(original.start, original.end), "base64").toString("utf8")
  const shifted = PropertyClosures.rewrite({ code, map: inlineMap, format: used }).map
  if (shifted === undefined) return done
  return {
    ...done,
    code:
      done.code.slice(0, inline.start) + Buffer.from(shifted, "utf8").toString("base64") + done.code.slice(inline.end)
  }
}

/**
 * Rewrite the script at `path` in place, and its external source map at `mapPath` (if given) to match; a file with no
 * site, or one that does not parse, is not written.
 */
export const rewriteFile = (path: string, mapPath: string | undefined, format?: string): Rewritten => {
  const done = rewrite(
    path,
    FileSystem.readFileSync(path, "utf8"),
    mapPath === undefined ? undefined : FileSystem.readFileSync(mapPath, "utf8"),
    format
  )
  if (done.skipped === undefined && done.sites > 0) {
    FileSystem.writeFileSync(path, done.code)
    if (mapPath !== undefined && done.map !== undefined) FileSystem.writeFileSync(mapPath, done.map)
  }
  return done
}
