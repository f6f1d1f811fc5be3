/**
 * The version of the effect-lambda-dev package, read from its package.json (the same relative place from
 * `src/cli/internal/` and from the compiled `dist/cli/internal/`).
 *
 * @internal
 */
import * as FileSystem from "node:fs"

/** @internal */
export const version = (): string => {
  const text = FileSystem.readFileSync(new URL("../../../package.json", import.meta.url), "utf8")
  const parsed: unknown = JSON.parse(text)
  return typeof parsed === "object" && parsed !== null && "version" in parsed && typeof parsed.version === "string"
    ? parsed.version
    : "0.0.0"
}
