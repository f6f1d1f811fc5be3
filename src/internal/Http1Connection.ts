/**
 * A minimal HTTP/1.1 client connection on one keep-alive `net.Socket`, made for the local Runtime API:
 * one request at a time, or one more pipelined right behind it (written in the same write, its response read after
 * the first one's), the request head written by the caller, the response read incrementally
 * (`Content-Length`, chunked, or read-until-close bodies). The bytes themselves (heads, chunk-size lines) are
 * parsed by `RuntimeApiWire`; this module owns the socket: reading, bounds, keep-alive and close.
 *
 * Bounds: the response head (64 KiB), the trailer section (16 KiB) and the body ({@link MaxBodyBytes}) are
 * limited; past a limit the exchange fails with a {@link ProtocolError}. A POST may be guarded by an answer
 * timeout (one reusable timer per connection); `/next` is never timed out, as it may stay open for as long as
 * the environment is frozen.
 *
 * At most once: an error is a {@link NotSent} only when provably none of the request left (the socket never
 * connected). A connection whose peer ended it (FIN), answered `Connection: close` or spoke HTTP/1.0 without
 * keep-alive is never reused.
 *
 * @internal
 */
import type * as Net from "node:net"
import { HeadEnd, ProtocolError, parseChunkSize, parseResponseHead } from "./RuntimeApiWire.js"

export { ProtocolError }

// Loaded, not imported: an ES module import of node:net makes Node read every export (and load their modules).
const net = process.getBuiltinModule("node:net")

/** @internal */
export interface Response {
  readonly status: number
  /** The `Lambda-*` headers, names lower-case; repeated headers joined with ", " (see `RuntimeApiWire`). */
  readonly headers: Record<string, string>
  readonly body: Buffer
}

/** @internal */
export type Callback = (error: Error | undefined, response: Response | undefined) => void

/**
 * A bodiless request written right behind an exchange's own (HTTP/1.1 pipelining): its head, and the callback for its
 * response, which the peer sends after the first one's.
 *
 * @internal
 */
export interface Pipelined {
  readonly head: string
  readonly callback: Callback
}

const CRLFCRLF = HeadEnd
const EMPTY = Buffer.alloc(0)
/**
 * The answer guard allows for reading a request body at 1 MiB/s on top of `answerTimeoutMs`, counted in 64 KiB
 * steps (64 ms each), so that small bodies keep the one re-armed timer.
 */
const uploadAllowanceMs = (bytes: number): number => Math.floor(bytes / (64 * 1024)) * 64
/** Largest response head (status line and headers). */
export const MaxHeadBytes = 64 * 1024
/** Largest trailer section of a chunked response. */
export const MaxTrailerBytes = 16 * 1024
/**
 * Largest response body: the largest event Lambda delivers (6 MiB + 100 bytes for a synchronous invoke) with a
 * margin, so that no answer of the Runtime API is buffered without bound.
 */
export const MaxBodyBytes = 8 * 1024 * 1024

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
export class ConnectionClosed extends Error {
  override readonly name = "ConnectionClosed"
}

/**
 * A pipelined request the peer never served: it ended the connection with its answer to the request before it
 * (`Connection: close`, HTTP/1.0, a FIN). Sending it again cannot deliver it twice.
 *
 * @internal
 */
export class NotServed extends Error {
  override readonly name = "NotServed"
}

/** The answer guard ran out: the request was sent and no (complete) answer came in time. @internal */
export class NoAnswer extends Error {
  override readonly name = "NoAnswer"
}

/**
 * The exchange failed before any byte of the request could leave (the socket never connected): sending the
 * request again cannot deliver it twice.
 *
 * @internal
 */
