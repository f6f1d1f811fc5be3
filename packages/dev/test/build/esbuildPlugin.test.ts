/**
 * The closure rewrite as an esbuild plugin (`effect-lambda-dev/EsbuildPlugin`), in real esbuild builds of an Effect
 * program: written files (ES module, linked map), in-memory outputs (CommonJS, inline map), and a context's rebuilds.
 * Each bundle is run with `node`; each source map is compared with the one of the same build without the plugin.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as esbuild from "esbuild"
import * as ChildProcess from "node:child_process"
import * as FileSystem from "node:fs"
import * as Path from "node:path"
import { youngClosures } from "../../src/build/EsbuildPlugin.js"
import * as PropertyClosures from "../../src/build/internal/propertyClosures.js"
import { assertSameMappings, tempDir } from "./support.js"

const entry = Path.join(import.meta.dirname, "fixtures/young-closures-entry.ts")

const options = {
  entryPoints: [entry],
  bundle: true,
  minify: true,
  platform: "node",
  logLevel: "silent"
} satisfies esbuild.BuildOptions

const runNode = (file: string): string => ChildProcess.execFileSync(process.execPath, [file], { encoding: "utf8" })

const inlineMap = (code: string): string => {
  const marker = "//# sourceMappingURL=data:application/json;base64,"
  return Buffer.from(code.slice(code.lastIndexOf(marker) + marker.length).trim(), "base64").toString("utf8")
}

describe("EsbuildPlugin.youngClosures", () => {
  it.effect("written files (ES module, linked map): no site left, the bundle runs, the map maps as before", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir("el-esbuild-plugin-")
      const plain = Path.join(dir, "plain/index.mjs")
      const young = Path.join(dir, "young/index.mjs")
      yield* Effect.promise(() => esbuild.build({ ...options, format: "esm", sourcemap: "linked", outfile: plain }))
      let reported: ReadonlyMap<string, number> | undefined
      const result = yield* Effect.promise(() =>
        esbuild.build({
          ...options,
          format: "esm",
          sourcemap: "linked",
          outfile: young,
          plugins: [youngClosures({ onRewritten: (sites) => (reported = sites) })]
        })
      )
      assert.deepStrictEqual(result.warnings, [])
      const before = FileSystem.readFileSync(plain, "utf8")
      const after = FileSystem.readFileSync(young, "utf8")
      const sites = PropertyClosures.findSites(before, "module").length
      // Effect's primitives make several; every one is rewritten, and reported for the one script output.
      assert.isAbove(sites, 5)
      assert.deepStrictEqual(reported, new Map([[young, sites]]))
      assert.deepStrictEqual(PropertyClosures.findSites(after, "module"), [])
      assert.strictEqual(after.length, before.length + sites * "(0,)".length)
      assert.isAbove(
        assertSameMappings(
          { code: before, map: FileSystem.readFileSync(`${plain}.map`, "utf8") },
          { code: after, map: FileSystem.readFileSync(`${young}.map`, "utf8") }
        ),
        1000
      )
      assert.strictEqual(runNode(young), "answer 42\n")
    }).pipe(Effect.scoped)
  )

  it.effect("in-memory outputs (write: false, CommonJS, inline map): contents replaced, the inline map shifted", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir("el-esbuild-plugin-")
      const outfile = Path.join(dir, "index.cjs")
      const build = (plugins: Array<esbuild.Plugin>) =>
        Effect.promise(() =>
          esbuild.build({ ...options, format: "cjs", sourcemap: "inline", write: false, outfile, plugins })
        )
      const plain = yield* build([])
      const young = yield* build([youngClosures()])
      assert.strictEqual(young.outputFiles.length, 1)
      assert.isUndefined(young.metafile, "write: false needs no metafile, so the plugin asks for none")
      const before = plain.outputFiles[0]?.text ?? ""
      const after = young.outputFiles[0]?.text ?? ""
      assert.isAbove(PropertyClosures.findSites(before, "script").length, 5)
      assert.deepStrictEqual(PropertyClosures.findSites(after, "script"), [])
      assert.isAbove(
        assertSameMappings({ code: before, map: inlineMap(before) }, { code: after, map: inlineMap(after) }),
        1000
      )
      FileSystem.writeFileSync(outfile, young.outputFiles[0]?.contents ?? new Uint8Array())
      assert.strictEqual(runNode(outfile), "answer 42\n")
    }).pipe(Effect.scoped)
  )

  it.effect("a context's rebuilds (watch mode) leave the rewritten files rewritten once", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir("el-esbuild-plugin-")
      const outfile = Path.join(dir, "index.mjs")
      const context = yield* Effect.acquireRelease(
        Effect.promise(() =>
          esbuild.context({ ...options, format: "esm", sourcemap: "external", outfile, plugins: [youngClosures()] })
        ),
        (context) => Effect.promise(() => context.dispose())
      )
      yield* Effect.promise(() => context.rebuild())
      const first = FileSystem.readFileSync(outfile, "utf8")
      const firstMap = FileSystem.readFileSync(`${outfile}.map`, "utf8")
      yield* Effect.promise(() => context.rebuild())
      yield* Effect.promise(() => context.rebuild())
      assert.strictEqual(FileSystem.readFileSync(outfile, "utf8"), first)
      assert.strictEqual(FileSystem.readFileSync(`${outfile}.map`, "utf8"), firstMap)
      assert.deepStrictEqual(PropertyClosures.findSites(first, "module"), [])
      assert.strictEqual(runNode(outfile), "answer 42\n")
    }).pipe(Effect.scoped)
  )
})
