/**
 * The Runtime API client's connection pool: idle connections are reused, one is opened when none is idle, and a
 * connection that failed is dropped for good (the pool keeps nothing but live connections).
 *
 * @internal
 */
import { Http1Connection } from "./Http1Connection.js"

/** @internal */
export class Pool {
  private readonly idle: Array<Http1Connection> = []
  private readonly all = new Set<Http1Connection>()
  closed = false
  constructor(
    readonly host: string,
    readonly port: number,
    readonly answerTimeoutMs: number
  ) {}

  /** Connections the pool holds (idle or in use). */
  get size(): number {
    return this.all.size
  }

  acquire(): Http1Connection {
    const connection = this.idle.pop()
    if (connection !== undefined) return connection
    const fresh = new Http1Connection(this.host, this.port, this.answerTimeoutMs)
    this.all.add(fresh)
    return fresh
  }

  /** Give back a connection after a complete exchange. */
  release(connection: Http1Connection): void {
    if (this.closed) connection.destroy()
    else this.idle.push(connection)
  }

  /** Destroy a connection that failed and forget it. */
  discard(connection: Http1Connection): void {
    this.all.delete(connection)
    connection.destroy()
  }

  close(): void {
    this.closed = true
    for (const connection of this.all) connection.destroy()
    this.all.clear()
    this.idle.length = 0
  }
}
