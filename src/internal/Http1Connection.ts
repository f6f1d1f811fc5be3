/**
 * A minimal HTTP/1.1 client connection on one keep-alive `net.Socket`, made for the local Runtime API:
 * one request at a time, the request head written by the caller, the response parsed incrementally
 * (`Content-Length`, chunked, or read-until-close bodies). No timeouts: `/next` may stay open for as long
 * as the environment is frozen.
 *
 * @internal
 */
import * as Net from "node:net"

/** @internal */
export interface Response {
  readonly status: number
  /** Header names lower-case; repeated headers joined with ", ". */
  readonly headers: Record<string, string>
  readonly body: Buffer
}

/** @internal */
export type Callback = (error: Error | undefined, response: Response | undefined) => void

const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1")
const EMPTY = Buffer.alloc(0)
const MAX_HEAD = 64 * 1024

enum State {
  Idle,
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose
}

/** @internal */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError"
}

/** @internal */
export class ConnectionClosed extends Error {
  override readonly name = "ConnectionClosed"
}

/**
 * One connection. `exchange` writes a request and calls back once with the parsed response or an error.
 * After an error the connection is destroyed; the next `exchange` opens a fresh socket.
 *
 * @internal
 */
export class Http1Connection {
  private socket: Net.Socket | undefined
  private state = State.Idle
  private callback: Callback | undefined
  private pendingHead: Buffer | undefined
  private status = 0
  private headers: Record<string, string> = {}
  private bodyParts: Array<Buffer> = []
  private remaining = 0
  private closeAfter = false
  /** Bytes already received for the current response but not yet parsed (chunked framing). */
  private carry: Buffer | undefined

  constructor(
    readonly host: string,
    readonly port: number
  ) {}

  /** Whether a socket is open and no exchange is in flight. */
  get idle(): boolean {
    return this.state === State.Idle
  }

  /** The socket, opened on first use. */
  get raw(): Net.Socket {
    return this.socket ?? this.connect()
  }

  private connect(): Net.Socket {
    const socket = Net.connect({ host: this.host, port: this.port, noDelay: true, keepAlive: true })
    // Events of a socket this connection has already let go of are ignored.
    socket.on("data", (data: Buffer) => {
      if (this.socket === socket) this.onData(data)
    })
    socket.on("error", (error: Error) => {
      if (this.socket === socket) this.fail(error)
    })
    socket.on("end", () => {
      if (this.socket === socket && this.state === State.UntilClose) this.finish()
    })
    socket.on("close", () => {
      if (this.socket !== socket) return
      this.socket = undefined
      if (this.state === State.UntilClose) this.finish()
      else if (this.state !== State.Idle) this.fail(new ConnectionClosed("the Runtime API closed the connection"))
    })
    this.socket = socket
    return socket
  }

  /**
   * Start an exchange: register `callback`, then write `head` (the request line and headers, ending with a blank
   * line) and `body`. For a body written in parts (chunked), pass no body and write to {@link raw} afterwards.
   */
  exchange(head: string, body: Uint8Array | undefined, callback: Callback): void {
    const socket = this.begin(callback)
    if (body === undefined || body.length === 0) {
      socket.write(head, "latin1")
    } else if (body.length <= 16 * 1024) {
      const headLength = Buffer.byteLength(head, "latin1")
      const buffer = Buffer.allocUnsafe(headLength + body.length)
      buffer.write(head, 0, "latin1")
      buffer.set(body, headLength)
      socket.write(buffer)
    } else {
      socket.cork()
      socket.write(head, "latin1")
      socket.write(body)
      socket.uncork()
    }
  }

  /**
   * Start an exchange whose request the caller writes itself (a chunked body): register `callback` for the
   * response and return the socket. The response may arrive before the request is fully written.
   */
  begin(callback: Callback): Net.Socket {
    this.start(callback)
    return this.raw
  }

  private start(callback: Callback): void {
    if (this.state !== State.Idle) throw new Error("Http1Connection: exchange already in flight")
    this.callback = callback
    this.state = State.Head
    this.pendingHead = undefined
    this.status = 0
    this.headers = {}
    this.bodyParts = []
    this.remaining = 0
    this.closeAfter = false
    this.carry = undefined
  }

  /** Destroy the socket; an exchange in flight fails with `reason`. */
  destroy(reason?: Error): void {
    const socket = this.socket
    this.socket = undefined
    if (this.state !== State.Idle) this.fail(reason ?? new ConnectionClosed("connection destroyed"))
    socket?.destroy()
  }

  private fail(error: Error): void {
    const callback = this.callback
    this.callback = undefined
    this.state = State.Idle
    this.bodyParts = []
    this.carry = undefined
    const socket = this.socket
    this.socket = undefined
    socket?.destroy()
    if (callback !== undefined) callback(error, undefined)
  }

  private finish(): void {
    const callback = this.callback
    const parts = this.bodyParts
    const body = parts.length === 0 ? EMPTY : parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    const response: Response = { status: this.status, headers: this.headers, body }
    this.callback = undefined
    this.state = State.Idle
    this.bodyParts = []
    if (this.closeAfter || this.carry !== undefined) {
      const socket = this.socket
      this.socket = undefined
      socket?.destroy()
    }
    this.carry = undefined
    if (callback !== undefined) callback(undefined, response)
  }

  private onData(data: Buffer): void {
    switch (this.state) {
      case State.Idle:
        // Bytes nobody asked for: the connection is out of step; drop it.
        this.destroy()
        return
      case State.Head:
        return this.onHead(data)
      case State.Length:
        return this.onLength(data)
      case State.UntilClose:
        this.bodyParts.push(data)
        return
      default:
        return this.onChunked(data)
    }
  }

