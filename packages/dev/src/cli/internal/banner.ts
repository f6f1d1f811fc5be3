/**
 * The banner `effect-lambda dev` prints once it serves: where the function answers, and requests to try.
 *
 * @internal
 */
import * as Path from "node:path"
import * as Emulator from "../../emulator/Emulator.js"
import type * as LocalFunction from "../../emulator/LocalFunction.js"

const shellQuote = (text: string): string =>
  /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`

/**
 * A curl command line for a request written as "PATH" or "METHOD PATH [BODY]".
 *
 * @internal
 */
export const curlFor = (base: string, request: string, stream: boolean): string => {
  const match = /^\s*(?:([A-Z]+)\s+)?(\S+)(?:\s+([\s\S]+))?$/.exec(request)
  const method = match?.[1] ?? "GET"
  const path = match?.[2] ?? "/"
  const body = match?.[3]
  const url = `${base}${path.startsWith("/") ? path : `/${path}`}`
  const parts = ["curl", stream ? "-iN" : "-i"]
  if (method !== "GET" && !(method === "POST" && body !== undefined)) parts.push("-X", method)
  parts.push(shellQuote(url))
  if (body !== undefined)
    parts.push("-H", shellQuote("content-type: application/json"), "--data-binary", shellQuote(body))
  return parts.join(" ")
}

/** @internal */
export const banner = (
  program: string,
  fn: LocalFunction.Service,
  emulator: Emulator.Service,
  tries: ReadonlyArray<string>,
  watch: boolean
): string => {
  const base = emulator.url
  const name = fn.functionName
  const entry = Path.relative(process.cwd(), fn.entry) || fn.entry
  const streamed = emulator.functionUrl === "streamed"
  const lines = [
    "",
    `${program} dev: ${name} (${entry}) · timeout ${fn.timeoutMs / 1000} s · concurrency ${fn.concurrency}` +
      (watch ? " · watching for changes" : ""),
    "",
    `  Function URL (${streamed ? "streamed" : "buffered"})`.padEnd(30) + `${base}/`,
    "  Invoke".padEnd(30) + `POST ${base}${Emulator.Paths.invoke(name)}`,
    "  InvokeWithResponseStream".padEnd(30) + `POST ${base}${Emulator.Paths.invokeWithResponseStream(name)}`,
    "  AWS SDK".padEnd(30) +
      `new LambdaClient({ endpoint: "${base}", region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } })`,
    "",
    "Try:",
    ...(tries.length > 0
      ? tries.map((request) => `  ${curlFor(base, request, streamed)}`)
      : [`  ${curlFor(base, "/", streamed)}`, `  curl -s ${base}/2015-03-31/functions/function/invocations -d '{}'`]),
    ""
  ]
  return `${lines.join("\n")}\n`
}
