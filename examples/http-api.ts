/**
 * A declarative `HttpApi` served by the same adapter as any router: the request is decoded with the
 * endpoint's schemas (a bad path or payload is a 400 with the decode error as JSON), the success and the typed
 * error are encoded with theirs.
 *
 * - `GET /items/:id` (`id`: a number) → 200 `{ "id": 42, "name": "item 42" }`; id 0 → 404 `ItemNotFound`
 * - `POST /items` with `{ "name": "…" }` (non-empty) → 201 `{ "id": 7, "name": "…" }`
 *
 * The API's Layers are built once at init by `runMain`'s `layer` option; `HttpApiBuilder.httpApp` builds the
 * app on the first request.
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpServer from "@effect/platform/HttpServer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { HttpHandler, LambdaRuntime } from "../src/index.js"

export class Item extends Schema.Class<Item>("Item")({ id: Schema.Int, name: Schema.String }) {}

export class ItemNotFound extends Schema.TaggedError<ItemNotFound>()(
  "ItemNotFound",
  { id: Schema.Int },
  HttpApiSchema.annotations({ status: 404 })
) {}

class Items extends HttpApiGroup.make("items")
  .add(
    HttpApiEndpoint.get("getItem", "/items/:id")
      .setPath(Schema.Struct({ id: Schema.NumberFromString.pipe(Schema.int()) }))
      .addSuccess(Item)
      .addError(ItemNotFound)
  )
  .add(
    HttpApiEndpoint.post("createItem", "/items")
      .setPayload(Schema.Struct({ name: Schema.NonEmptyTrimmedString }))
      .addSuccess(Item, { status: 201 })
  ) {}

export class Api extends HttpApi.make("api").add(Items) {}

const ItemsLive = HttpApiBuilder.group(Api, "items", (handlers) =>
  handlers
    .handle("getItem", ({ path }) =>
      path.id === 0
        ? Effect.fail(new ItemNotFound({ id: 0 }))
        : Effect.succeed(new Item({ id: path.id, name: `item ${path.id}` }))
    )
    .handle("createItem", ({ payload }) => Effect.succeed(new Item({ id: 7, name: payload.name })))
)

/** Everything `HttpApiBuilder.httpApp` and the endpoints need, built once. */
export const ApiLive = Layer.mergeAll(
  HttpApiBuilder.api(Api).pipe(Layer.provide(ItemsLive)),
  HttpApiBuilder.Router.Live,
  HttpApiBuilder.Middleware.layer,
  HttpServer.layerContext
)

export const handler = HttpHandler.make(HttpApiBuilder.httpApp)

if (LambdaRuntime.isMain(import.meta)) LambdaRuntime.runMain(handler, { layer: ApiLive })
