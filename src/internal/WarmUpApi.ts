/**
 * A minimal Runtime API on 127.0.0.1 for {@link warmUp}: it hands out `count` invocations (a small JSON event each),
 * answers every reply with 202 and then holds the next `/next`, as Lambda holds it between invocations. It exists so
 * that a V8 startup snapshot build can run the runtime's live path (socket, HTTP parsing, the loop's waits, the
 * scheduler) before the snapshot is taken: the code that path compiles is then in the snapshot.
 *
 * @internal
 */
import type * as Net from "node:net"

// Loaded, not imported (see `Http1Connection.ts`).
const net = process.getBuiltinModule("node:net")

/** A running warm-up API. */
export interface WarmUpApi {
  /** `host:port`, for `AWS_LAMBDA_RUNTIME_API`. */
  readonly address: string
  /** Resolves once `count` replies were received (or at once if the runtime failed and closed its sockets). */
  readonly served: Promise<void>
  /** Close the server and every connection. */
  readonly close: () => Promise<void>
}

const functionArn = "arn:aws:lambda:us-east-1:000000000000:function:warm-up"
const accepted =
  'HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"status":"OK"}\n'

const invocationHead = (index: number, body: string): string =>
  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
  `Lambda-Runtime-Aws-Request-Id: warm-up-${index}\r\n` +
  `Lambda-Runtime-Deadline-Ms: ${Date.now() + 60_000}\r\n` +
  `Lambda-Runtime-Invoked-Function-Arn: ${functionArn}\r\n` +
  `Lambda-Runtime-Trace-Id: Root=1-00000000-00000000000000000000000${index % 10};Sampled=0\r\n` +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`

/** Start the API on an ephemeral port of 127.0.0.1. */
export const start = (count: number): Promise<WarmUpApi> =>
  new Promise((resolve, reject) => {
    const sockets = new Set<Net.Socket>()
    let handedOut = 0
    let replies = 0
    let markServed: () => void = () => {}
    const served = new Promise<void>((done) => {
      markServed = done
    })
    const server = net.createServer((socket) => {
      sockets.add(socket)
      socket.setNoDelay(true)
      let pending = ""
      socket.on("data", (data) => {
        pending += data.toString("latin1")
        for (;;) {
          const end = pending.indexOf("\r\n\r\n")
          if (end === -1) return
          const head = pending.slice(0, end)
          const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0)
          if (pending.length < end + 4 + length) return
          pending = pending.slice(end + 4 + length)
          if (head.startsWith("GET /2018-06-01/runtime/invocation/next ")) {
            if (handedOut < count) {
              const body = JSON.stringify({ id: String(handedOut), warmUp: true })
              socket.write(invocationHead(handedOut++, body) + body, "latin1")
            }
          } else {
            socket.write(accepted, "latin1")
            if (++replies === count) markServed()
          }
        }
      })
      socket.on("error", () => {})
      socket.on("close", () => {
        sockets.delete(socket)
        if (sockets.size === 0 && replies < count) markServed()
      })
    })
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      resolve({
        address: `127.0.0.1:${port}`,
        served,
        close: () =>
          new Promise((closed) => {
            for (const socket of sockets) socket.destroy()
            server.close(() => closed())
          })
      })
    })
  })
