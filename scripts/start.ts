/**
 * `npm run demo`: run each core example function as a real Lambda runtime process against the in-repo Runtime API
 * server on 127.0.0.1, send it a few sample events, and print each reply or error report.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Deferred, Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"
import * as RuntimeApiServer from "effect-lambda-dev/RuntimeApiServer"

const root = Path.resolve(import.meta.dirname, "..")

interface Demo {
  readonly example: string
  readonly env?: Record<string, string>
  readonly events: ReadonlyArray<string>
  readonly signal?: NodeJS.Signals
}

const demos: ReadonlyArray<Demo> = [
  { example: "echo", events: ['{"hello":"world"}', "[1,2,3]", "{not json"] },
  { example: "fail", events: ['{"id":"A-17"}', '{"id":42}'] },
  { example: "defect", events: ['{"crash":false,"n":1}', '{"crash":true}', '{"crash":false,"n":2}'] },
  { example: "init-fail", events: [] },
  { example: "finalizer", events: ['{"x":1}'], signal: "SIGTERM" }
]

const run = (demo: Demo) =>
  Effect.scoped(
    Effect.gen(function* () {
      const api = yield* RuntimeApiServer.make()
      yield* Console.log(`\n▶ examples/${demo.example}.ts  (AWS_LAMBDA_RUNTIME_API=${api.address})`)
      const exited = yield* Deferred.make<number | null>()
      const child = yield* Effect.acquireRelease(
        Effect.sync(() =>
          ChildProcess.spawn(process.execPath, ["--import", "tsx", Path.join(root, "examples", `${demo.example}.ts`)], {
            cwd: root,
            env: { ...process.env, AWS_LAMBDA_RUNTIME_API: api.address, ...demo.env },
            stdio: ["ignore", "pipe", "pipe"]
          })
        ),
        (child) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
      )
      const prefix = (stream: NodeJS.ReadableStream) =>
        stream.setEncoding("utf8").on("data", (chunk: string) => {
          for (const line of chunk.split("\n")) if (line.length > 0) process.stdout.write(`    │ ${line}\n`)
        })
      prefix(child.stdout!)
      prefix(child.stderr!)
      child.on("exit", (code) => Deferred.unsafeDone(exited, Effect.succeed(code)))
      if (demo.events.length === 0) {
        const initError = yield* Effect.race(api.awaitInitError, Deferred.await(exited))
        if (typeof initError === "object" && initError !== null) {
          yield* Console.log(`  init error: ${JSON.stringify(initError.report)}`)
        }
      }
      for (const event of demo.events) {
        const outcome = yield* api.invoke({ event })
        const shown =
          outcome._tag === "Response"
            ? `reply (${outcome.headers["content-type"]}): ${Buffer.from(outcome.body).toString("utf8")}`
            : `error report: ${JSON.stringify({ errorType: outcome.report?.errorType, errorMessage: outcome.report?.errorMessage })}`
        yield* Console.log(`  event ${event}\n    → ${shown}`)
      }
      if (demo.signal !== undefined) {
        child.kill(demo.signal)
        yield* Console.log(`  sent ${demo.signal}`)
      } else if (demo.events.length > 0) {
        child.kill("SIGTERM")
      }
      const code = yield* Effect.timeoutOption(Deferred.await(exited), "10 seconds")
      yield* Console.log(`  process exited with code ${code._tag === "Some" ? code.value : "(still running, killed)"}`)
    })
  )

NodeRuntime.runMain(Effect.forEach(demos, run, { discard: true }))
