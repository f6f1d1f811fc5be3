/**
 * `effect-lambda dev <entry>`: run a Lambda function locally and serve it on one port.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Emulator from "../../emulator/Emulator.js"
import * as Dev from "../internal/dev.js"
import * as CliOptions from "../internal/options.js"
import { Program } from "../internal/program.js"

const port = CliOptions.number(
  "port",
  "port",
  (n) => Number.isInteger(n) && n >= 0 && n <= 65_535,
  "a port number (0-65535)"
).pipe(Options.withDescription(`Port on 127.0.0.1 (default ${Emulator.Defaults.port}; 0 picks a free one).`))

const stream = Options.boolean("stream").pipe(
  Options.withDescription(
    "Serve the Function URL in RESPONSE_STREAM mode: replies are sent to the client as the function writes them; " +
      "an error after the status was sent cuts the response off (no final chunk), as a Function URL does. " +
      "Without it a failed invocation is a 502."
  )
)

const watch = Options.boolean("watch").pipe(
  Options.withDescription("Restart the function when a file under the entry's directory changes.")
)

const concurrency = CliOptions.number(
  "concurrency",
  "n",
  (n) => Number.isInteger(n) && n >= 1,
  "a whole number ≥ 1"
).pipe(
  Options.withDescription(
    "How many invocations run at once (default 1; others queue). Above 1 the function gets AWS_LAMBDA_MAX_CONCURRENCY."
  )
)

const tries = Options.text("try").pipe(
  Options.withPseudoName("request"),
  Options.withDescription('A request to suggest in the banner, as "PATH" or "METHOD PATH [BODY]" (repeatable).'),
  Options.repeated
)

/**
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make(
  "dev",
  {
    entry: CliOptions.entry,
    port,
    stream,
    watch,
    concurrency,
    tries,
    timeout: CliOptions.timeout,
    name: CliOptions.name
  },
  (options) => Dev.run(Program, options)
).pipe(
  Command.withDescription(
    "Serve a function locally on one port: the Lambda Invoke and InvokeWithResponseStream APIs, the path of " +
      "AWS's emulator, and a Function URL for every other request. The function runs as a node process with " +
      "Lambda's environment, restarted after a crash or a timeout; when its init fails, dev keeps serving and each " +
      "request answers with the init error and tries init again."
  )
)
