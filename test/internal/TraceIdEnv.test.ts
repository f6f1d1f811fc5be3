/**
 * TraceIdEnv: `process.env._X_AMZN_TRACE_ID` kept in JavaScript (no `setenv` per invocation), seen as an environment
 * variable by every reader in JavaScript and by child processes, while every other variable still goes to the
 * process's environment.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ChildProcess from "node:child_process"
import * as TraceIdEnv from "../../src/internal/TraceIdEnv.js"

const Name = TraceIdEnv.Name

const childSees = (name: string, env?: NodeJS.ProcessEnv): string =>
  ChildProcess.execFileSync(process.execPath, ["-e", `process.stdout.write(process.env.${name} ?? "none")`], {
    encoding: "utf8",
    ...(env === undefined ? {} : { env })
  })

describe("TraceIdEnv", () => {
  it("the trace id is a variable for every JavaScript reader and for child processes, never written to the environment", () => {
    const environment = process.env
    const before = environment[Name]
    try {
      TraceIdEnv.set("Root=1-aaa")
      assert.notStrictEqual(process.env, environment, "process.env is the proxy now")
      assert.strictEqual(process.env[Name], "Root=1-aaa")
      assert.isTrue(Name in process.env)
      assert.include(Object.keys(process.env), Name)
      assert.strictEqual({ ...process.env }[Name], "Root=1-aaa")
      assert.strictEqual(JSON.parse(JSON.stringify(process.env))[Name], "Root=1-aaa")
      assert.deepStrictEqual(Object.getOwnPropertyDescriptor(process.env, Name), {
        value: "Root=1-aaa",
        writable: true,
        enumerable: true,
        configurable: true
      })
      assert.strictEqual(childSees(Name), "Root=1-aaa")
      assert.strictEqual(childSees(Name, { ...process.env }), "Root=1-aaa")
      // The process's environment itself was not written.
      assert.strictEqual(environment[Name], before)

      TraceIdEnv.set("Root=1-bbb")
      assert.strictEqual(process.env[Name], "Root=1-bbb")
      assert.strictEqual(childSees(Name), "Root=1-bbb")

      TraceIdEnv.set(undefined)
      assert.isUndefined(process.env[Name])
      assert.isFalse(Name in process.env)
      assert.notInclude(Object.keys(process.env), Name)
      assert.strictEqual(childSees(Name), "none")

      // Code that sets or deletes it itself, as it could before.
      process.env[Name] = "mine"
      assert.strictEqual(process.env[Name], "mine")
      Object.assign(process.env, { [Name]: 42 })
      assert.strictEqual(process.env[Name], "42")
      delete process.env[Name]
      assert.isUndefined(process.env[Name])
      assert.strictEqual(environment[Name], before)
    } finally {
      TraceIdEnv.set(before)
    }
  })

  it("every other variable is the process's own: written through, coerced to a string, deleted, TZ applied", () => {
    TraceIdEnv.set(undefined)
    const name = `EFFECT_LAMBDA_TRACE_ENV_TEST_${process.pid}`
    const tz = process.env.TZ
    try {
      process.env[name] = "x"
      assert.strictEqual(childSees(name), "x")
      ;(process.env as Record<string, unknown>)[name] = 7
      assert.strictEqual(process.env[name], "7")
      delete process.env[name]
      assert.strictEqual(childSees(name), "none")
      // Node applies a TZ written to the environment at once: it still does through the proxy.
      process.env.TZ = "America/New_York"
      assert.strictEqual(new Date(Date.UTC(2026, 0, 15)).getTimezoneOffset(), 300)
      process.env.TZ = "Asia/Tokyo"
      assert.strictEqual(new Date(Date.UTC(2026, 0, 15)).getTimezoneOffset(), -540)
    } finally {
      delete process.env[name]
      if (tz === undefined) delete process.env.TZ
      else process.env.TZ = tz
    }
  })

  it("a process.env replaced by other code gets a proxy of its own at the next invocation", () => {
    const saved = process.env
    try {
      process.env = { ...saved, [Name]: "stale" }
      const replaced = process.env
      TraceIdEnv.set("Root=1-ccc")
      assert.notStrictEqual(process.env, replaced)
      assert.strictEqual(process.env[Name], "Root=1-ccc")
      assert.strictEqual(replaced[Name], "stale")
    } finally {
      process.env = saved
      TraceIdEnv.set(undefined)
    }
  })
})
