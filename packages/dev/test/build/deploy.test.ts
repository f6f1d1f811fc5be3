/**
 * The SAM templates of examples/deploy/ name what `effect-lambda build` writes: for each function, the build of
 * its example (the template's target, into a temporary `dist/`) is where the template's code path points, with
 * the runtime, handler and architecture the template sets; the streamed HTTP example sits behind a Function URL
 * with `InvokeMode: RESPONSE_STREAM`, the buffered one behind an API Gateway HTTP API.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as FileSystem from "node:fs"
import * as Path from "node:path"
import * as YAML from "yaml"
import * as Build from "../../src/build/Build.js"
import { root, tempDir, zipModes } from "./support.js"

/** CloudFormation's short-form intrinsic functions, kept as `{ Fn: value }`. */
const customTags = ["Sub", "GetAtt", "Ref"].map((name) => ({
  tag: `!${name}`,
  resolve: (value: string) => ({ [name]: value })
}))

interface FunctionResource {
  readonly Type: string
  readonly Properties?: Record<string, unknown>
  readonly Metadata?: Record<string, unknown>
}

interface Template {
  readonly Globals?: { readonly Function?: Record<string, unknown> }
  readonly Resources: Record<string, FunctionResource>
}

const readTemplate = (target: Build.Target): { readonly dir: string; readonly template: Template } => {
  const dir = Path.join(root, "examples/deploy", target)
  const text = FileSystem.readFileSync(Path.join(dir, "template.yaml"), "utf8")
  return { dir, template: YAML.parse(text, { customTags }) as Template }
}

/** The template's function resources, each with its effective properties (Globals, then its own). */
const functionsOf = (template: Template) =>
  Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === "AWS::Serverless::Function")
    .map(([id, resource]) => ({
      id,
      properties: { ...template.Globals?.Function, ...resource.Properties } as Record<string, unknown>,
      metadata: resource.Metadata ?? {}
    }))

/** The folder the templates' build commands write to (`--out examples/deploy/dist`). */
const dist = Path.join(root, "examples/deploy/dist")

/** A path the template names (relative to its folder), relative to the build output folder. */
const inDist = (templateDir: string, path: string): string => Path.relative(dist, Path.resolve(templateDir, path))

/** The template's header comment: the `effect-lambda build` lines that make what it deploys. */
const buildLines = (target: Build.Target): ReadonlyArray<string> =>
  FileSystem.readFileSync(Path.join(root, "examples/deploy", target, "template.yaml"), "utf8")
    .split("\n")
    .filter((line) => line.startsWith("#   npx effect-lambda build "))
    .map((line) => line.slice("#   npx effect-lambda build ".length))

const streamedAndBuffered = (fns: ReturnType<typeof functionsOf>, name: (fn: (typeof fns)[number]) => string) => {
  const byName = new Map(fns.map((fn) => [name(fn), fn.properties]))
  const stream = byName.get("http-stream")
  assert.deepStrictEqual(stream?.FunctionUrlConfig, { AuthType: "NONE", InvokeMode: "RESPONSE_STREAM" })
  const http = byName.get("http")
  assert.deepStrictEqual(http?.Events, { Api: { Type: "HttpApi" } })
  assert.isTrue(byName.has("order"))
}

describe("examples/deploy templates match what effect-lambda build writes", { timeout: 180_000 }, () => {
  for (const target of ["managed", "custom"] as const) {
    it.scoped(
      `${target}: code path, runtime, handler, architecture`,
      () =>
        Effect.gen(function* () {
          const { dir, template } = readTemplate(target)
          const fns = functionsOf(template)
          assert.strictEqual(fns.length, 3)
          const out = yield* tempDir("el-deploy-")
          const nameOf = (fn: (typeof fns)[number]) =>
            inDist(dir, String(fn.properties.CodeUri)).split(Path.sep)[0] ?? ""
          for (const fn of fns) {
            const name = nameOf(fn)
            const report = yield* Build.build({ entry: `examples/${name}.ts`, target, outDir: out })
            assert.isDefined(report.zip)
            assert.strictEqual(inDist(dir, String(fn.properties.CodeUri)), Path.relative(out, report.zip?.path ?? ""))
            assert.strictEqual(fn.properties.Runtime, report.runtime)
            assert.deepStrictEqual(fn.properties.Architectures, [report.arch])
            const entries = yield* zipModes(report.zip?.path ?? "")
            if (target === "managed") {
              assert.strictEqual(fn.properties.Handler, report.handler)
              // index.handler: the module index.mjs at the zip's root, its export `handler`.
              assert.strictEqual(fn.properties.Handler, "index.handler")
              assert.isTrue(entries.has("index.mjs"))
              const code = FileSystem.readFileSync(report.bundle.path, "utf8")
              assert.match(code, /export\s*\{[^}]*\bas handler\b|export\s*\{[^}]*\bhandler\b/)
            } else {
              // A custom runtime starts the zip's executable `bootstrap`.
              assert.strictEqual(entries.get("bootstrap"), "-rwxr-xr-x")
              assert.strictEqual(entries.get("bin/node"), "-rwxr-xr-x")
            }
          }
          streamedAndBuffered(fns, nameOf)
          assert.deepStrictEqual(
            buildLines(target),
            fns.map(
              (fn) =>
                `examples/${nameOf(fn)}.ts${target === "managed" ? "" : ` --target ${target}`} --out examples/deploy/dist`
            )
          )
        }),
      240_000
    )
  }

  it.scoped("container: each DockerContext is a build's folder with the Dockerfile it names", () =>
    Effect.gen(function* () {
      const { dir, template } = readTemplate("container")
      const fns = functionsOf(template)
      assert.strictEqual(fns.length, 3)
      const out = yield* tempDir("el-deploy-")
      const nameOf = (fn: (typeof fns)[number]) => inDist(dir, String(fn.metadata.DockerContext))
      for (const fn of fns) {
        const name = nameOf(fn)
        const report = yield* Build.build({ entry: `examples/${name}.ts`, target: "container", outDir: out })
        assert.strictEqual(Path.relative(out, report.directory), name)
        assert.strictEqual(fn.properties.PackageType, "Image")
        assert.deepStrictEqual(fn.properties.Architectures, [report.arch])
        assert.strictEqual(Path.join(report.directory, String(fn.metadata.Dockerfile)), report.dockerfile)
        assert.isTrue(FileSystem.existsSync(report.dockerfile ?? ""))
      }
      streamedAndBuffered(fns, nameOf)
      assert.deepStrictEqual(
        buildLines("container"),
        fns.map((fn) => `examples/${nameOf(fn)}.ts --target container --out examples/deploy/dist`)
      )
    })
  )
})