export class NotSent extends Error {
  override readonly name = "NotSent"
  constructor(override readonly cause: Error) {
    super(cause.message)
  }
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
  private status = 0
  private headers: Record<string, string> = {}
  private bodyParts: Array<Buffer> = []
  private remaining = 0
  private closeAfter = false
  /** Bytes already received for the current response but not yet parsed (chunked framing). */
  private carry: Buffer | undefined
  /** Body bytes of the current response so far. */
  private bodyBytes = 0
  /** Parts of a head that arrived in pieces, and their total length. */
  private headParts: Array<Buffer> = []
  private headBytes = 0
  /** Trailer section scan: bytes so far, length of the current line, whether the last byte was CR. */
  private trailerBytes = 0
  private trailerLine = 0
  private trailerCR = false
  /** Whether any byte of the current request may have reached the peer. */
  private requestLeft = false
  /** The peer ended its side (FIN): the socket is not reused. */
  private peerEnded = false
  /** One answer-guard timer per connection, re-armed with `refresh()` (no allocation per exchange). */
  private timer: ReturnType<typeof setTimeout> | undefined
  private guardArmed = false
  private timerMs = 0
  /** The request written right behind the current one: it becomes the current exchange when that one's answer ends. */
  private follow: Callback | undefined

  constructor(
    readonly host: string,
    readonly port: number,
    /** How long a guarded exchange waits for its answer once armed (see {@link guard}). */
    readonly answerTimeoutMs = 3_000
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
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true, keepAlive: true })
    // Events of a socket this connection has already let go of are ignored.
    socket.on("data", (data: Buffer) => {
      if (this.socket === socket) this.onData(data)
    })
    socket.on("error", (error: Error) => {
      if (this.socket === socket) this.fail(error)
    })
    socket.on("connect", () => {
      if (this.socket === socket && this.state !== State.Idle) this.requestLeft = true
    })
    socket.on("end", () => {
      if (this.socket !== socket) return
      this.peerEnded = true
      if (this.state === State.UntilClose) this.finish()
      else if (this.state === State.Idle) {
        // A kept-alive socket the peer has closed: never write on it again.
        this.socket = undefined
        socket.destroy()
      }
    })
    socket.on("close", () => {
      if (this.socket !== socket) return
      this.socket = undefined
      if (this.state === State.UntilClose) this.finish()
      else if (this.state !== State.Idle) this.fail(new ConnectionClosed("the Runtime API closed the connection"))
    })
    this.socket = socket
    this.peerEnded = false
    return socket
  }

  /**
   * Start an exchange: register `callback`, then write `head` (the request line and headers, ending with a blank
   * line) and `body`. For a body written in parts (chunked), pass no body and write to {@link raw} afterwards.
   *
   * `then`: a bodiless request pipelined behind this one, in the same write. Its callback is called once, after
   * this exchange's: with its response, or with an error when the connection fails first, or when the peer ends the
   * connection with the first answer (`Connection: close`, HTTP/1.0, a FIN), which means it never served it.
   */
  exchange(
    head: string,
    body: string | Uint8Array | undefined,
    callback: Callback,
    guarded = false,
    then?: Pipelined
  ): void {
    const socket = this.begin(callback)
    this.follow = then?.callback
    // The guard also covers the upload: a large body gets time for the API to read it at a modest rate.
    if (guarded) this.guard(body === undefined ? 0 : uploadAllowanceMs(body.length))
    const after = then === undefined ? "" : then.head
    if (body === undefined || body.length === 0) {
      socket.write(after === "" ? head : head + after, "latin1")
    } else if (typeof body === "string") {
      // The head is Latin-1, the body UTF-8: a small body shares one write with the head; a large one is encoded
      // by the socket's own write (no Buffer copy of it outlives the write).
      if (body.length <= 16 * 1024) {
        const headLength = Buffer.byteLength(head, "latin1")
        const bodyLength = Buffer.byteLength(body, "utf8")
        const buffer = Buffer.allocUnsafe(headLength + bodyLength + after.length)
        buffer.write(head, 0, "latin1")
        buffer.write(body, headLength, "utf8")
        if (after !== "") buffer.write(after, headLength + bodyLength, "latin1")
        socket.write(buffer)
      } else {
        socket.cork()
        socket.write(head, "latin1")
        socket.write(body, "utf8")
        if (after !== "") socket.write(after, "latin1")
        socket.uncork()
      }
    } else if (body.length <= 16 * 1024) {
      const headLength = Buffer.byteLength(head, "latin1")
      const buffer = Buffer.allocUnsafe(headLength + body.length + after.length)
      buffer.write(head, 0, "latin1")
      buffer.set(body, headLength)
      if (after !== "") buffer.write(after, headLength + body.length, "latin1")
      socket.write(buffer)
    } else {
      socket.cork()
      socket.write(head, "latin1")
      socket.write(body)
      if (after !== "") socket.write(after, "latin1")
      socket.uncork()
    }
  }

  /**
   * Start an exchange whose request the caller writes itself (a chunked body): register `callback` for the
   * response and return the socket. The response may arrive before the request is fully written.
   */
  begin(callback: Callback): Net.Socket {
    this.start(callback)
    const socket = this.raw
    if (!socket.connecting) this.requestLeft = true
    return socket
  }

  /**
   * Arm the answer guard for the exchange in flight: if no complete answer arrived within `answerTimeoutMs`,
   * the exchange fails with {@link NoAnswer} and the socket is dropped. An answer read until the close whose
   * status is already known as 2xx is taken as it is when the guard runs out.
   */
  guard(extraMs = 0): void {
    if (this.state === State.Idle || this.answerTimeoutMs <= 0) return
    this.guardArmed = true
    const ms = this.answerTimeoutMs + extraMs
    if (this.timer === undefined || this.timerMs !== ms) {
      if (this.timer !== undefined) clearTimeout(this.timer)
      this.timer = setTimeout(() => this.onGuard(), ms)
      this.timer.unref()
      this.timerMs = ms
    } else {
      this.timer.refresh()
    }
  }

  private onGuard(): void {
    if (!this.guardArmed || this.state === State.Idle) return
    this.guardArmed = false
    if (this.state === State.UntilClose && this.status >= 200 && this.status < 300) return this.finish()
    this.fail(new NoAnswer(`the Runtime API did not answer within ${this.timerMs} ms`))
  }

  private start(callback: Callback): void {
    if (this.state !== State.Idle) throw new Error("Http1Connection: exchange already in flight")
    this.callback = callback
    this.state = State.Head
    this.status = 0
    this.headers = {}
    this.bodyParts = []
    this.remaining = 0
    this.closeAfter = false
    this.carry = undefined
    this.bodyBytes = 0
    this.headBytes = 0
    this.trailerBytes = 0
    this.trailerLine = 0
    this.trailerCR = false
    this.requestLeft = false
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
    const follow = this.follow
    this.callback = undefined
    this.follow = undefined
    this.state = State.Idle
    this.guardArmed = false
    this.bodyParts = []
    this.headParts = []
    this.carry = undefined
    const socket = this.socket
    this.socket = undefined
    socket?.destroy()
    const failure = this.requestLeft ? error : new NotSent(error)
    if (callback !== undefined) callback(failure, undefined)
    if (follow !== undefined) follow(failure, undefined)
  }

  private finish(): void {
    const callback = this.callback
    const parts = this.bodyParts
    const body = parts.length === 0 ? EMPTY : parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    const response: Response = { status: this.status, headers: this.headers, body }
    const follow = this.follow
    const rest = this.carry
    // A peer that ends the connection with this answer never serves the request pipelined behind it.
    const ending = this.closeAfter || this.peerEnded
    this.callback = undefined
    this.follow = undefined
    this.state = State.Idle
    this.guardArmed = false
    this.bodyParts = []
    this.carry = undefined
    const handOver = follow !== undefined && !ending && this.socket !== undefined
    if (handOver) {
      // The pipelined request's answer comes next on this socket; bytes of it may already be here.
      this.start(follow)
      this.requestLeft = true
    } else if (ending || rest !== undefined || follow !== undefined) {
      const socket = this.socket
      this.socket = undefined
      socket?.destroy()
    }
    if (callback !== undefined) callback(undefined, response)
    if (follow === undefined) return
    if (!handOver) {
      follow(new NotServed("the Runtime API ended the connection with its answer to the request before"), undefined)
    } else if (rest !== undefined && this.callback === follow) {
      // Still in flight (the first callback may have destroyed the connection, which failed it already).
      this.onData(rest)
    }
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
        if (this.overBody(data.length)) return
        this.bodyParts.push(data)
        return
      default:
        return this.onChunked(data)
    }
  }

  /** Count `n` more body bytes; past {@link MaxBodyBytes} the exchange fails. */
  private overBody(n: number): boolean {
    this.bodyBytes += n
    if (this.bodyBytes <= MaxBodyBytes) return false
    this.fail(new ProtocolError(`response body over the ${MaxBodyBytes}-byte limit`))
    return true
  }

  /** Whether the head bytes so far end with the first `k` bytes of CRLFCRLF. */
  private headEndsWith(k: number): boolean {
    let part = this.headParts.length - 1
    let offset = this.headParts[part]!.length
    for (let i = k - 1; i >= 0; i--) {
      while (offset === 0) {
        part--
        if (part < 0) return false
        offset = this.headParts[part]!.length
      }
      offset--
      if (this.headParts[part]![offset] !== CRLFCRLF[i]) return false
    }
    return true
  }

  /** Whether `data` starts with the last `4 - k` bytes of CRLFCRLF. */
  private startsWithRest(data: Buffer, k: number): boolean {
    for (let i = k; i < 4; i++) if (data[i - k] !== CRLFCRLF[i]) return false
    return true
  }

  private onHead(data: Buffer): void {
    let end: number
    let buffer = data
    const pieces = this.headBytes > 0
    if (!pieces) {
      end = data.indexOf(CRLFCRLF)
    } else {
      // Search only the new bytes (and across the boundary): the parts are joined once, when the head is whole.
      const before = this.headBytes
      end = -1
      for (let k = 3; k >= 1 && end === -1; k--) {
        if (data.length >= 4 - k && this.headEndsWith(k) && this.startsWithRest(data, k)) end = before - k
      }
      if (end === -1) {
        const inData = data.indexOf(CRLFCRLF)
        if (inData !== -1) end = before + inData
      }
      this.headParts.push(data)
      this.headBytes += data.length
    }
    if (end === -1) {
      if (!pieces) {
        this.headParts = [data]
        this.headBytes = data.length
      }
      if (this.headBytes > MaxHeadBytes) {
        return this.fail(new ProtocolError(`response head over the ${MaxHeadBytes}-byte limit`))
      }
      return
    }
    if (end > MaxHeadBytes) return this.fail(new ProtocolError(`response head over the ${MaxHeadBytes}-byte limit`))
    if (pieces) buffer = Buffer.concat(this.headParts, this.headBytes)
    this.headParts = []
    this.headBytes = 0
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
      if (rest.length > 0 && !this.overBody(rest.length)) this.bodyParts.push(rest)
    } else if (rest.length > 0) {
      this.onChunked(rest)
    }
  }

  private parseHead(head: string): Error | undefined {
    const parsed = parseResponseHead(head)
    if (parsed instanceof Error) return parsed
    if (parsed === "interim") {
      // Interim response (100 Continue): ignore it and wait for the final head.
      this.state = State.Head
      return undefined
    }
    this.status = parsed.status
    this.headers = parsed.headers
    this.closeAfter = parsed.closeAfter
    switch (parsed.framing._tag) {
      case "Chunked":
        this.state = State.ChunkSize
        return undefined
      case "UntilClose":
        this.state = State.UntilClose
        return undefined
      case "Length": {
        const n = parsed.framing.length
        if (n > MaxBodyBytes) {
          return new ProtocolError(`response body of ${n} bytes is over the ${MaxBodyBytes}-byte limit`)
        }
        this.state = State.Length
        this.remaining = n
        return undefined
      }
    }
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
          const size = parseChunkSize(data.toString("latin1", 0, lineEnd))
          if (size instanceof ProtocolError) return this.fail(size)
          data = data.subarray(lineEnd + 2)
          if (size === 0) {
            this.state = State.Trailers
          } else {
            if (this.overBody(size)) return
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
          // Trailers are not used: scan for the blank line that ends them, keeping nothing but counters.
          let i = 0
          for (; i < data.length; i++) {
            const byte = data[i]!
            if (this.trailerCR && byte === 10) {
              this.trailerCR = false
              if (this.trailerLine === 0) {
                const rest = data.subarray(i + 1)
                if (rest.length > 0) this.carry = rest
                return this.finish()
              }
              this.trailerLine = 0
            } else if (byte === 13) {
              this.trailerCR = true
            } else {
              this.trailerCR = false
              this.trailerLine++
              if (++this.trailerBytes > MaxTrailerBytes) {
                return this.fail(new ProtocolError(`response trailers over the ${MaxTrailerBytes}-byte limit`))
              }
            }
          }
          return
        }
        default:
          return
      }
    }
  }
}
