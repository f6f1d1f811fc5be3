/**
 * The two calls of Lambda's Extensions API that a runtime needs for a graceful shutdown, as the Runtime API
 * server serves them:
 *
 * - `POST /2020-01-01/extension/register` (header `Lambda-Extension-Name`, body `{"events":[…]}` with
 *   `INVOKE` and/or `SHUTDOWN`): answered 200 with `Lambda-Extension-Identifier` and
 *   `{"functionName","functionVersion","handler"}`;
 * - `GET /2020-01-01/extension/event/next` (header `Lambda-Extension-Identifier`): held open until an event
 *   for that extension: an `INVOKE` event for each invocation a `/next` delivered (when it registered for
 *   `INVOKE`), and the `SHUTDOWN` event when the function is stopped (when it registered for `SHUTDOWN`).
 *   Each answer carries `Lambda-Extension-Event-Identifier`.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Crypto from "node:crypto"
import type * as Http from "node:http"
import type * as RuntimeApiServer from "../RuntimeApiServer.js"
import { isGone } from "./InvocationQueue.js"

/** @internal */
export const Paths = {
  register: "/2020-01-01/extension/register",
  eventNext: "/2020-01-01/extension/event/next"
} as const

/** @internal */
export const Headers = {
  name: "lambda-extension-name",
  identifier: "lambda-extension-identifier",
  eventIdentifier: "lambda-extension-event-identifier"
} as const

const eventTypes: ReadonlyArray<RuntimeApiServer.ExtensionEventType> = ["INVOKE", "SHUTDOWN"]

/** An event as sent on `/event/next` (JSON). @internal */
export type ExtensionEvent =
  | {
      readonly eventType: "INVOKE"
      readonly deadlineMs: number
      readonly requestId: string
      readonly invokedFunctionArn: string
      readonly tracing: { readonly type: "X-Amzn-Trace-Id"; readonly value: string }
    }
  | {
      readonly eventType: "SHUTDOWN"
      readonly shutdownReason: RuntimeApiServer.ShutdownReason
      readonly deadlineMs: number
    }

interface Registered {
  readonly extension: RuntimeApiServer.Extension
  readonly pending: Array<ExtensionEvent>
  wake: (() => void) | undefined
}

/**
 * The body of a register request: the event types, or why it is refused.
 *
 * @internal
 */
export const parseRegistration = (
  body: Uint8Array
): { readonly events: ReadonlyArray<RuntimeApiServer.ExtensionEventType> } | { readonly refused: string } => {
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body))
  } catch {
    return { refused: 'the body is not JSON: expected {"events":["INVOKE"|"SHUTDOWN", …]}' }
  }
  const events = typeof value === "object" && value !== null ? (value as { events?: unknown }).events : undefined
  if (!Array.isArray(events)) return { refused: 'expected {"events":["INVOKE"|"SHUTDOWN", …]}' }
  const unknown = events.filter((event) => !eventTypes.includes(event as RuntimeApiServer.ExtensionEventType))
  if (unknown.length > 0) {
    return { refused: `unknown event type ${JSON.stringify(unknown[0])}: expected INVOKE or SHUTDOWN` }
  }
  return { events: [...new Set(events as ReadonlyArray<RuntimeApiServer.ExtensionEventType>)] }
}

/** @internal */
export interface ExtensionRegistry {
  readonly register: (
    name: string,
    events: ReadonlyArray<RuntimeApiServer.ExtensionEventType>
  ) => RuntimeApiServer.Extension
  readonly isRegistered: (id: string) => boolean
  readonly list: () => ReadonlyArray<RuntimeApiServer.Extension>
  /** Wait for the next event of extension `id`; `undefined` when the poll's connection closes first. */
  readonly next: (id: string, response: Http.ServerResponse) => Effect.Effect<ExtensionEvent | undefined>
  /** Queue an event for every extension registered for its type; how many got it. */
  readonly publish: (event: ExtensionEvent) => number
}

/** @internal */
export const make = (): ExtensionRegistry => {
  const registered = new Map<string, Registered>()

  const register = (name: string, events: ReadonlyArray<RuntimeApiServer.ExtensionEventType>) => {
    const extension: RuntimeApiServer.Extension = { id: Crypto.randomUUID(), name, events }
    registered.set(extension.id, { extension, pending: [], wake: undefined })
    return extension
  }

  const next = (id: string, response: Http.ServerResponse): Effect.Effect<ExtensionEvent | undefined> =>
    Effect.async<ExtensionEvent | undefined>((resume) => {
      const entry = registered.get(id)
      if (entry === undefined || isGone(response)) return resume(Effect.succeed(undefined))
      const first = entry.pending.shift()
      if (first !== undefined) return resume(Effect.succeed(first))
      const onClose = () => {
        if (entry.wake === wake) entry.wake = undefined
        resume(Effect.succeed(undefined))
      }
      const wake = () => {
        const event = entry.pending.shift()
        if (event === undefined) return
        entry.wake = undefined
        response.off("close", onClose)
        resume(Effect.succeed(event))
      }
      entry.wake = wake
      response.once("close", onClose)
      return Effect.sync(() => {
        if (entry.wake === wake) entry.wake = undefined
        response.off("close", onClose)
      })
    })

  const publish = (event: ExtensionEvent): number => {
    let count = 0
    for (const entry of registered.values()) {
      if (!entry.extension.events.includes(event.eventType)) continue
      count++
      entry.pending.push(event)
      entry.wake?.()
    }
    return count
  }

  return {
    register,
    isRegistered: (id) => registered.has(id),
    list: () => [...registered.values()].map((entry) => entry.extension),
    next,
    publish
  }
}
