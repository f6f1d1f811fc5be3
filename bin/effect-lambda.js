#!/usr/bin/env node
// The `effect-lambda` command (see src/cli/Cli.ts). In a checkout of this repository (tsconfig.json beside
// src/) it runs the TypeScript sources through tsx, so a stale dist/ is never used; an installed package
// runs its compiled dist/.
import { existsSync } from "node:fs"

const at = (path) => new URL(path, import.meta.url)
const checkout = existsSync(at("../tsconfig.json")) && existsSync(at("../src/cli/main.ts"))
if (!checkout && existsSync(at("../dist/cli/main.js"))) {
  await import(at("../dist/cli/main.js").href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import(at("../src/cli/main.ts").href)
}
