/**
 * `effect-lambda invoke <entry>`: invoke a Lambda function once, locally, and print its reply.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Invoke from "../internal/invoke.js"
import * as CliOptions from "../internal/options.js"
import { Program } from "../internal/program.js"

const event = Options.text("event").pipe(
  Options.withPseudoName("file"),
  Options.withDescription(
    'The event, a JSON file; "-" reads stdin. Without it the event is read from stdin ({} when stdin is a terminal or empty).'
  ),
  Options.optional
)

/**
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make(
  "invoke",
  { entry: CliOptions.entry, event, timeout: CliOptions.timeout, name: CliOptions.name },
  (options) => Invoke.run(Program, options)
).pipe(
  Command.withDescription(
    "Invoke a Lambda function once, locally, and print its reply to stdout (a streamed reply is written as it " +
      "arrives). The function's logs go to stderr. Exits 1 when the invocation fails."
  )
)
