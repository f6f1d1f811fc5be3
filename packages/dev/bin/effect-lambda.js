#!/usr/bin/env node
// The `effect-lambda` command (see src/cli/Cli.ts). An installed package runs its compiled dist/. In a checkout
// of the repository (tsconfig.json beside src/) it runs the TypeScript sources through tsx, with the
// `effect-lambda-source` export condition so the runtime package resolves to its sources too: a stale dist/ is
// never used.
import { existsSync } from "node:fs"

const at = (path) => new URL(path, import.meta.url)
const checkout = existsSync(at("../tsconfig.json")) && existsSync(at("../src/cli/main.ts"))
if (!checkout) {
  await import(at("../dist/cli/main.js").href)
} else {
  const { register } = await import("node:module")
  const { register: registerTsx } = await import("tsx/esm/api")
  registerTsx()
  const hook =
    "export const resolve = (specifier, context, next) => " +
    'next(specifier, { ...context, conditions: [...context.conditions, "effect-lambda-source"] })'
  register(`data:text/javascript,${encodeURIComponent(hook)}`)
  await import(at("../src/cli/main.ts").href)
}
