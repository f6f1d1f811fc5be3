/**
 * Experiment: spawn → first `/next` and spawn → first reply (init plus the first invocation: what a cold start costs
 * the first caller) of functions started by their own `bootstrap` scripts (an unpacked `effect-lambda build` zip,
 * or any script that starts a runtime), interleaved, each pinned to CPU 1, against a minimal Runtime API that
 * hands out one small JSON invocation and then stops the process.
 *
 *   node bench/experiments/first-reply.mjs <spawns per function> NAME=PATH/TO/bootstrap [NAME=PATH ...]
 *
 * Prints medians per function: first `/next`, first reply, and the first invocation alone (reply − `/next`).
 */
import * as Net from "node:net"
import * as ChildProcess from "node:child_process"
const variants = process.argv.slice(3).map((a) => a.split("="))
const rounds = Number(process.argv[2])
if (!(rounds > 0) || variants.length === 0 || variants.some((v) => v.length !== 2)) {
  console.error("usage: node bench/experiments/first-reply.mjs <spawns> NAME=PATH/TO/bootstrap [NAME=PATH ...]")
  process.exit(2)
}
const body = '{"id":"42"}'
const once = (bootstrap) =>
  new Promise((resolve) => {
    let t0, tNext, tReply, child
    const server = Net.createServer((s) => {
      let buf = ""
      s.on("data", (d) => {
        buf += d.toString("latin1")
        for (;;) {
          const end = buf.indexOf("\r\n\r\n")
          if (end < 0) return
          const head = buf.slice(0, end)
          const len = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0)
          if (buf.length < end + 4 + len) return
          buf = buf.slice(end + 4 + len)
          if (head.includes("/extension/register")) {
            const b = '{"functionName":"f","functionVersion":"1","handler":"h"}'
            s.write(`HTTP/1.1 200 OK\r\nLambda-Extension-Identifier: x\r\nContent-Length: ${b.length}\r\n\r\n${b}`)
          } else if (head.includes("/extension/event/next")) {
          } else if (head.includes("/invocation/next")) {
            if (tNext === undefined) {
              tNext = performance.now()
              s.write(
                `HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\nLambda-Runtime-Deadline-Ms: ${Date.now() + 60000}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:1:function:f\r\nContent-Length: ${body.length}\r\n\r\n${body}`
              )
            } else {
              child.kill("SIGKILL")
            }
          } else {
            tReply = performance.now()
            s.write("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
          }
        }
      })
      s.on("error", () => {})
    })
    server.listen(0, "127.0.0.1", () => {
      const port = server.address().port
      t0 = performance.now()
      child = ChildProcess.spawn("taskset", ["-c", "1", bootstrap], {
        env: { AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`, PATH: "/usr/bin:/bin" },
        stdio: "ignore"
      })
      child.on("exit", () => {
        server.close()
        resolve([tNext - t0, tReply - t0])
      })
    })
  })
const results = Object.fromEntries(variants.map(([n]) => [n, []]))
for (let r = 0; r < rounds; r++) for (const [n, p] of variants) results[n].push(await once(p))
const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}
for (const [n, xs] of Object.entries(results))
  console.log(
    n.padEnd(16),
    "first /next",
    med(xs.map((x) => x[0])).toFixed(1),
    "ms; first reply",
    med(xs.map((x) => x[1])).toFixed(1),
    "ms; reply - next",
    med(xs.map((x) => x[1] - x[0])).toFixed(2),
    "ms"
  )
