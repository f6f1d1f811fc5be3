/**
 * HTTP/1.1 pipelining for the raw test servers: a client may write a request before the previous one is answered
 * (the runtime sends `/next` right behind each reply), and a conformant server serves the requests of a connection
 * one at a time, in order. `servedInOrder(socket)` gives a raw server that: each parsed request is handed over as a
 * `serve` callback, which runs once every earlier request's answer on that socket is complete.
 *
 * Complete means a final response (1xx skipped) whose body, by `Content-Length` or chunked framing, has been
 * written to the socket, or an answer the server ended the socket with. An answer without framing is delimited by
 * the close, so nothing after it is served: as on a real server, a pipelined request behind an answer that never
 * completes is never served. A server that ends the socket drops the requests it holds; one that arrives after
 * the end is still taken (the server reads until the client closes), but its answer cannot be written, so it is the
 * last. Nothing is served once the socket is destroyed.
 */
import type * as Net from "node:net"

const EMPTY = Buffer.alloc(0)

/** Whether `bytes` (written for one request) hold a complete final response. */
const isComplete = (bytes: Buffer): boolean => {
  let start = 0
  for (;;) {
    const end = bytes.indexOf("\r\n\r\n", start)
    if (end === -1) return false
    const head = bytes.toString("latin1", start, end)
    const status = Number(head.slice(9, 12))
    if (status >= 100 && status < 200) {
      start = end + 4
      continue
    }
    const body = bytes.length - (end + 4)
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)
    if (length !== null) return body >= Number(length[1])
    if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) {
      return (
        body >= 5 &&
        bytes.subarray(bytes.length - 4).toString("latin1") === "\r\n\r\n" &&
        /(^|\r\n)0\r\n/.test(bytes.toString("latin1", end + 4))
      )
    }
    return status === 204 || status === 304
  }
}

/** Queue `serve` callbacks of requests parsed on `socket`; each runs when the answers before it are complete. */
export const servedInOrder = (socket: Net.Socket): ((serve: () => void) => void) => {
  const queue: Array<() => void> = []
  let busy = false
  let written: Buffer = EMPTY
  const write = socket.write
  const pump = () => {
    while (!busy && queue.length > 0 && !socket.destroyed) {
      busy = true
      written = EMPTY
      queue.shift()!()
    }
  }
  const end = socket.end
  socket.end = function (this: Net.Socket, ...args: Array<unknown>) {
    queue.length = 0
    if (busy && !this.writableEnded) {
      busy = false
      setImmediate(pump)
    }
    return (end as (...args: Array<unknown>) => Net.Socket).apply(this, args)
  } as typeof socket.end
  socket.write = function (this: Net.Socket, chunk: unknown, ...rest: Array<unknown>) {
    if (busy && !this.writableEnded && (typeof chunk === "string" || chunk instanceof Uint8Array)) {
      const encoding = typeof rest[0] === "string" ? (rest[0] as BufferEncoding) : "utf8"
      const bytes = typeof chunk === "string" ? Buffer.from(chunk, encoding) : Buffer.from(chunk)
      written = written.length === 0 ? bytes : Buffer.concat([written, bytes])
      if (isComplete(written)) {
        busy = false
        written = EMPTY
        setImmediate(pump)
      }
    }
    return (write as (...args: Array<unknown>) => boolean).call(this, chunk, ...rest)
  } as typeof socket.write
  // Requests parsed from one read are all queued before the first is served: a server that ends the socket while
  // serving one drops those behind it.
  return (serve) => {
    queue.push(serve)
    queueMicrotask(pump)
  }
}
