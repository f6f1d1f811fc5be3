/**
 * `effect-lambda build <entry>`: bundle a handler file into a deployable Lambda function (see `Build`).
 *
 * ```sh
 * effect-lambda build src/order.ts                         # dist/order/: index.mjs, function.zip (nodejs22.x, index.handler)
 * effect-lambda build src/order.ts --target custom         # provided.al2023: bootstrap + bin/node in function.zip
 * effect-lambda build src/order.ts --target container      # dist/order/Dockerfile and its build context
 * effect-lambda build src/order.ts --target custom --snapshot   # bin/function: node with a V8 startup snapshot inside
 * ```
 *
 * Prints where the files are, the bundle's size and its five largest inputs, and the zip's size. A bad option or
 * entry is printed as one line on stderr and the command fails with the `BuildError`.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Build from "../../build/Build.js"

const entry = Args.text({ name: "entry" }).pipe(
  Args.withDescription("The handler file (.ts, .js, .mjs): it exports `handler` (and optionally `layer`).")
)

const target = Options.choice("target", Build.targets).pipe(
  Options.withDefault("managed" as const),
  Options.withDescription(
    "managed: Lambda's nodejs22.x/nodejs24.x runtime, handler index.handler; custom: provided.al2023 with this " +
      "runtime's loop on a Node.js carried in the zip; container: a Dockerfile and its build context."
  )
)

const arch = Options.choice("arch", Build.architectures).pipe(
  Options.withDefault("x86_64" as const),
  Options.withDescription("The function's architecture (selects the carried Node.js binary and the image platform).")
)

const node = Options.choice("node", Build.nodeMajors).pipe(
  Options.withDefault("22" as const),
  Options.withDescription("The Node.js major version: the managed runtime, the carried binary, the base image.")
)

const out = Options.text("out").pipe(
  Options.withDefault("dist"),
  Options.withDescription("The output folder; the function's files go to <out>/<name>/.")
)

const name = Options.text("name").pipe(
  Options.optional,
  Options.withDescription("The function's folder name (default: the entry's file name without its extension).")
)

const nodeFromLayer = Options.text("node-from-layer").pipe(
  Options.optional,
  Options.withDescription(
    "--target custom: start on the Node.js binary at this path (from a layer, e.g. /opt/bin/node)."
  )
)

const snapshot = Options.boolean("snapshot").pipe(
  Options.withDescription(
    "--target custom or container: start from a V8 startup snapshot of the function's modules (built by the " +
      "carried Node.js and put inside a copy of it, bin/function; or by the image's Node.js in the Dockerfile): a " +
      "shorter cold start."
  )
)

/**
 * The `build` subcommand.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make(
  "build",
  { entry, target, arch, node, out, name, nodeFromLayer, snapshot },
  (options) =>
    Build.build({
      entry: options.entry,
      target: options.target,
      arch: options.arch,
      node: options.node,
      outDir: options.out,
      name: Option.getOrUndefined(options.name),
      nodeFromLayer: Option.getOrUndefined(options.nodeFromLayer),
      snapshot: options.snapshot
    }).pipe(
      Effect.flatMap((report) => Console.log(Build.formatReport(report))),
      Effect.tapError((error) => Console.error(`effect-lambda build: ${error.message}`))
    )
).pipe(
  Command.withDescription(
    "Bundle a handler file into a Lambda function under <out>/<name>/: index.mjs (minified ESM) and its source " +
      "map, function.zip (managed, custom) or a Dockerfile with its build context (container)."
  )
)
