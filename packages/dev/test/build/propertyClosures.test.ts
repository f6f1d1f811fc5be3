/**
 * The build's rewrite of closures assigned to a property (`o.f = () => x` → `o.f = (0, () => x)`): what V8 does with
 * such a closure, in a real `node` process, before and after; what is rewritten and what is left; that the code
 * behaves the same; that the source map still points at the same code; and that a built function carries none.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as esbuild from "esbuild"
import * as ChildProcess from "node:child_process"
import * as FileSystem from "node:fs"
import * as Path from "node:path"
import * as Vm from "node:vm"
import * as Build from "../../src/build/Build.js"
import * as PropertyClosures from "../../src/build/internal/propertyClosures.js"
import { assertSameMappings, root, tempDir } from "./support.js"

/**
 * In a `node` process: how many of 1000 closures made the way `make` makes them V8 allocated in the old generation,
 * with `make`'s source as it is or rewritten.
 */
const countOldClosures = (make: string, rewritten: boolean): number => {
  const declaration = `const make = ${make};`
  const code = rewritten ? PropertyClosures.rewrite({ code: declaration, format: "cjs" }).code : declaration
  const script = `${code}
let old = 0
for (let i = 0; i < 1000; i++) if (!%InYoungGeneration(make(i).f)) old++
console.log(old)`
  const out = ChildProcess.execFileSync(process.execPath, ["--allow-natives-syntax", "-e", script], {
    encoding: "utf8"
  })
  return Number(out.trim())
}

describe("propertyClosures", () => {
  it("in a real node process: a closure assigned to a property is born old; rewritten, it is born young", () => {
    const makers = [
      `(i) => { const o = {}; o.f = () => i; return o }`,
      `(i) => { const o = {}; o.f = function () { return i }; return o }`,
      `(i) => new (class { constructor() { this.f = () => i } })()`,
      `(i) => { const o = { f: undefined }; o.f ??= () => i; return o }`
    ]
    for (const make of makers) {
      // The control: this process's Node.js pretenures every one of them.
      assert.strictEqual(countOldClosures(make, false), 1000, make)
      assert.strictEqual(countOldClosures(make, true), 0, make)
    }
  })

  it("rewrites every function literal assigned to a property, and nothing else", () => {
    const code = [
      `const o = {}, k = "d";`,
      `o.a = () => 1; o.b = function () { return this }; this.c = async () => 2;`,
      `o[k] ??= (x) => x.e = () => 3;`,
      `o.f ||= (function () {}); o.g &&= () => 4;`,
      `o.h = class {}; const i = () => 5; o.j = [() => 6]; o.k = id(() => 7); o.l += () => 8;`,
      `const p = { m: () => 9 }; let q; q = () => 10;`
    ].join("\n")
    const rewritten = PropertyClosures.rewrite({ code, format: "esm" })
    assert.strictEqual(rewritten.sites, 7)
    assert.strictEqual(
      rewritten.code,
      [
        `const o = {}, k = "d";`,
        `o.a = (0,() => 1); o.b = (0,function () { return this }); this.c = (0,async () => 2);`,
        `o[k] ??= (0,(x) => x.e = (0,() => 3));`,
        `o.f ||= ((0,function () {})); o.g &&= (0,() => 4);`,
        `o.h = class {}; const i = () => 5; o.j = [() => 6]; o.k = id(() => 7); o.l += () => 8;`,
        `const p = { m: () => 9 }; let q; q = () => 10;`
      ].join("\n")
    )
    // Already rewritten code has nothing left to rewrite.
    assert.strictEqual(PropertyClosures.rewrite({ code: rewritten.code, format: "esm" }).sites, 0)
  })

  it("the rewritten code behaves the same: values, this, names", () => {
    const code = `
      const o = { n: 1 };
      o.plain = function () { return this.n };
      o.arrow = () => typeof this;
      o.named = function inner() { return typeof inner };
      o.counter = (() => { let c = 0; return () => ++c })();
      o.nested = () => { const p = {}; p.g = (x) => x * 2; return p.g(21) };
      result = [o.plain(), o.arrow(), o.named(), o.counter(), o.counter(), o.nested(),
        o.plain.name, o.arrow.name, o.named.name, o.nested.length];`
    const run = (source: string): unknown => {
      const context: { result?: unknown } = {}
      Vm.runInNewContext(source, context)
      return context.result
    }
    const rewritten = PropertyClosures.rewrite({ code, format: "cjs" })
    assert.strictEqual(rewritten.sites, 5)
    assert.deepStrictEqual(run(rewritten.code), run(code))
    assert.deepStrictEqual(run(code), [1, "object", "function", 1, 2, 42, "", "", "inner", 0])
  })

  it("the source map still points at the same code: every segment at the same characters", () => {
    const source = [
      `export const make = (self: number) => {`,
      `  const effect: { f?: () => number; g?: (x: number) => number } = {}`,
      `  effect.f = () => self`,
      `  effect.g = function (x: number) { const inner: { h?: () => number } = {}; inner.h = () => x; return inner.h() + self }`,
      `  return effect`,
      `}`,
      `export const other = (o: { k?: () => string }) => { o.k = () => "é😀"; return o }`
    ].join("\n")
    const built = esbuild.transformSync(source, { loader: "ts", minify: true, sourcemap: "external", format: "esm" })
    const rewritten = PropertyClosures.rewrite({ code: built.code, map: built.map, format: "esm" })
    assert.strictEqual(rewritten.sites, 4)
    assert.isDefined(rewritten.map)
    assert.isAbove(
      assertSameMappings({ code: built.code, map: built.map }, { code: rewritten.code, map: rewritten.map ?? "{}" }),
      10
    )
  })

  it("code the parser cannot read is left as it is, with the reason", () => {
    const code = "o.f = () => {"
    const rewritten = PropertyClosures.rewrite({ code, map: "{}", format: "esm" })
    assert.strictEqual(rewritten.code, code)
    assert.strictEqual(rewritten.map, "{}")
    assert.strictEqual(rewritten.sites, 0)
    assert.match(rewritten.skipped ?? "", /Unexpected token/)
  })

  it.effect("a built function's bundle carries no closure assigned to a property, and the report counts them", () =>
    Effect.gen(function* () {
      const out = yield* tempDir(".cache-el-closures-", Path.join(root, "node_modules"))
      const report = yield* Build.build({ entry: "examples/order.ts", target: "container", outDir: out })
      const bundle = FileSystem.readFileSync(report.bundle.path, "utf8")
      // Effect's own primitives (`async`, `uninterruptible`, the masks) are among them.
      assert.isAbove(report.bundle.youngClosures, 5)
      assert.deepStrictEqual(PropertyClosures.findSites(bundle, "module"), [])
      assert.deepStrictEqual(report.warnings, [])
    }).pipe(Effect.scoped)
  )
})
