/** echo (and cold): replies with the event, unchanged. */
import * as Effect from "effect/Effect"
import * as Handler from "../../src/handler/Handler.js"
import * as LambdaRuntime from "../../src/LambdaRuntime.js"

LambdaRuntime.runMain(Handler.effect((event) => Effect.succeed(event)))
