/**
 * The Runtime API server's invocations: each queued invocation is handed to exactly one `/next` poll that
 * can still carry it, then accepts exactly one reply. Tracks every invocation's state and its waiters.
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as Http from "node:http"
import type * as Net from "node:net"
import * as InvocationContext from "effect-lambda-runtime/InvocationContext"
import type * as RuntimeApiServer from "../RuntimeApiServer.js"

/** @internal */
export type EntryState = "queued" | "delivered" | "replying" | "answered" | "undelivered"

/** One invocation and what became of it. @internal */
export interface Entry {
  readonly requestId: string
  readonly request: RuntimeApiServer.InvokeRequest
  readonly outcome: Deferred.Deferred<RuntimeApiServer.Outcome>
  readonly delivered: Deferred.Deferred<RuntimeApiServer.Delivery>
  readonly reply: Deferred.Deferred<RuntimeApiServer.Reply>
  state: EntryState
  invocationId: string | undefined
}

/** A waiting `/next` poll. Returns false when its connection is already gone. */
type Waiter = (entry: Entry) => boolean

/**
 * The connection a response goes out on. The response of a request pipelined behind another one (the runtime sends
 * `/next` right behind its reply) is given the socket only when the one before it has been answered: until then,
 * its request's socket.
 */
const connectionOf = (response: Http.ServerResponse): Net.Socket | null =>
  response.socket ?? (response.writableEnded ? null : (response.req?.socket ?? null))

/** Whether a response can no longer be written (its connection is gone). @internal */
export const isGone = (response: Http.ServerResponse): boolean => {
  const socket = connectionOf(response)
  return response.destroyed || response.writableEnded || socket === null || socket.destroyed
}

/** @internal */
export interface InvocationQueue {
  readonly entries: Map<string, Entry>
  /** Hand the entry to a waiting poll, or queue it. */
  readonly offer: (entry: Entry) => void
  /**
   * Wait for an invocation for the poll answered by `response`; `undefined` when its connection closes first.
   * It ends when an invocation comes or the poll's connection closes, so an invocation is never taken by a
   * poll that cannot carry it.
   */
  readonly take: (response: Http.ServerResponse) => Effect.Effect<Entry | undefined>
  /** Claim the right to reply to `requestId`; a protocol violation's text when the reply is not allowed. */
  readonly claim: (requestId: string, entry: Entry | undefined) => string | undefined
  /** Stop: drop what is queued and interrupt every waiter of every invocation. */
  readonly close: Effect.Effect<void>
}

/** @internal */
export const make = (): InvocationQueue => {
  const queued: Array<Entry> = []
  const waiters: Array<Waiter> = []
  const entries = new Map<string, Entry>()

  const offer = (entry: Entry) => {
    for (let waiter = waiters.shift(); waiter !== undefined; waiter = waiters.shift()) {
      if (waiter(entry)) return
    }
    queued.push(entry)
  }

  const take = (response: Http.ServerResponse): Effect.Effect<Entry | undefined> =>
    Effect.async<Entry | undefined>((resume) => {
      if (isGone(response)) return resume(Effect.succeed(undefined))
      const head = queued.shift()
      if (head !== undefined) return resume(Effect.succeed(head))
      // A pipelined poll's response has no socket of its own yet: the connection's close is watched as well.
      const socket = connectionOf(response)
      const unwatch = () => {
        response.off("close", onClose)
        socket?.off("close", onClose)
      }
      const onClose = () => {
        unwatch()
        const index = waiters.indexOf(waiter)
        if (index >= 0) waiters.splice(index, 1)
        resume(Effect.succeed(undefined))
      }
      const waiter: Waiter = (entry) => {
        if (isGone(response)) return false
        unwatch()
        resume(Effect.succeed(entry))
        return true
      }
      waiters.push(waiter)
      response.once("close", onClose)
      socket?.once("close", onClose)
      return Effect.sync(() => {
        const index = waiters.indexOf(waiter)
        if (index >= 0) waiters.splice(index, 1)
        unwatch()
      })
    })

  const claim = (requestId: string, entry: Entry | undefined): string | undefined => {
    switch (entry?.state) {
      case undefined:
        return `reply to unknown request id ${JSON.stringify(requestId)}`
      case "queued":
        return `reply to request id ${JSON.stringify(requestId)} before /next delivered it`
      case "undelivered":
        return `reply to request id ${JSON.stringify(requestId)} whose /next was not delivered (fault injected)`
      case "replying":
      case "answered":
        return `second reply to request id ${JSON.stringify(requestId)}`
      case "delivered":
        entry.state = "replying"
        return undefined
    }
  }

  const close = Effect.suspend(() => {
    queued.length = 0
    return Effect.forEach(
      entries.values(),
      (entry) =>
        Effect.all([
          Deferred.interrupt(entry.outcome),
          Deferred.interrupt(entry.delivered),
          Deferred.interrupt(entry.reply)
        ]),
      { discard: true }
    )
  })

  return { entries, offer, take, claim, close }
}

/**
 * Check the `Lambda-Runtime-Invocation-Id` of a reply against the one sent on `/next`; a protocol
 * violation's text when they differ.
 *
 * @internal
 */
export const checkInvocationId = (entry: Entry, headers: Readonly<Record<string, string>>): string | undefined => {
  const got = headers[InvocationContext.Headers.invocationId]
  if (entry.invocationId === undefined) {
    return got === undefined
      ? undefined
      : `unexpected Lambda-Runtime-Invocation-Id ${JSON.stringify(got)} on the reply to ${JSON.stringify(entry.requestId)} (none was sent)`
  }
  if (got === entry.invocationId) return undefined
  return got === undefined
    ? `missing Lambda-Runtime-Invocation-Id on the reply to ${JSON.stringify(entry.requestId)} (expected ${JSON.stringify(entry.invocationId)})`
    : `Lambda-Runtime-Invocation-Id ${JSON.stringify(got)} does not match ${JSON.stringify(entry.invocationId)} on the reply to ${JSON.stringify(entry.requestId)}`
}
