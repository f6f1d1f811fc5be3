import { defineConfig } from "vitest/config"

// Inside the repository both packages resolve each other to their TypeScript sources (the
// `effect-lambda-source` export condition), so tests never run a stale dist/.
const conditions = ["effect-lambda-source"]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
