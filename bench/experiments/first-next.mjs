/**
 * Experiment: spawn → first `/next` of any commands, interleaved, against a minimal Runtime API on 127.0.0.1 (it
 * answers the shutdown extension's registration and holds everything else). Each variant is a command line; the
 * first one is the base of the per-pair ratios. Every process is killed at its first `/next`.
 *
 *   node bench/experiments/first-next.mjs 20 \
 *     ric="$NODE bench/node_modules/aws-lambda-ric/index.mjs echo.handler" \
 *     flags="$NODE --max-semi-space-size=4 --max-old-space-size=921 bench/build/minified/echo.mjs" \
 *     bare="$NODE bench/build/minified/echo.mjs"
 *
 * A command is split on spaces (no quoting). Prints, per variant, the median and minimum in ms and the median of the
 * per-pair ratios to the first variant.
 */
import * as ChildProcess from "node:child_process"
import * as Http from "node:http"
import * as Path from "node:path"

const [countArg, ...specs] = process.argv.slice(2)
const count = Number(countArg)
if (!Number.isInteger(count) || count < 1 || specs.length === 0) {
  console.error("usage: node bench/experiments/first-next.mjs N name=command… (see the file's comment)")
  process.exit(2)
}
const variants = specs.map((spec) => {
  const at = spec.indexOf("=")
  return {
    name: spec.slice(0, at),
    argv: spec
      .slice(at + 1)
      .split(" ")
      .filter(Boolean)
  }
})

let arrived
const server = Http.createServer((request, response) => {
  if (request.url.endsWith("/extension/register")) {
    request.resume()
    response.writeHead(200, { "Lambda-Extension-Identifier": "first-next", "Content-Type": "application/json" })
    response.end('{"functionName":"bench","functionVersion":"$LATEST","handler":"index.handler"}')
  } else if (request.url.endsWith("/invocation/next")) {
    arrived?.(process.hrtime.bigint())
  }
})
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
const env = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${server.address().port}`,
  AWS_LAMBDA_FUNCTION_NAME: "bench",
  AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024",
  AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/bench",
  AWS_LAMBDA_LOG_STREAM_NAME: "stream",
  _HANDLER: "echo.handler",
  LAMBDA_TASK_ROOT: Path.join(import.meta.dirname, "..", "handlers", "js")
}

const times = Object.fromEntries(variants.map((v) => [v.name, []]))
for (let i = 0; i < count; i++) {
  for (const variant of variants) {
    const next = new Promise((resolve) => {
      arrived = resolve
    })
    const start = process.hrtime.bigint()
    const child = ChildProcess.spawn(variant.argv[0], variant.argv.slice(1), {
      env,
      stdio: ["ignore", "ignore", "inherit"]
    })
    const exited = new Promise((resolve) => child.on("exit", resolve))
    const at = await Promise.race([next, exited.then(() => undefined)])
    if (at === undefined) throw new Error(`${variant.name} exited before its first /next`)
    child.kill("SIGKILL")
    await exited
    times[variant.name].push(Number(at - start) / 1e6)
  }
}
server.close()

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]
const base = times[variants[0].name]
for (const variant of variants) {
  const own = times[variant.name]
  const ratio = median(own.map((t, i) => t / base[i]))
  console.log(
    `${variant.name.padEnd(16)} median ${median(own).toFixed(1).padStart(6)} ms  min ${Math.min(...own)
      .toFixed(1)
      .padStart(6)} ms  ` + `×${variants[0].name} ${ratio.toFixed(2)}`
  )
}
