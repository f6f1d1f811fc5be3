/**
 * The packages as a user gets them: `npm pack` both workspaces, install only the tarballs into a fresh ESM
 * project (the peers resolved by npm from the registry, no path into this repository), then:
 *
 * - type-check a function written against the public API with `tsc` (strict, `NodeNext`);
 * - run it with the installed `effect-lambda invoke` (a reply, and a typed failure);
 * - build it with the installed `effect-lambda build` and call the bundle's `handler` as the managed runtime would;
 * - build it as a custom runtime started from a startup snapshot (`--snapshot`) and have its `bootstrap` serve an
 *   invocation over HTTP;
 * - bundle it with esbuild itself and the installed `effect-lambda-dev/EsbuildPlugin`, and call that bundle's `handler`;
 * - run a vitest test of it with `TestRuntimeApi`;
 * - prove that internal modules are not importable, that a CommonJS `require` works, and that the runtime's
 *   production dependency tree holds nothing only the dev tools need.
 *
 * Runs on whichever `node` runs it (`.ci/run` runs it on Node 20, 22 and 24): `node --test test/consumer/consumer.test.mjs`.
 * Needs the npm registry. `EFFECT_LAMBDA_CONSUMER_KEEP=1` keeps the temporary project for a look.
 */
import * as assert from "node:assert/strict"
import * as ChildProcess from "node:child_process"
import * as FileSystem from "node:fs"
import * as Http from "node:http"
import * as Os from "node:os"
import * as Path from "node:path"
import { after, before, describe, it } from "node:test"

const repo = Path.resolve(import.meta.dirname, "../..")
const work = FileSystem.mkdtempSync(Path.join(Os.tmpdir(), "effect-lambda-consumer-"))
const app = Path.join(work, "app")
const tarballs = Path.join(work, "tarballs")

/** Run a command to completion; never inherits the repository's environment tweaks beyond PATH and HOME. */
const run = (command, args, options = {}) => {
  const result = ChildProcess.spawnSync(command, args, {
    cwd: options.cwd ?? app,
    input: options.input,
    encoding: "utf8",
    timeout: options.timeout ?? 300_000,
    env: { ...process.env, npm_config_loglevel: "error", NODE_OPTIONS: "", ...options.env }
  })
  if (result.error) throw result.error
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

const ok = (command, args, options) => {
  const result = run(command, args, options)
  assert.equal(result.code, 0, `${command} ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`)
  return result
}

/**
 * Start a custom runtime's `bootstrap` against a minimal Runtime API on 127.0.0.1 that registers its extension,
 * hands out one invocation of `event` and resolves with the body of its reply; the process is then stopped.
 */
const serveOne = (bootstrap, event) =>
  new Promise((resolve, reject) => {
    let child
    const server = Http.createServer((request, response) => {
      const chunks = []
      request.on("data", (chunk) => chunks.push(chunk))
      request.on("end", () => {
        const url = request.url ?? ""
        if (url.endsWith("/extension/register")) {
          response.writeHead(200, { "Lambda-Extension-Identifier": "consumer" })
          response.end('{"functionName":"order","functionVersion":"1","handler":"index.handler"}')
        } else if (url.endsWith("/invocation/next") && !served) {
          served = true
          response.writeHead(200, {
            "Lambda-Runtime-Aws-Request-Id": "req-1",
            "Lambda-Runtime-Deadline-Ms": String(Date.now() + 30_000),
            "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:order",
            "Content-Type": "application/json"
          })
          response.end(event)
        } else if (url.endsWith("/invocation/req-1/response")) {
          response.writeHead(202).end()
          child.kill("SIGKILL")
          server.close()
          resolve(Buffer.concat(chunks).toString("utf8"))
        } else if (url.endsWith("/invocation/req-1/error")) {
          response.writeHead(202).end()
          child.kill("SIGKILL")
          server.close()
          reject(new Error(`the invocation failed: ${Buffer.concat(chunks).toString("utf8")}`))
        }
        // Anything else (the extension's event/next, a second /next) is held until the process stops.
      })
    })
    let served = false
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      child = ChildProcess.spawn(bootstrap, [], {
        env: {
          PATH: "/nonexistent",
          AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128"
        },
        stdio: ["ignore", "ignore", "pipe"]
      })
      let stderr = ""
      child.stderr.on("data", (chunk) => {
        stderr += chunk
      })
      child.on("exit", (code, signal) => {
        if (signal !== "SIGKILL") {
          server.close()
          reject(new Error(`${bootstrap} exited (${code ?? signal}) before its reply: ${stderr}`))
        }
      })
    })
    setTimeout(() => reject(new Error(`${bootstrap} gave no reply within 30 s`)), 30_000).unref()
  })

