/**
 * The floor (opt-in: `--clients ...,floor`): a minimal Lambda runtime loop on one raw `net.Socket`, with the
 * request heads as templates and a response parser that handles only what the fake Runtime API sends
 * (Content-Length bodies). It shows how fast a Node client can go in this harness, so that a ratio against the bare
 * loop can be read against what is possible at all. Same handler modules as the other JS clients.
 */
import { EventEmitter } from "node:events"
import * as Net from "node:net"
import * as Path from "node:path"
import * as Url from "node:url"

const STREAMING = Symbol("streaming")
globalThis.awslambda = {
  streamifyResponse: (handler) => {
    handler[STREAMING] = true
    return handler
  }
}

const api = process.env.AWS_LAMBDA_RUNTIME_API
const [host, port] = api.split(":")
const [file, exportName] = process.env._HANDLER.split(".")
const module = await import(Url.pathToFileURL(Path.join(process.env.LAMBDA_TASK_ROOT, `${file}.mjs`)).href)
const handler = module[exportName]

const base = "/2018-06-01/runtime/invocation/"
const NEXT = Buffer.from(`GET ${base}next HTTP/1.1\r\nHost: ${api}\r\n\r\n`, "latin1")
const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1")

const socket = Net.connect({ host, port: Number(port), noDelay: true })
let pending = Buffer.alloc(0)
let onResponse

/** Read one response (head + Content-Length body) and hand it to `onResponse`. */
socket.on("data", (data) => {
  pending = pending.length === 0 ? data : Buffer.concat([pending, data])
  for (;;) {
    const end = pending.indexOf(CRLFCRLF)
    if (end === -1) return
    const head = pending.toString("latin1", 0, end)
    const lengthAt = head.search(/\r\ncontent-length:/i)
    const length = lengthAt === -1 ? 0 : Number.parseInt(head.slice(lengthAt + 17), 10)
    if (pending.length < end + 4 + length) return
    const body = pending.subarray(end + 4, end + 4 + length)
    pending = pending.subarray(end + 4 + length)
    const callback = onResponse
    onResponse = undefined
    callback(head, body)
  }
})

const next = () =>
  new Promise((resolve) => {
    onResponse = (head, body) => {
      const at = head.search(/\r\nlambda-runtime-aws-request-id:/i)
      resolve({ id: head.slice(at + 32, head.indexOf("\r\n", at + 2)).trim(), body })
    }
    socket.write(NEXT)
  })

const answered = () =>
  new Promise((resolve) => {
    onResponse = resolve
  })

const post = (path, body, extra = "") => {
  const head = `POST ${path} HTTP/1.1\r\nHost: ${api}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n`
  const done = answered()
  socket.write(head + body)
  return done
}

/** A writable for streaming handlers: each write is one chunk of a chunked POST on the socket. */
class ResponseStream extends EventEmitter {
  constructor() {
    super()
    this.onDrain = () => this.emit("drain")
    socket.on("drain", this.onDrain)
  }
  write(chunk) {
    socket.cork()
    socket.write(`${chunk.length.toString(16)}\r\n`, "latin1")
    socket.write(chunk)
    const ok = socket.write("\r\n", "latin1")
    socket.uncork()
    return ok
  }
  end() {
    socket.write("0\r\n\r\n", "latin1")
    socket.off("drain", this.onDrain)
  }
}

for (;;) {
  const { id, body } = await next()
  const event = JSON.parse(body.toString("utf8"))
  if (handler[STREAMING]) {
    const done = answered()
    socket.write(
      `POST ${base}${id}/response HTTP/1.1\r\nHost: ${api}\r\nContent-Type: application/octet-stream\r\n` +
        "Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n" +
        "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n",
      "latin1"
    )
    await handler(event, new ResponseStream(), { awsRequestId: id })
    await done
    continue
  }
  try {
    const result = await handler(event, { awsRequestId: id })
    await post(`${base}${id}/response`, JSON.stringify(result))
  } catch (error) {
    const report = { errorType: error.name, errorMessage: error.message, stackTrace: error.stack.split("\n") }
    console.error(`Invoke Error: ${report.errorType}: ${report.errorMessage}`)
    await post(
      `${base}${id}/error`,
      JSON.stringify(report),
      `Lambda-Runtime-Function-Error-Type: ${report.errorType}\r\n`
    )
  }
}
