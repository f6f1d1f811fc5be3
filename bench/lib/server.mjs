/**
 * The fake Lambda Runtime API the benchmark runs every client against. A separate process (forked by
 * run.mjs, driven over IPC), built on raw `node:net` with every response precomputed, so that its own cost
 * per invocation is small and the same for every client; it measures and reports that cost.
 *
 * One run: `arm` (scenario, count) → the orchestrator spawns the client and sends its pid → the server answers
 * `/next` `count` times, timing each invocation from the moment `/next` is answered to the moment the reply
 * (`/response` or `/error`) is fully received → `done` with the numbers. Further `/next` requests are held
 * unanswered, as the platform does between invocations. In cold mode the first `/next` is only timestamped.
 *
 * Client CPU is read from /proc/<pid>/stat (utime + stime of the client's process tree) when the first `/next`
 * arrives and when the last reply has been received: the client's init and the server's own work are excluded.
 */
import * as Net from "node:net"
import { performance } from "node:perf_hooks"
import { treeCpuSeconds, treeSchedSeconds } from "./procfs.mjs"
import { SCENARIOS } from "./scenarios.mjs"

const NEXT_PATH = "/2018-06-01/runtime/invocation/next"
// The Extensions API calls a runtime makes at init to get SIGTERM at shutdown (as on Lambda): registration is
// answered, and the extension's event/next is held, as the platform holds it until shutdown.
const EXTENSION_REGISTER_PATH = "/2020-01-01/extension/register"
const EXTENSION_NEXT_PATH = "/2020-01-01/extension/event/next"
const EXTENSION_REGISTERED_BODY = '{"functionName":"bench","functionVersion":"$LATEST","handler":"index.handler"}'
const EXTENSION_REGISTERED = Buffer.from(
  "HTTP/1.1 200 OK\r\nLambda-Extension-Identifier: bench-extension\r\nContent-Type: application/json\r\n" +
    `Content-Length: ${Buffer.byteLength(EXTENSION_REGISTERED_BODY)}\r\n\r\n${EXTENSION_REGISTERED_BODY}`,
  "latin1"
)
const INVOCATION_PREFIX = "/2018-06-01/runtime/invocation/"
const INIT_ERROR_PATH = "/2018-06-01/runtime/init/error"
const FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:bench"

