/** json-1mb: replies with a 1 MiB JSON document built once at init. */
import * as Effect from "effect/Effect"
import * as Handler from "../../src/handler/Handler.js"
import * as LambdaRuntime from "../../src/LambdaRuntime.js"
import { megabyteReply } from "./js/payload.mjs"

const reply = Effect.succeed(megabyteReply())

LambdaRuntime.runMain(Handler.effect(() => reply))