  private onHead(data: Buffer): void {
    const buffer = this.pendingHead === undefined ? data : Buffer.concat([this.pendingHead, data])
    const end = buffer.indexOf(CRLFCRLF)
    if (end === -1) {
      if (buffer.length > MAX_HEAD) return this.fail(new ProtocolError("response head too large"))
      this.pendingHead = buffer
      return
    }
    this.pendingHead = undefined
    const error = this.parseHead(buffer.toString("latin1", 0, end))
    if (error !== undefined) return this.fail(error)
    const rest = buffer.subarray(end + 4)
    if (this.state === State.Head) {
      if (rest.length > 0) this.onHead(rest)
      return
    }
    if (this.state === State.Length) {
      if (this.remaining === 0) {
        if (rest.length > 0) this.carry = rest
        return this.finish()
      }
      if (rest.length > 0) this.onLength(rest)
    } else if (this.state === State.UntilClose) {
      if (rest.length > 0) this.bodyParts.push(rest)
    } else if (rest.length > 0) {
      this.onChunked(rest)
    }
  }

  private parseHead(head: string): Error | undefined {
    const firstLineEnd = head.indexOf("\r\n")
    const statusLine = firstLineEnd === -1 ? head : head.slice(0, firstLineEnd)
    if (!statusLine.startsWith("HTTP/1.")) return new ProtocolError(`bad status line ${JSON.stringify(statusLine)}`)
    const status = Number(statusLine.slice(9, 12))
    if (!Number.isInteger(status) || status < 100) {
      return new ProtocolError(`bad status line ${JSON.stringify(statusLine)}`)
    }
    if (status < 200) {
      // Interim response (100 Continue): ignore it and wait for the final head.
      this.state = State.Head
      return undefined
    }
    this.status = status
    const headers: Record<string, string> = {}
    let start = firstLineEnd === -1 ? head.length : firstLineEnd + 2
    while (start < head.length) {
      let lineEnd = head.indexOf("\r\n", start)
      if (lineEnd === -1) lineEnd = head.length
      const colon = head.indexOf(":", start)
      if (colon === -1 || colon > lineEnd) return new ProtocolError("malformed response header line")
      const name = head.slice(start, colon).trim().toLowerCase()
      const value = head.slice(colon + 1, lineEnd).trim()
      const previous = headers[name]
      headers[name] = previous === undefined ? value : `${previous}, ${value}`
      start = lineEnd + 2
    }
    this.headers = headers
    const connection = headers.connection
    this.closeAfter = connection !== undefined && connection.toLowerCase() === "close"
    if (status === 204 || status === 304) {
      this.state = State.Length
      this.remaining = 0
      return undefined
    }
    const encoding = headers["transfer-encoding"]
    if (encoding?.toLowerCase().endsWith("chunked")) {
      this.state = State.ChunkSize
      return undefined
    }
    const length = headers["content-length"]
    if (length !== undefined) {
      const n = Number(length)
      if (!/^\d+$/.test(length) || !Number.isSafeInteger(n)) return new ProtocolError(`bad content-length ${length}`)
      this.state = State.Length
      this.remaining = n
      return undefined
    }
    this.state = State.UntilClose
    this.closeAfter = true
    return undefined
  }

  private onLength(data: Buffer): void {
    if (data.length <= this.remaining) {
      this.bodyParts.push(data)
      this.remaining -= data.length
    } else {
      this.bodyParts.push(data.subarray(0, this.remaining))
      this.carry = data.subarray(this.remaining)
      this.remaining = 0
    }
    if (this.remaining === 0) this.finish()
  }

  private onChunked(input: Buffer): void {
    let data = this.carry === undefined ? input : Buffer.concat([this.carry, input])
    this.carry = undefined
    while (data.length > 0) {
      switch (this.state) {
        case State.ChunkSize: {
          const lineEnd = data.indexOf("\r\n", 0, "latin1")
          if (lineEnd === -1) {
            if (data.length > 1024) return this.fail(new ProtocolError("chunk size line too long"))
            this.carry = data
            return
          }
          const line = data.toString("latin1", 0, lineEnd)
          const semicolon = line.indexOf(";")
          const hex = (semicolon === -1 ? line : line.slice(0, semicolon)).trim()
          const size = Number.parseInt(hex, 16)
          if (!/^[0-9a-fA-F]+$/.test(hex) || !Number.isSafeInteger(size)) {
            return this.fail(new ProtocolError(`bad chunk size ${JSON.stringify(line)}`))
          }
          data = data.subarray(lineEnd + 2)
          if (size === 0) {
            this.state = State.Trailers
          } else {
            this.remaining = size
            this.state = State.ChunkData
          }
          break
        }
        case State.ChunkData: {
          if (data.length <= this.remaining) {
            this.bodyParts.push(data)
            this.remaining -= data.length
            data = EMPTY
          } else {
            this.bodyParts.push(data.subarray(0, this.remaining))
            data = data.subarray(this.remaining)
            this.remaining = 0
          }
          if (this.remaining === 0) this.state = State.ChunkDataEnd
          break
        }
        case State.ChunkDataEnd: {
          if (data.length < 2) {
            this.carry = data
            return
          }
          if (data[0] !== 13 || data[1] !== 10) return this.fail(new ProtocolError("missing CRLF after chunk"))
          data = data.subarray(2)
          this.state = State.ChunkSize
          break
        }
        case State.Trailers: {
          const lineEnd = data.indexOf("\r\n", 0, "latin1")
          if (lineEnd === -1) {
            this.carry = data
            return
          }
          data = data.subarray(lineEnd + 2)
          if (lineEnd === 0) {
            if (data.length > 0) this.carry = data
            return this.finish()
          }
          break
        }
        default:
          return
      }
    }
  }
}
