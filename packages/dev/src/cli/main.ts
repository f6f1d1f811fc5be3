/**
 * The `effect-lambda` process: runs the command line and exits with its code (see `Cli`). The subcommands are
 * listed here, one module each under `commands/`.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Exit from "effect/Exit"
import * as Cli from "./Cli.js"
import * as Build from "./commands/build.js"
import * as Dev from "./commands/dev.js"
import * as Event from "./commands/event.js"
import * as Invoke from "./commands/invoke.js"
import * as YoungClosures from "./commands/youngClosures.js"

/** The subcommands, in the order the help lists them: add a command here. */
const subcommands = [
  Dev.command,
  Invoke.command,
  Event.command,
  // build prints its own error; a bad entry or option is a usage error.
  Cli.withExitCode(Build.command, (error) =>
    error.reason === "BadOptions" || error.reason === "EntryNotFound" ? 2 : 1
  ),
  YoungClosures.command
] as const

NodeRuntime.runMain(Cli.run(subcommands, process.argv.slice(2)), {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: (exit, onExit) => {
    const code = Exit.isSuccess(exit) ? (exit.value as number) : Exit.isInterrupted(exit) ? 0 : 1
    onExit(code)
    // runMain exits by itself only for a non-zero code: end a successful run even if a handle lingers.
    if (code === 0 && !Exit.isInterrupted(exit)) setTimeout(() => process.exit(0), 100).unref()
  }
})
