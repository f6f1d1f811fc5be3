/**
 * Echoes; its Layer's finalizer logs `finalizer ran` when the runtime shuts down (SIGTERM/SIGINT).
 */
import { Context, Effect, Layer } from "effect"
import { Handler, LambdaRuntime } from "../src/index.js"

class Connection extends Context.Tag("examples/Connection")<Connection, { readonly open: boolean }>() {}

const ConnectionLive = Layer.scoped(
  Connection,
  Effect.acquireRelease(Effect.succeed({ open: true }), () => Effect.log("finalizer ran"))
)

export const handler = Handler.effect((event) => Effect.as(Connection, event))

if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler, { layer: ConnectionLive })
