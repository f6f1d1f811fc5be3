/**
 * `effect-lambda event <source> [--body TEXT]`: print a sample event of an event source (SQS, SNS, S3,
 * EventBridge, scheduled, Kinesis, DynamoDB Streams) as JSON on stdout, to pipe into `effect-lambda invoke`.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as SampleEvents from "../../events/SampleEvents.js"
import { usage } from "../internal/exit.js"
import { writeOut } from "../internal/output.js"
import { Program } from "../internal/program.js"

const source = Args.choice(
  SampleEvents.sources.map((name) => [name, name] as const),
  { name: "source" }
).pipe(
  Args.withDescription(
    `The event source: ${SampleEvents.sources.map((name) => `${name} (${SampleEvents.descriptions[name]})`).join("; ")}.`
  )
)

const body = Options.text("body").pipe(
  Options.withPseudoName("text"),
  Options.withDescription(
    "What the event carries: a message body, an object key, a detail or an item (see the sources); JSON where the source needs an object."
  ),
  Options.optional
)

/**
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("event", { source, body }, (options) =>
  Either.match(
    SampleEvents.sample(
      options.source,
      Option.match(options.body, { onNone: () => ({}), onSome: (text) => ({ body: text }) })
    ),
    {
      onLeft: (error) => Effect.fail(usage(Program, "event", error.message)),
      onRight: (event) => writeOut(`${JSON.stringify(event, null, 2)}\n`)
    }
  )
).pipe(
  Command.withDescription(
    "Print a sample event of an event source as JSON on stdout, shaped like the events Lambda delivers: " +
      `${Program} event sqs --body '{"id":1}' | ${Program} invoke fn.ts`
  )
)