const write = (file, text) => {
  FileSystem.mkdirSync(Path.dirname(Path.join(app, file)), { recursive: true })
  FileSystem.writeFileSync(Path.join(app, file), text)
}

const npm = process.platform === "win32" ? "npm.cmd" : "npm"

/**
 * Import a bundle of the app (a path relative to it) and call its `handler` with each event as the managed runtime
 * does; prints one line per event: the reply as JSON, or the name of the error it rejected with.
 */
const callHandler = (bundle, events) =>
  ok(process.execPath, [
    "--input-type=module",
    "-e",
    [
      // The managed runtime's global, which a bundle of `effect-lambda build` looks for to export the adapted function.
      "globalThis.awslambda = { streamifyResponse: (f) => f }",
      `const { handler } = await import(${JSON.stringify(bundle)})`,
      'const context = { awsRequestId: "r-1", invokedFunctionArn: "arn:aws:lambda:us-east-1:1:function:f", getRemainingTimeInMillis: () => 3000 }',
      `for (const event of ${JSON.stringify(events)}) console.log(await handler(event, context).then((reply) => JSON.stringify(reply), (error) => error.name))`
    ].join("\n")
  ]).stdout

describe(`the packed packages in a fresh project (node ${process.version})`, () => {
  before(() => {
    FileSystem.mkdirSync(tarballs, { recursive: true })
    // Root first: the dev package's build type-checks against the runtime's freshly built declarations.
    ok(npm, ["pack", "--pack-destination", tarballs], { cwd: repo })
    ok(npm, ["pack", "--workspace", "packages/dev", "--pack-destination", tarballs], { cwd: repo })
    const files = FileSystem.readdirSync(tarballs)
    const runtime = files.find((file) => file.startsWith("effect-lambda-runtime-"))
    const dev = files.find((file) => file.startsWith("effect-lambda-dev-"))
    assert.ok(runtime && dev, `both tarballs packed: ${files.join(", ")}`)

    FileSystem.mkdirSync(app, { recursive: true })
    write("package.json", `${JSON.stringify({ name: "consumer-app", private: true, type: "module" }, null, 2)}\n`)
    // What the README's Install section says, with the tarballs in place of the registry's versions.
    ok(npm, ["install", "--no-audit", "--no-fund", Path.join(tarballs, runtime)])
    ok(npm, [
      "install",
      "--no-audit",
      "--no-fund",
      "--save-dev",
      Path.join(tarballs, dev),
      "typescript@~5.9",
      "@types/node@^20",
      "vitest@^3.2",
      "@effect/vitest@^0.30"
    ])

    write(
      "tsconfig.json",
      `${JSON.stringify(
        {
          compilerOptions: {
            target: "ES2022",
            module: "NodeNext",
            moduleResolution: "NodeNext",
            strict: true,
            exactOptionalPropertyTypes: true,
            noEmit: true,
            skipLibCheck: false,
            types: ["node"]
          },
          include: ["src", "test"]
        },
        null,
        2
      )}\n`
    )
    write(
      "src/order.ts",
      [
        'import { Effect, Schema } from "effect"',
        'import { Handler, InvocationContext, LambdaRuntime } from "effect-lambda-runtime"',
        "",
        'class OrderNotFound extends Schema.TaggedError<OrderNotFound>()("OrderNotFound", { id: Schema.String }) {}',
        "",
        "export const handler = Handler.effect(Schema.Struct({ id: Schema.String }), (event) =>",
        "  Effect.gen(function* () {",
        "    const context = yield* InvocationContext.InvocationContext",
        '    if (event.id !== "42") return yield* Effect.fail(new OrderNotFound({ id: event.id }))',
        "    return { id: event.id, total: 12.5, requestId: context.requestId.length > 0 }",
        "  })",
        ")",
        "",
        "if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler)",
        ""
      ].join("\n")
    )
    write(
      "test/order.test.ts",
      [
        'import { assert, describe, it } from "@effect/vitest"',
        'import { Effect } from "effect"',
        'import { TestRuntimeApi } from "effect-lambda-runtime"',
        'import { handler } from "../src/order.js"',
        "",
        'describe("order", () => {',
        '  it.effect("replies, and reports a typed failure by its tag", () =>',
        "    Effect.gen(function* () {",
        '      const found = yield* TestRuntimeApi.invoke(handler, { id: "42" })',
        '      assert.deepStrictEqual(found, TestRuntimeApi.json({ id: "42", total: 12.5, requestId: true }))',
        '      const missing = yield* TestRuntimeApi.invoke(handler, { id: "7" })',
        '      assert.strictEqual(missing._tag === "Error" && missing.report.errorType, "OrderNotFound")',
        "    })",
        "  )",
        "})",
        ""
      ].join("\n")
    )
  })

  after(() => {
    if (process.env.EFFECT_LAMBDA_CONSUMER_KEEP === "1") console.log(`kept ${work}`)
    else FileSystem.rmSync(work, { recursive: true, force: true })
  })

  it("installs Effect 3 as the peers, once", () => {
    const effect = JSON.parse(FileSystem.readFileSync(Path.join(app, "node_modules/effect/package.json"), "utf8"))
    assert.match(effect.version, /^3\./)
    const tree = ok(npm, ["ls", "effect", "--all", "--parseable"]).stdout.trim().split("\n")
    assert.deepEqual(
      tree.filter((line) => line.endsWith(`${Path.sep}effect`)),
      [Path.join(app, "node_modules/effect")]
    )
  })

  it("type-checks a function written against the public API (strict, NodeNext)", () => {
    ok(Path.join(app, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"])
  })

  it("runs it with the installed effect-lambda invoke", () => {
    const bin = Path.join(app, "node_modules/.bin/effect-lambda")
    const reply = ok(bin, ["invoke", "src/order.ts"], { input: '{"id":"42"}' })
    assert.equal(reply.stdout, '{"id":"42","total":12.5,"requestId":true}')
    const failed = run(bin, ["invoke", "src/order.ts"], { input: '{"id":"7"}' })
    assert.equal(failed.code, 1, failed.stderr)
    assert.equal(JSON.parse(failed.stdout).errorType, "OrderNotFound")
  })

  it("builds it with the installed effect-lambda build, and the bundle answers as the managed runtime calls it", () => {
    const bin = Path.join(app, "node_modules/.bin/effect-lambda")
    const built = ok(bin, ["build", "src/order.ts", "--out", "dist"])
    assert.match(built.stdout, /bundle\s+dist\/order\/index\.mjs/)
    assert.doesNotMatch(built.stdout, /warning/)
    assert.equal(
      callHandler("./dist/order/index.mjs", [{ id: "42" }, { id: "7" }]),
      '{"id":"42","total":12.5,"requestId":true}\nOrderNotFound\n'
    )
  })

  it("builds a custom runtime from a startup snapshot with the installed effect-lambda build, and it serves", async () => {
    const bin = Path.join(app, "node_modules/.bin/effect-lambda")
    const built = ok(bin, ["build", "src/order.ts", "--target", "custom", "--snapshot", "--out", "dist-snapshot"])
    assert.match(
      built.stdout,
      /snapshot\s+dist-snapshot\/order\/sea\.blob .* inside dist-snapshot\/order\/bin\/function/
    )
    assert.doesNotMatch(built.stdout + built.stderr, /warning|section name/i)
    // Its bootstrap (beside bin/function in the build's folder) against a minimal Runtime API: one invocation.
    const reply = await serveOne(Path.join(app, "dist-snapshot/order/bootstrap"), '{"id":"42"}')
    assert.equal(reply, '{"id":"42","total":12.5,"requestId":true}')
  })

  it("bundles it with the user's own esbuild and the installed plugin, and the bundle answers", () => {
    write(
      "src/managed.ts",
      [
        'import * as ManagedRuntime from "effect-lambda-runtime/ManagedRuntime"',
        'import { handler as order } from "./order.js"',
        "",
        "export const handler = await ManagedRuntime.toHandler(order)",
        ""
      ].join("\n")
    )
    write(
      "bundle.mjs",
      [
        'import * as esbuild from "esbuild"',
        'import { youngClosures } from "effect-lambda-dev/EsbuildPlugin"',
        "",
        "let sites",
        "const result = await esbuild.build({",
        '  entryPoints: ["src/managed.ts"], bundle: true, minify: true, platform: "node", format: "esm",',
        '  outfile: "dist-esbuild/index.mjs", sourcemap: true, logLevel: "silent",',
        "  plugins: [youngClosures({ onRewritten: (files) => (sites = [...files.values()]) })]",
        "})",
        "console.log(JSON.stringify({ warnings: result.warnings.length, sites }))",
        ""
      ].join("\n")
    )
    const bundled = JSON.parse(ok(process.execPath, ["bundle.mjs"]).stdout)
    assert.equal(bundled.warnings, 0)
    assert.equal(bundled.sites.length, 1)
    assert.ok(bundled.sites[0] > 5, `closures rewritten: ${bundled.sites[0]}`)
    const bundle = FileSystem.readFileSync(Path.join(app, "dist-esbuild/index.mjs"), "utf8")
    assert.ok(bundle.includes("=(0,"), "the bundle carries the rewritten sites")
    assert.equal(callHandler("./dist-esbuild/index.mjs", [{ id: "42" }]), '{"id":"42","total":12.5,"requestId":true}\n')
  })

  it("runs a vitest test of it on TestRuntimeApi", () => {
    const result = ok(Path.join(app, "node_modules/.bin/vitest"), ["run"], { env: { CI: "true" } })
    assert.match(result.stdout, /1 passed/)
  })

  it("exposes only the exports map: no internal module, no emulator, no CLI", () => {
    for (const specifier of [
      "effect-lambda-runtime/internal/Http1Connection",
      "effect-lambda-runtime/dist/internal/Http1Connection.js",
      "effect-lambda-runtime/dist/index.js",
      "effect-lambda-runtime/emulator/RuntimeApiServer",
      "effect-lambda-runtime/cli/main"
    ]) {
      const result = run(process.execPath, ["--input-type=module", "-e", `await import(${JSON.stringify(specifier)})`])
      assert.notEqual(result.code, 0, `${specifier} must not be importable`)
      assert.match(result.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/, specifier)
    }
    const publicModule = ok(process.execPath, [
      "--input-type=module",
      "-e",
      'const m = await import("effect-lambda-runtime/Handler"); console.log(typeof m.effect)'
    ])
    assert.equal(publicModule.stdout.trim(), "function")
  })

  it("loads from CommonJS with require()", () => {
    const result = ok(process.execPath, [
      "--no-warnings",
      "-e",
      'const { Handler } = require("effect-lambda-runtime"); console.log(typeof Handler.effect)'
    ])
    assert.equal(result.stdout.trim(), "function")
  })

  it("keeps the dev tools out of the runtime's production dependencies", () => {
    const production = ok(npm, ["ls", "--omit=dev", "--all", "--parseable"]).stdout
    for (const name of ["tsx", "esbuild", "@smithy", "postject", "effect-lambda-dev"]) {
      assert.ok(!production.includes(`${Path.sep}node_modules${Path.sep}${name}`), `${name} in: ${production}`)
    }
    assert.ok(production.includes(`${Path.sep}node_modules${Path.sep}effect-lambda-runtime`))
  })
})
