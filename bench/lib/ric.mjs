/**
 * The official client, `aws-lambda-ric`, as the bench starts it: its bin `index.mjs` run directly on the bench's Node
 * with `<handler>.handler` (the handlers of `handlers/js/`, found through `LAMBDA_TASK_ROOT` and `_HANDLER`).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"

/** Where the bench's `npm ci` installs the official client. */
export const ricDir = (benchDir) => Path.join(benchDir, "node_modules", "aws-lambda-ric")

/** The installed version of the official client. */
export const ricVersion = (benchDir) =>
  JSON.parse(Fs.readFileSync(Path.join(ricDir(benchDir), "package.json"), "utf8")).version

/** Why the official client cannot run here (not installed, or its native addon not built), or undefined. */
export const checkRic = (benchDir) => {
  const dir = ricDir(benchDir)
  if (!Fs.existsSync(Path.join(dir, "index.mjs"))) return "aws-lambda-ric is not installed (npm --prefix bench ci)"
  if (!Fs.existsSync(Path.join(dir, "rapid-client.node"))) {
    return (
      "aws-lambda-ric's native addon (rapid-client.node) was not built: its install scripts did not run or failed. " +
      "They need cmake, make, g++, python3 and Node's headers (npm config nodedir, or network access for node-gyp); " +
      "see bench/README.md, then: npm --prefix bench rebuild aws-lambda-ric --foreground-scripts"
    )
  }
  return undefined
}

/** The command line (after node and its flags) that starts the official client with handler `handler`. */
export const ricArgv = (benchDir, handler) => [Path.join(ricDir(benchDir), "index.mjs"), `${handler}.handler`]

/** The environment that tells the official client where `handler` is. */
export const ricHandlerEnv = (benchDir, handler) => ({
  LAMBDA_TASK_ROOT: Path.join(benchDir, "handlers", "js"),
  _HANDLER: `${handler}.handler`
})
