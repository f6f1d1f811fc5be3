/**
 * Its Layer fails at construction with the tagged error `ConfigMissing`: the runtime posts it to
 * `/runtime/init/error` and exits non-zero.
 */
import { Context, Effect, Layer, Schema } from "effect"
import { Handler, LambdaRuntime } from "../src/index.js"

export class ConfigMissing extends Schema.TaggedError<ConfigMissing>()("ConfigMissing", {
  variable: Schema.String
}) {
  override get message(): string {
    return `${this.variable} is not set`
  }
}

class Settings extends Context.Tag("examples/Settings")<Settings, { readonly table: string }>() {}

const SettingsLive = Layer.effect(
  Settings,
  Effect.gen(function* () {
    const table = process.env.ORDERS_TABLE
    if (table === undefined) return yield* new ConfigMissing({ variable: "ORDERS_TABLE" })
    return { table }
  })
)

export const handler = Handler.effect(() => Effect.map(Settings, (settings) => ({ table: settings.table })))

if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler, { layer: SettingsLive })
