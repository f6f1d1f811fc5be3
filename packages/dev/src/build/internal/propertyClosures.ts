/**
 * Closures assigned straight to a property, rewritten so that V8 allocates them in the young generation.
 *
 * V8's parser pretenures a function literal that is the right-hand side of an assignment (`=`, `||=`, `&&=`, `??=`)
 * to a property (`o.f = () => x`, `this.f = function () {}`, `o[k] = …`): the closure is created directly in the old
 * generation, on the expectation that it becomes a long-lived method. Until the code creating it is optimized, each
 * such closure is an old object pointing at its young context, so every scavenge keeps that context and everything it
 * reaches alive, and promotes it; only a full collection frees it. Effect builds its primitives this way
 * (`effect.effect_instruction_i0 = resume => …` in `async`, `() => self` in `uninterruptible`, the masks of `onExit`),
 * so each invocation's fiber, its effects and the buffers they capture reached the old generation during warm-up.
 *
 * The rewrite wraps the function in a comma expression, `o.f = (0, () => x)`: the same value, no call, no change to
 * the function's `name` (an assignment to a property names nothing) or its `this`, and no longer a function literal
 * for the parser's rule. It runs on esbuild's minified output, because esbuild's syntax minifier removes the `0, `
 * again when it sees it in a module; the source map is shifted by the inserted characters, so every position in it
 * still points at the same original code.
 *
 * @internal
 */
import * as SourcemapCodec from "@jridgewell/sourcemap-codec"
import * as Acorn from "acorn"
import * as AcornWalk from "acorn-walk"

/** What {@link rewrite} did to one bundle. */
export interface Rewritten {
  readonly code: string
  /** The source map of `code`: the input map with its generated columns shifted; `undefined` without an input map. */
  readonly map: string | undefined
  /** How many closures were wrapped. */
  readonly sites: number
  /** Why nothing was rewritten although the code was not empty (a syntax the parser does not know). */
  readonly skipped?: string
}

const prefix = "(0,"
const suffix = ")"

const assignsToProperty = (operator: string): boolean =>
  operator === "=" || operator === "||=" || operator === "&&=" || operator === "??="

/**
 * The start and end offsets of every function literal that is the right-hand side of an assignment to a property.
 * A parenthesized right-hand side is found too (the parser sees through parentheses).
 */
export const findSites = (code: string, sourceType: "module" | "script"): ReadonlyArray<readonly [number, number]> => {
  const program = Acorn.parse(code, {
    ecmaVersion: "latest",
    sourceType,
    allowHashBang: true,
    allowReturnOutsideFunction: sourceType === "script",
    allowAwaitOutsideFunction: true
  })
  const sites: Array<readonly [number, number]> = []
  AcornWalk.simple(program, {
    AssignmentExpression: (node) => {
      const right = node.right
      if (
        assignsToProperty(node.operator) &&
        node.left.type === "MemberExpression" &&
        (right.type === "ArrowFunctionExpression" || right.type === "FunctionExpression")
      ) {
        sites.push([right.start, right.end])
      }
    }
  })
  return sites
}

/** Offsets of the starts of lines, counted at `\n` as esbuild counts the generated lines of its source map. */
const lineStarts = (code: string): Array<number> => {
  const starts = [0]
  for (let i = code.indexOf("\n"); i !== -1; i = code.indexOf("\n", i + 1)) starts.push(i + 1)
  return starts
}

/**
 * Shift the generated columns of `map` (a source map v3 of `code`) by the characters inserted at `insertions`
 * (offset in `code` → inserted length, sorted by offset): a segment at or after an insertion on its line moves right.
 */
const shiftMap = (map: string, code: string, insertions: ReadonlyArray<readonly [number, number]>): string => {
  const parsed = JSON.parse(map) as { mappings: string }
  const lines = SourcemapCodec.decode(parsed.mappings)
  const starts = lineStarts(code)
  // Per generated line: the columns of its insertions and the total inserted up to and including each.
  const byLine = new Map<number, { columns: Array<number>; totals: Array<number> }>()
  let line = 0
  for (const [offset, length] of insertions) {
    while (line + 1 < starts.length && (starts[line + 1] ?? Infinity) <= offset) line++
    const entry = byLine.get(line) ?? { columns: [], totals: [] }
    entry.columns.push(offset - (starts[line] ?? 0))
    entry.totals.push((entry.totals.at(-1) ?? 0) + length)
    byLine.set(line, entry)
  }
  for (const [index, entry] of byLine) {
    const segments = lines[index]
    if (segments === undefined) continue
    let k = 0
    for (const segment of segments) {
      while (k < entry.columns.length && (entry.columns[k] ?? Infinity) <= segment[0]) k++
      if (k > 0) segment[0] += entry.totals[k - 1] ?? 0
    }
  }
  return JSON.stringify({ ...parsed, mappings: SourcemapCodec.encode(lines) })
}

/**
 * Wrap every function literal assigned straight to a property in `code` (a bundle) as `(0, …)`, and shift `map`, its
 * source map, to match. Code the parser cannot read is returned unchanged, with the reason in `skipped`.
 */
export const rewrite = (options: {
  readonly code: string
  readonly map?: string | undefined
  readonly format: "esm" | "cjs"
}): Rewritten => {
  const { code, map, format } = options
  let sites: ReadonlyArray<readonly [number, number]>
  try {
    sites = findSites(code, format === "esm" ? "module" : "script")
  } catch (error) {
    return { code, map, sites: 0, skipped: error instanceof Error ? error.message : String(error) }
  }
  if (sites.length === 0) return { code, map, sites: 0 }
  // Sites may nest (a closure assigned to a property inside another one): insert by offset, not site by site.
  const insertions = sites
    .flatMap(([start, end]) => [[start, prefix] as const, [end, suffix] as const])
    .sort((a, b) => a[0] - b[0])
  const parts: Array<string> = []
  let at = 0
  for (const [offset, text] of insertions) {
    parts.push(code.slice(at, offset), text)
    at = offset
  }
  parts.push(code.slice(at))
  return {
    code: parts.join(""),
    map:
      map === undefined
        ? undefined
        : shiftMap(
            map,
            code,
            insertions.map(([offset, text]) => [offset, text.length] as const)
          ),
    sites: sites.length
  }
}