const ACK = Buffer.from(
  'HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"status":"OK"}\n',
  "latin1"
)
const CONTINUE = Buffer.from("HTTP/1.1 100 Continue\r\n\r\n", "latin1")
const badRequest = (detail) => {
  const body = JSON.stringify({ errorType: "InvalidRequestID", errorMessage: detail })
  return Buffer.from(
    `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    "utf8"
  )
}
const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1")
const MAX_CAPTURE = 2 * 1024 * 1024

// Request-parser states.
const HEAD = 0
const LENGTH = 1
const CHUNK_SIZE = 2
const CHUNK_DATA = 3
const CHUNK_CRLF = 4
const TRAILERS = 5

/** Everything about the run in progress. */
const run = {
  mode: "idle", // "idle" | "run" | "cold"
  scenario: "",
  count: 0,
  responses: [],
  paths: [],
  served: 0,
  completed: 0,
  pid: 0,
  waiting: [], // /next requests that arrived before the client's pid was known
  held: [],
  nextAt: new Float64Array(0),
  latency: new Float64Array(0),
  ttfb: new Float64Array(0),
  emitToFirstByte: new Float64Array(0),
  startedAt: 0,
  startedAtUs: 0,
  clientCpuStart: 0,
  clientSchedStart: undefined,
  serverCpuStart: undefined,
  bytes: 0,
  wrongKind: 0,
  wrongBytes: 0,
  protocolErrors: [],
  capture: undefined,
  firstBody: undefined,
  firstKind: undefined,
  firstErrorType: undefined
}

const sockets = new Set()

/** Precompute the `/next` responses: one buffer per invocation, head and event together. */
const arm = (scenarioName, count, mode) => {
  const scenario = SCENARIOS[scenarioName]
  const deadline = Date.now() + 15 * 60 * 1000
  const responses = new Array(count)
  const paths = new Array(count)
  for (let i = 0; i < count; i++) {
    const requestId = `3f6c9a2e-5b1d-4c7a-9e8f-${i.toString(16).padStart(12, "0")}`
    const head =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
      `Lambda-Runtime-Aws-Request-Id: ${requestId}\r\n` +
      `Lambda-Runtime-Deadline-Ms: ${deadline}\r\n` +
      `Lambda-Runtime-Invoked-Function-Arn: ${FUNCTION_ARN}\r\n` +
      `Lambda-Runtime-Trace-Id: Root=1-65f0a1b2-${i.toString(16).padStart(24, "0")};Parent=9a9197af755a6419;Sampled=0\r\n` +
      `Lambda-Runtime-Invocation-Id: ${(i * 2654435761).toString(16).padStart(16, "0")}\r\n` +
      `Content-Length: ${scenario.event.length}\r\n\r\n`
    const headLength = Buffer.byteLength(head, "latin1")
    const buffer = Buffer.allocUnsafe(headLength + scenario.event.length)
    buffer.write(head, 0, "latin1")
    scenario.event.copy(buffer, headLength)
    responses[i] = buffer
    paths[i] = `${INVOCATION_PREFIX}${requestId}/`
  }
  for (const socket of sockets) socket.destroy()
  sockets.clear()
  Object.assign(run, {
    mode,
    scenario: scenarioName,
    count,
    responses,
    paths,
    served: 0,
    completed: 0,
    pid: 0,
    waiting: [],
    held: [],
    nextAt: new Float64Array(count),
    latency: new Float64Array(count),
    ttfb: new Float64Array(count).fill(-1),
    emitToFirstByte: new Float64Array(count).fill(-1),
    startedAt: 0,
    startedAtUs: 0,
    clientCpuStart: 0,
    clientSchedStart: undefined,
    serverCpuStart: undefined,
    bytes: 0,
    wrongKind: 0,
    wrongBytes: 0,
    protocolErrors: [],
    capture: undefined,
    firstBody: undefined,
    firstKind: undefined,
    firstErrorType: undefined
  })
}

const disarm = () => {
  run.mode = "idle"
  run.responses = []
  run.paths = []
  run.held = []
  run.waiting = []
  for (const socket of sockets) socket.destroy()
  sockets.clear()
}

const protocolError = (detail) => {
  if (run.protocolErrors.length < 10) run.protocolErrors.push(detail)
}

/** GET /next: answer with the next precomputed invocation, or hold the request when the run is complete. */
const onNext = (socket) => {
  if (run.mode === "idle") return run.held.push(socket)
  if (run.pid === 0) return run.waiting.push(socket)
  if (run.mode === "cold") {
    if (run.served === 0) {
      run.served = 1
      const at = process.hrtime.bigint()
      process.send({ type: "cold", at: at.toString(), initCpuSeconds: treeCpuSeconds(run.pid) })
    }
    return run.held.push(socket)
  }
  const index = run.served
  if (index >= run.count) return run.held.push(socket)
  if (index === 0) {
    run.clientCpuStart = treeCpuSeconds(run.pid)
    run.clientSchedStart = treeSchedSeconds(run.pid)
    run.serverCpuStart = process.cpuUsage()
  }
  run.served = index + 1
  socket.write(run.responses[index])
  const now = performance.now()
  run.nextAt[index] = now
  if (index === 0) {
    run.startedAt = now
    run.startedAtUs = Number(process.hrtime.bigint() / 1000n)
  }
}

/** The value of header `name` (lower-case) in a request head, or undefined. */
const headerValue = (head, lower, name) => {
  const at = lower.indexOf(`\r\n${name}:`)
  if (at === -1) return undefined
  const start = at + name.length + 3
  const end = lower.indexOf("\r\n", start)
  return head.slice(start, end === -1 ? head.length : end).trim()
}

const percentile = (sorted, p) => (sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)])

const summary = (values) => {
  const sorted = Float64Array.from(values.filter((v) => v >= 0)).sort()
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    mean: sorted.length === 0 ? 0 : sorted.reduce((a, b) => a + b, 0) / sorted.length
  }
}

const finish = (endedAt) => {
  // The window on CLOCK_MONOTONIC in µs, the clock of V8's CPU profiles: profile mode keeps only these samples.
  const window = [run.startedAtUs, Number(process.hrtime.bigint() / 1000n)]
  const clientCpu = treeCpuSeconds(run.pid) - run.clientCpuStart
  const schedEnd = treeSchedSeconds(run.pid)
  const clientSched =
    schedEnd === undefined || run.clientSchedStart === undefined ? undefined : schedEnd - run.clientSchedStart
  const serverCpu = process.cpuUsage(run.serverCpuStart)
  const scenario = SCENARIOS[run.scenario]
  const seconds = (endedAt - run.startedAt) / 1000
  const latency = summary(run.latency)
  const ttfb = summary(run.ttfb)
  const emitToFirstByte = summary(run.emitToFirstByte)
  let firstOk = true
  if (run.firstBody !== undefined) firstOk = scenario.check(run.firstBody)
  const problems = [...run.protocolErrors]
  if (run.wrongKind > 0) problems.push(`${run.wrongKind} replies were not a ${scenario.expect.kind}`)
  if (run.wrongBytes > 0) problems.push(`${run.wrongBytes} replies had the wrong size`)
  if (!firstOk) {
    const preview = run.firstBody === undefined ? "" : run.firstBody.toString("utf8", 0, 200)
    problems.push(`unexpected first reply (${run.firstKind} ${run.firstErrorType ?? ""}): ${preview}`)
  }
  process.send({
    type: "done",
    result: {
      invocations: run.count,
      seconds,
      bytes: run.bytes,
      clientCpuSeconds: clientCpu,
      clientSchedSeconds: clientSched,
      serverCpuSeconds: (serverCpu.user + serverCpu.system) / 1e6,
      latencyMs: latency,
      ttfbMs: ttfb,
      emitToFirstByteMs: emitToFirstByte,
      window,
      problems
    }
  })
}

/** A reply has been received in full. */
const onReply = (socket, request, now) => {
  if (request.path === EXTENSION_REGISTER_PATH) {
    socket.write(EXTENSION_REGISTERED)
    return
  }
  if (request.path === INIT_ERROR_PATH) {
    socket.write(ACK)
    process.send({ type: "initError", body: request.body?.toString("utf8") ?? "" })
    return
  }
  const index = run.completed
  if (run.mode !== "run" || index >= run.served) {
    protocolError(`unexpected ${request.method} ${request.path}`)
    socket.write(badRequest("no invocation in flight"))
    return
  }
  const base = run.paths[index]
  const kind = request.path.startsWith(base)
    ? request.path.length === base.length + 8 && request.path.endsWith("response")
      ? request.streamed
        ? "stream"
        : "response"
      : request.path.length === base.length + 5 && request.path.endsWith("error")
        ? "error"
        : "?"
    : "?"
  if (kind === "?") {
    protocolError(`unexpected ${request.method} ${request.path} for invocation ${index}`)
    socket.write(badRequest("unknown request id"))
    return
  }
  run.completed = index + 1
  run.latency[index] = now - run.nextAt[index]
  if (request.firstByteAt > 0) run.ttfb[index] = request.firstByteAt - run.nextAt[index]
  run.emitToFirstByte[index] = request.emitToFirstByteMs
  run.bytes += request.bytes
  const expect = SCENARIOS[run.scenario].expect
  const actualKind = kind === "stream" && request.trailerError !== undefined ? "stream-with-error-trailers" : kind
  if (actualKind !== expect.kind) run.wrongKind++
  if (expect.bytes !== undefined && request.bytes !== expect.bytes) run.wrongBytes++
  if (index === 0) {
    run.firstKind = actualKind
    run.firstErrorType = request.errorType ?? request.trailerError
    run.firstBody = request.body
  }
  socket.write(ACK)
  if (run.completed === run.count) finish(now)
}

/** One client connection: an incremental HTTP/1.1 request parser that counts body bytes without copying them. */
const onConnection = (socket) => {
  sockets.add(socket)
  let state = HEAD
  let pendingHead
  let line = ""
  let remaining = 0
  let request
  const complete = () => {
    const now = performance.now()
    const done = request
    request = undefined
    state = HEAD
    if (done.method === "GET") {
      if (done.path === NEXT_PATH) onNext(socket)
      else if (done.path === EXTENSION_NEXT_PATH) {
        // held until the process ends
      } else {
        protocolError(`unexpected GET ${done.path}`)
        socket.write(badRequest("unknown path"))
      }
    } else onReply(socket, done, now)
  }
  const body = (data, start, end) => {
    if (end <= start) return
    if (request.firstByteAt === 0) {
      request.firstByteAt = performance.now()
      // Streamed bench replies start with the CLOCK_MONOTONIC ns at which the handler emitted them.
      if (request.streamed && end - start >= 8) {
        request.emitToFirstByteMs = Number(process.hrtime.bigint() - data.readBigUInt64LE(start)) / 1e6
      }
    }
    request.bytes += end - start
    if (request.parts !== undefined) {
      if (request.bytes <= MAX_CAPTURE) request.parts.push(data.subarray(start, end))
      else request.parts = undefined
    }
  }
  const startRequest = (head) => {
    const lineEnd = head.indexOf("\r\n")
    const first = lineEnd === -1 ? head : head.slice(0, lineEnd)
    const space = first.indexOf(" ")
    const method = first.slice(0, space)
    const path = first.slice(space + 1, first.indexOf(" ", space + 1))
    const lower = head.toLowerCase()
    const streamed = headerValue(head, lower, "transfer-encoding")?.toLowerCase().includes("chunked") === true
    request = {
      method,
      path,
      streamed,
      bytes: 0,
      firstByteAt: 0,
      emitToFirstByteMs: -1,
      errorType: headerValue(head, lower, "lambda-runtime-function-error-type"),
      trailerError: undefined,
      // Keep the body of the first reply of a run (and of init errors) to check it.
      parts: (run.completed === 0 && run.firstBody === undefined) || path === INIT_ERROR_PATH ? [] : undefined,
      body: undefined
    }
    if (lower.includes("\r\nexpect: 100-continue")) socket.write(CONTINUE)
    if (streamed) {
      state = CHUNK_SIZE
      line = ""
      return
    }
    const length = headerValue(head, lower, "content-length")
    remaining = length === undefined ? 0 : Number.parseInt(length, 10)
    state = LENGTH
    if (remaining === 0) end()
  }
  const end = () => {
    if (request.parts !== undefined) request.body = Buffer.concat(request.parts)
    complete()
  }
  const feed = (data) => {
    let i = 0
    const n = data.length
    while (i < n) {
      switch (state) {
        case HEAD: {
          let buffer = data
          let offset = i
          if (pendingHead !== undefined) {
            buffer = Buffer.concat([pendingHead, data.subarray(i)])
            offset = 0
            pendingHead = undefined
          }
          const at = buffer.indexOf(CRLFCRLF, offset)
          if (at === -1) {
            if (buffer.length - offset > 64 * 1024) {
              protocolError("request head too large")
              socket.destroy()
            } else pendingHead = Buffer.from(buffer.subarray(offset))
            return
          }
          startRequest(buffer.toString("latin1", offset, at))
          if (buffer !== data) {
            // The head straddled two reads: go on with what follows it in the joined buffer.
            feed(buffer.subarray(at + 4))
            return
          }
          i = at + 4
          break
        }
        case LENGTH: {
          const take = Math.min(remaining, n - i)
          body(data, i, i + take)
          i += take
          remaining -= take
          if (remaining === 0) end()
          break
        }
        case CHUNK_SIZE:
        case TRAILERS: {
          const nl = data.indexOf(10, i)
          if (nl === -1) {
            line += data.toString("latin1", i, n)
            i = n
            break
          }
          let text = line + data.toString("latin1", i, nl)
          if (text.endsWith("\r")) text = text.slice(0, -1)
          line = ""
          i = nl + 1
          if (state === CHUNK_SIZE) {
            const size = Number.parseInt(text, 16)
            if (Number.isNaN(size)) {
              protocolError(`bad chunk size line ${JSON.stringify(text)}`)
              socket.destroy()
              return
            }
            if (size === 0) state = TRAILERS
            else {
              remaining = size
              state = CHUNK_DATA
            }
          } else if (text === "") {
            end()
          } else {
            const colon = text.indexOf(":")
            if (text.slice(0, colon).trim().toLowerCase() === "lambda-runtime-function-error-type") {
              request.trailerError = text.slice(colon + 1).trim()
            }
          }
          break
        }
        case CHUNK_DATA: {
          const take = Math.min(remaining, n - i)
          body(data, i, i + take)
          i += take
          remaining -= take
          if (remaining === 0) {
            state = CHUNK_CRLF
            remaining = 2
          }
          break
        }
        case CHUNK_CRLF: {
          const take = Math.min(remaining, n - i)
          i += take
          remaining -= take
          if (remaining === 0) state = CHUNK_SIZE
          break
        }
      }
    }
  }
  socket.on("data", feed)
  socket.on("error", () => {})
  socket.on("close", () => sockets.delete(socket))
}

const server = Net.createServer({ noDelay: true }, onConnection)
server.listen(0, "127.0.0.1", () => {
  process.send({ type: "listening", port: server.address().port })
})

process.on("message", (message) => {
  switch (message.type) {
    case "arm":
      arm(message.scenario, message.count, message.mode)
      process.send({ type: "armed" })
      return
    case "client": {
      run.pid = message.pid
      const waiting = run.waiting
      run.waiting = []
      for (const socket of waiting) onNext(socket)
      return
    }
    case "disarm":
      disarm()
      process.send({ type: "disarmed" })
      return
    case "exit":
      process.exit(0)
  }
})
process.on("disconnect", () => process.exit(0))
