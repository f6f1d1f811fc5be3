import { assert, describe, it } from "@effect/vitest"
import {
  Data,
  Deferred,
  Effect,
  Either,
  Exit,
  Fiber,
  Layer,
  Logger,
  Option,
  Ref,
  Schema,
  TestClock,
  TestServices
} from "effect"
import { InvokeStore } from "@aws/lambda-invoke-store"
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"
import * as Handler from "../../src/handler/Handler.js"
import * as TestRuntimeApi from "../../src/layers/TestRuntimeApi.js"
import * as InvocationContext from "../../src/services/InvocationContext.js"
import * as ResponseSink from "../../src/services/ResponseSink.js"
import * as RuntimeApi from "../../src/services/RuntimeApi.js"
import * as RuntimeConfig from "../../src/services/RuntimeConfig.js"
import * as RuntimeLoop from "../../src/services/RuntimeLoop.js"
import type * as ErrorReport from "../../src/streaming/ErrorReport.js"

const TRACE_ENV = "_X_AMZN_TRACE_ID"

class BadInput extends Data.TaggedError("BadInput")<{ readonly message: string }> {}

const echo = Handler.effect((event) => Effect.succeed(event))

const Mixed = Schema.Struct({ kind: Schema.Literal("ok", "fail", "die"), n: Schema.Number })

/** Succeeds, fails with a typed error or dies, as the event says. Counts its calls. */
const mixedHandler = () => {
  const calls: Array<number> = []
  const handler = Handler.effect(Mixed, (event) =>
    Effect.gen(function* () {
      calls.push(event.n)
      if (event.kind === "fail") return yield* new BadInput({ message: `bad ${event.n}` })
      if (event.kind === "die") return yield* Effect.die(new TypeError(`died ${event.n}`))
      return { n: event.n }
    })
  )
  return { calls, handler }
}

const settings = (overrides: Partial<RuntimeConfig.Settings> = {}): RuntimeConfig.Settings => ({
  ...RuntimeConfig.defaults,
  ...overrides
})

/** The loop on top of the in-memory Runtime API of the test layer. */
const makeLoop = (overrides: Partial<RuntimeConfig.Settings> = {}) =>
  Effect.map(RuntimeApi.RuntimeApi, (api) => RuntimeLoop.make(api, ResponseSink.make(api), settings(overrides)))

/** The in-memory Runtime API, with the default logger removed (it.live keeps it; the loop logs failures). */
const liveApi = () => Layer.merge(TestRuntimeApi.layer(), Logger.remove(Logger.defaultLogger))

const testApi = TestRuntimeApi.TestRuntimeApi

const allReplies = Effect.flatMap(testApi, (t) => t.replies)

const awaitReply = (requestId: string) => Effect.flatMap(testApi, (t) => t.awaitReply(requestId))

const offer = (invocation: RuntimeApi.Invocation) => Effect.flatMap(testApi, (t) => t.offer(invocation))

const text = (body: Uint8Array): string => Buffer.from(body).toString("utf8")

const inv = (requestId: string, event: unknown, headers: Record<string, string> = {}) =>
  TestRuntimeApi.invocation(event, { requestId, headers })

/** Run `self` with `_X_AMZN_TRACE_ID` set to `value` (or unset), restoring the original afterwards. */
const withTraceEnv = <A, E, R>(value: string | undefined, self: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const original = process.env[TRACE_ENV]
      if (value === undefined) delete process.env[TRACE_ENV]
      else process.env[TRACE_ENV] = value
      return original
    }),
    () => self,
    (original) =>
      Effect.sync(() => {
        if (original === undefined) delete process.env[TRACE_ENV]
        else process.env[TRACE_ENV] = original
      })
  )

/**
 * Await `self`, failing after 10 s of real time instead of hanging if it never completes (real time: a loop with
 * maxConcurrency > 1 first loads `@aws/lambda-invoke-store`, a real dynamic import).
 */
const awaitOrFail = <A, E, R>(self: Effect.Effect<A, E, R>, what: string) =>
  Effect.gen(function* () {
    const result = yield* TestServices.provideLive(Effect.timeoutOption(self, "10 seconds"))
    if (Option.isNone(result)) return assert.fail(`timed out waiting for ${what}`)
    return result.value
  })

describe("RuntimeLoop", () => {
  describe("run", () => {
    it.effect("serves queued invocations in order with exactly one reply each", () =>
      Effect.gen(function* () {
        const loop = yield* makeLoop()
        const fiber = yield* Effect.fork(loop.run(echo))
        yield* awaitReply("c")
        const replies = yield* allReplies
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(
          replies.map((r) => (r._tag === "Response" ? [r.requestId, text(r.body), r.contentType] : r._tag)),
          [
            ["a", '{"n":1}', "application/json"],
            ["b", '{"n":2}', "application/json"],
            ["c", '{"n":3}', "application/json"]
          ]
        )
        // Interrupting a loop that waits on `/next` reports nothing more.
        assert.strictEqual((yield* allReplies).length, 3)
        assert.deepStrictEqual(loop.inFlight(), [])
      }).pipe(Effect.provide(TestRuntimeApi.layer([inv("a", { n: 1 }), inv("b", { n: 2 }), inv("c", { n: 3 })])))
    )

    it.effect("goes on after a typed failure and a defect", () =>
      Effect.gen(function* () {
        const { calls, handler } = mixedHandler()
        const loop = yield* makeLoop()
        const fiber = yield* Effect.fork(loop.run(handler))
        yield* awaitReply("ok")
        const replies = yield* allReplies
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(calls, [1, 2, 3])
        assert.strictEqual(replies.length, 3)
        const [failed, died, ok] = replies
        assert.isTrue(failed?._tag === "Error" && failed.requestId === "fail")
        if (failed?._tag === "Error") {
          assert.strictEqual(failed.report.errorType, "BadInput")
          assert.strictEqual(failed.report.errorMessage, "bad 1")
        }
        assert.isTrue(died?._tag === "Error" && died.requestId === "die")
        if (died?._tag === "Error") {
          assert.strictEqual(died.report.errorType, "TypeError")
          assert.strictEqual(died.report.errorMessage, "died 2")
          assert.isAbove(died.report.stackTrace.length, 0)
        }
        assert.isTrue(ok?._tag === "Response" && ok.requestId === "ok" && text(ok.body) === '{"n":3}')
      }).pipe(
        Effect.provide(
          TestRuntimeApi.layer([
            inv("fail", { kind: "fail", n: 1 }),
            inv("die", { kind: "die", n: 2 }),
            inv("ok", { kind: "ok", n: 3 })
          ])
        )
      )
    )

    it.effect(
      "a handler whose run throws instead of returning an Effect: that invocation's defect, and the loop goes on",
      () =>
        Effect.gen(function* () {
          let calls = 0
          const throwing: Handler.Handler<never, never> = {
            ...echo,
            run: (bytes) => {
              calls++
              if (calls === 1) throw new RangeError("run threw")
              return echo.run(bytes)
            }
          }
          const loop = yield* makeLoop()
          const fiber = yield* Effect.fork(loop.run(throwing))
          yield* awaitReply("second")
          const [first, second] = yield* allReplies
          yield* Fiber.interrupt(fiber)
          assert.isTrue(first?._tag === "Error" && first.requestId === "first")
          if (first?._tag === "Error") {
            assert.strictEqual(first.report.errorType, "RangeError")
            assert.strictEqual(first.report.errorMessage, "run threw")
          }
          assert.isTrue(second?._tag === "Response" && text(second.body) === '{"n":2}')
        }).pipe(Effect.provide(TestRuntimeApi.layer([inv("first", { n: 1 }), inv("second", { n: 2 })])))
    )

    it.effect("reports a malformed invocation as Runtime.MalformedInvocation and goes on", () =>
      Effect.gen(function* () {
        const { calls, handler } = mixedHandler()
        const loop = yield* makeLoop()
        const fiber = yield* Effect.fork(loop.run(handler))
        yield* awaitReply("good")
        const replies = yield* allReplies
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(calls, [2])
        assert.strictEqual(replies.length, 2)
        const [bad, good] = replies
        assert.isTrue(bad?._tag === "Error" && bad.requestId === "bad")
        if (bad?._tag === "Error") {
          assert.strictEqual(bad.report.errorType, "Runtime.MalformedInvocation")
          assert.include(bad.report.errorMessage, "lambda-runtime-deadline-ms")
        }
        assert.isTrue(good?._tag === "Response" && good.requestId === "good")
      }).pipe(
        Effect.provide(
          TestRuntimeApi.layer([
            inv("bad", { kind: "ok", n: 1 }, { [InvocationContext.Headers.deadline]: "soon" }),
            inv("good", { kind: "ok", n: 2 })
          ])
        )
      )
    )

    it.effect("reports an event that is not JSON as Runtime.MalformedEvent and goes on", () =>
      Effect.gen(function* () {
        const loop = yield* makeLoop()
        const fiber = yield* Effect.fork(loop.run(echo))
        yield* awaitReply("good")
        const replies = yield* allReplies
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(
          replies.map((r) => (r._tag === "Error" ? r.report.errorType : r._tag)),
          ["Runtime.MalformedEvent", "Response"]
        )
      }).pipe(
        Effect.provide(
          TestRuntimeApi.layer([
            TestRuntimeApi.invocation(new Uint8Array(Buffer.from("{oops")), { requestId: "bad" }),
            inv("good", 1)
          ])
        )
      )
    )

    it.effect("serves invocations offered while it runs", () =>
      Effect.gen(function* () {
        const loop = yield* makeLoop()
        const fiber = yield* Effect.fork(loop.run(echo))
        yield* offer(inv("late-1", "x"))
        const first = yield* awaitReply("late-1")
        yield* offer(inv("late-2", "y"))
        const second = yield* awaitReply("late-2")
        yield* Fiber.interrupt(fiber)
        assert.isTrue(first._tag === "Response" && text(first.body) === '"x"')
        assert.isTrue(second._tag === "Response" && text(second.body) === '"y"')
        assert.strictEqual((yield* allReplies).length, 2)
      }).pipe(Effect.provide(TestRuntimeApi.layer()))
    )

    it.effect("a queue of synchronous invocations does not starve the process's other fibers", () =>
      Effect.gen(function* () {
        const count = 2000
        const loop = yield* makeLoop()
        // Every invocation is already queued and the handler never suspends: only the loop's yielding lets another
        // fiber run before the last reply.
        const fiber = yield* Effect.fork(loop.run(echo))
        const repliedWhenOtherRan = yield* Effect.flatMap(Effect.yieldNow(), () =>
          Effect.map(allReplies, (replies) => replies.length)
        )
        yield* awaitReply(`r-${count - 1}`)
        yield* Fiber.interrupt(fiber)
        assert.isBelow(repliedWhenOtherRan, count)
        assert.strictEqual((yield* allReplies).length, count)
      }).pipe(Effect.provide(TestRuntimeApi.layer(Array.from({ length: 2000 }, (_, i) => inv(`r-${i}`, { n: i })))))
    )

    it.effect("with maxConcurrency 3 runs three invocations at the same time, and no more", () =>
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const threeStarted = yield* Deferred.make<void>()
        const started = yield* Ref.make<ReadonlyArray<string>>([])
        const handler = Handler.effect(() =>
          Effect.gen(function* () {
            const ctx = yield* InvocationContext.InvocationContext
            const now = yield* Ref.updateAndGet(started, (xs) => [...xs, ctx.requestId])
            if (now.length === 3) yield* Deferred.succeed(threeStarted, undefined)
            yield* Deferred.await(gate)
            return ctx.requestId
          })
        )
        const loop = yield* makeLoop({ maxConcurrency: 3 })
        const fiber = yield* Effect.fork(loop.run(handler))
        // All three start while none of them can finish: they run concurrently.
        yield* awaitOrFail(Deferred.await(threeStarted), "three handlers to start together")
        // Let everything settle: the fourth must still be waiting on `/next`'s queue or a free worker.
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual([...(yield* Ref.get(started))].sort(), ["i1", "i2", "i3"])
        assert.strictEqual(loop.inFlight().length, 3)
        assert.strictEqual((yield* allReplies).length, 0)
        yield* Deferred.succeed(gate, undefined)
        yield* awaitOrFail(awaitReply("i4"), "the fourth reply")
        for (const id of ["i1", "i2", "i3"]) yield* awaitReply(id)
        const replies = yield* allReplies
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(replies.map((r) => (r._tag === "Response" ? r.requestId : r._tag)).sort(), [
          "i1",
          "i2",
          "i3",
          "i4"
        ])
      }).pipe(Effect.provide(TestRuntimeApi.layer([inv("i1", 1), inv("i2", 2), inv("i3", 3), inv("i4", 4)])))
    )

    it.effect("with maxConcurrency 1 runs one invocation at a time", () =>
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const started = yield* Ref.make(0)
        const handler = Handler.effect(() =>
          Effect.zipRight(
            Ref.update(started, (n) => n + 1),
            Deferred.await(gate)
          )
        )
        const loop = yield* makeLoop({ maxConcurrency: 1 })
        const fiber = yield* Effect.fork(loop.run(handler))
        yield* TestClock.adjust("1 second")
        assert.strictEqual(yield* Ref.get(started), 1)
        assert.strictEqual(loop.inFlight().length, 1)
        yield* Deferred.succeed(gate, undefined)
        yield* awaitReply("s2")
        yield* Fiber.interrupt(fiber)
        assert.strictEqual(yield* Ref.get(started), 2)
      }).pipe(Effect.provide(TestRuntimeApi.layer([inv("s1", 1), inv("s2", 2)])))
    )

    it.effect("gives the handler its InvocationContext", () =>
      Effect.gen(function* () {
        const handler = Handler.effect(() =>
          Effect.gen(function* () {
            const ctx = yield* InvocationContext.InvocationContext
            const current = Option.getOrUndefined(yield* Effect.serviceOption(InvocationContext.InvocationContext))
            return {
              requestId: ctx.requestId,
              arn: ctx.functionArn,
              tenant: Option.getOrNull(ctx.tenantId),
              current: current?.requestId ?? null
            }
          })
        )
        const loop = yield* makeLoop()
        const fiber = yield* Effect.fork(loop.run(handler))
        const reply = yield* awaitReply("ctx-1")
        yield* Fiber.interrupt(fiber)
        assert.isTrue(reply._tag === "Response")
        if (reply._tag === "Response") {
          assert.deepStrictEqual(JSON.parse(text(reply.body)), {
            requestId: "ctx-1",
            arn: "arn:aws:lambda:us-east-1:123456789012:function:test-function",
            tenant: "tenant-1",
            current: "ctx-1"
          })
        }
      }).pipe(
        Effect.provide(TestRuntimeApi.layer([inv("ctx-1", {}, { [InvocationContext.Headers.tenantId]: "tenant-1" })]))
      )
    )

    it.effect("with maxConcurrency 1 sets _X_AMZN_TRACE_ID from the header and deletes it when absent", () =>
      withTraceEnv(
        "stale",
        Effect.gen(function* () {
          const seen: Array<[string, string | undefined]> = []
          const handler = Handler.effect(() =>
            Effect.gen(function* () {
              const ctx = yield* InvocationContext.InvocationContext
              seen.push([ctx.requestId, process.env[TRACE_ENV]])
            })
          )
          const loop = yield* makeLoop({ maxConcurrency: 1 })
          const fiber = yield* Effect.fork(loop.run(handler))
          yield* awaitReply("t3")
          yield* Fiber.interrupt(fiber)
          assert.deepStrictEqual(seen, [
            ["t1", "Root=1-aaa"],
            ["t2", undefined],
            ["t3", "Root=1-ccc"]
          ])
        }).pipe(
          Effect.provide(
            TestRuntimeApi.layer([
              inv("t1", {}, { [InvocationContext.Headers.traceId]: "Root=1-aaa" }),
              inv("t2", {}),
              inv("t3", {}, { [InvocationContext.Headers.traceId]: "Root=1-ccc" })
            ])
          )
        )
      )
    )

    it.effect("with maxConcurrency > 1 never touches _X_AMZN_TRACE_ID", () =>
      withTraceEnv(
        "sentinel",
        Effect.gen(function* () {
          const seen: Array<[string, string | undefined, string | null]> = []
          const handler = Handler.effect(() =>
            Effect.gen(function* () {
              const ctx = yield* InvocationContext.InvocationContext
              seen.push([ctx.requestId, process.env[TRACE_ENV], Option.getOrNull(ctx.traceId)])
            })
          )
          const loop = yield* makeLoop({ maxConcurrency: 2 })
          const fiber = yield* Effect.fork(loop.run(handler))
          yield* awaitReply("m1")
          yield* awaitReply("m2")
          yield* Fiber.interrupt(fiber)
          assert.deepStrictEqual(
            [...seen].sort((a, b) => a[0].localeCompare(b[0])),
            [
              ["m1", "sentinel", "Root=1-aaa"],
              ["m2", "sentinel", null]
            ]
          )
          assert.strictEqual(process.env[TRACE_ENV], "sentinel")
        }).pipe(
          Effect.provide(
            TestRuntimeApi.layer([inv("m1", {}, { [InvocationContext.Headers.traceId]: "Root=1-aaa" }), inv("m2", {})])
          )
        )
      )
    )

    it.effect("interrupting the loop reports Runtime.Interrupted for the invocation in flight", () =>
      Effect.gen(function* () {
        const started = yield* Deferred.make<void>()
        const finalized = yield* Ref.make(false)
        const handler = Handler.effect(() =>
          Effect.zipRight(Deferred.succeed(started, undefined), Effect.never).pipe(
            Effect.onInterrupt(() => Ref.set(finalized, true))
          )
        )
        const loop = yield* makeLoop()
        const fiber = yield* Effect.fork(loop.run(handler))
        yield* Deferred.await(started)
        assert.deepStrictEqual(
          loop.inFlight().map((i) => i.requestId),
          ["slow"]
        )
        yield* Fiber.interrupt(fiber)
        const replies = yield* allReplies
        assert.strictEqual(replies.length, 1)
        const reply = replies[0]
        assert.isTrue(reply?._tag === "Error" && reply.requestId === "slow")
        if (reply?._tag === "Error") assert.strictEqual(reply.report.errorType, "Runtime.Interrupted")
        assert.isTrue(yield* Ref.get(finalized))
        assert.deepStrictEqual(loop.inFlight(), [])
      }).pipe(Effect.provide(TestRuntimeApi.layer([inv("slow", {}), inv("never-taken", {})])))
    )

    it.effect("interrupting a concurrent loop reports Runtime.Interrupted for every invocation in flight", () =>
      Effect.gen(function* () {
        const allStarted = yield* Deferred.make<void>()
        const count = yield* Ref.make(0)
        const handler = Handler.effect(() =>
          Effect.gen(function* () {
            const n = yield* Ref.updateAndGet(count, (k) => k + 1)
            if (n === 3) yield* Deferred.succeed(allStarted, undefined)
            return yield* Effect.never
          })
        )
        const loop = yield* makeLoop({ maxConcurrency: 3 })
        const fiber = yield* Effect.fork(loop.run(handler))
        yield* awaitOrFail(Deferred.await(allStarted), "three handlers to start")
        yield* Fiber.interrupt(fiber)
        const replies = yield* allReplies
        assert.deepStrictEqual(replies.map((r) => (r._tag === "Error" ? r.requestId : r._tag)).sort(), [
          "p1",
          "p2",
          "p3"
        ])
        for (const reply of replies) {
          assert.isTrue(reply._tag === "Error" && reply.report.errorType === "Runtime.Interrupted")
        }
      }).pipe(Effect.provide(TestRuntimeApi.layer([inv("p1", 1), inv("p2", 2), inv("p3", 3)])))
    )

    it.effect("fails with the RuntimeApiError when next fails", () =>
      Effect.gen(function* () {
        const broken = new RuntimeApi.RuntimeApiError({
          reason: "StatusCode",
          endpoint: RuntimeApi.Paths.next,
          status: 500
        })
        const api: RuntimeApi.Service = {
          next: Effect.fail(broken),
          reply: () => Effect.void,
          reportError: () => Effect.void,
          openStream: () => Effect.dieMessage("not streamed in this test"),
          reportInitError: () => Effect.void
        }
        const loop = RuntimeLoop.make(api, ResponseSink.make(api), settings())
        const result = yield* Effect.either(loop.run(echo))
        assert.isTrue(Either.isLeft(result))
        if (Either.isLeft(result)) assert.strictEqual(result.left, broken)
      })
    )

    it.effect("fails with the RuntimeApiError when next fails in a concurrent loop", () =>
      Effect.gen(function* () {
        const broken = new RuntimeApi.RuntimeApiError({ reason: "Protocol", endpoint: RuntimeApi.Paths.next })
        const api: RuntimeApi.Service = {
          next: Effect.fail(broken),
          reply: () => Effect.void,
          reportError: () => Effect.void,
          openStream: () => Effect.dieMessage("not streamed in this test"),
          reportInitError: () => Effect.void
        }
        const loop = RuntimeLoop.make(api, ResponseSink.make(api), settings({ maxConcurrency: 4 }))
        const result = yield* Effect.either(loop.run(echo))
        assert.isTrue(Either.isLeft(result) && result.left === broken)
      })
    )

    it.effect("fails when the reply gets a 500, after serving what came before", () =>
      Effect.gen(function* () {
        const queue = [inv("first", 1), inv("second", 2), inv("third", 3)]
        const posted: Array<string> = []
        const api: RuntimeApi.Service = {
          next: Effect.suspend(() => {
            const next = queue.shift()
            return next === undefined ? Effect.never : Effect.succeed(next)
          }),
          reply: (invocation) =>
            Effect.suspend(() => {
              posted.push(invocation.requestId)
              return invocation.requestId === "second"
                ? Effect.fail(
                    new RuntimeApi.RuntimeApiError({
                      reason: "StatusCode",
                      endpoint: RuntimeApi.Paths.response(invocation.requestId),
                      status: 500
                    })
                  )
                : Effect.void
            }),
          reportError: () => Effect.void,
          openStream: () => Effect.dieMessage("not streamed in this test"),
          reportInitError: () => Effect.void
        }
        const loop = RuntimeLoop.make(api, ResponseSink.make(api), settings())
        const result = yield* Effect.either(loop.run(echo))
        assert.isTrue(Either.isLeft(result) && result.left.status === 500)
        assert.deepStrictEqual(posted, ["first", "second"])
      })
    )

    it.effect("goes on when a reply gets a 410", () =>
      Effect.gen(function* () {
        const queue = [inv("gone", 1), inv("fine", 2)]
        const posted: Array<string> = []
        const done = yield* Deferred.make<void>()
        const api: RuntimeApi.Service = {
          next: Effect.suspend(() => {
            const next = queue.shift()
            return next === undefined ? Effect.never : Effect.succeed(next)
          }),
          reply: (invocation) =>
            Effect.suspend(() => {
              posted.push(invocation.requestId)
              if (invocation.requestId === "fine") return Deferred.succeed(done, undefined)
              return Effect.fail(
                new RuntimeApi.RuntimeApiError({ reason: "StatusCode", endpoint: "/response", status: 410 })
              )
            }),
          reportError: () => Effect.void,
          openStream: () => Effect.dieMessage("not streamed in this test"),
          reportInitError: () => Effect.void
        }
        const loop = RuntimeLoop.make(api, ResponseSink.make(api), settings())
        const fiber = yield* Effect.fork(loop.run(echo))
        yield* awaitOrFail(Deferred.await(done), "the second reply")
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(posted, ["gone", "fine"])
      })
    )
  })

  describe("handleOne", () => {
    it.effect("serves one invocation and returns", () =>
      Effect.gen(function* () {
        const loop = yield* makeLoop()
        yield* loop.handleOne(echo, inv("one", { a: 1 }))
        const replies = yield* allReplies
        assert.strictEqual(replies.length, 1)
        const reply = replies[0]
        assert.isTrue(reply?._tag === "Response" && reply.requestId === "one" && text(reply.body) === '{"a":1}')
        assert.deepStrictEqual(loop.inFlight(), [])
      }).pipe(Effect.provide(TestRuntimeApi.layer()))
    )

    it.live(
      "a handler still running at deadline minus margin is interrupted: Runtime.DeadlineExceeded, finalizer ran",
      () =>
        Effect.gen(function* () {
          let finalized = false
          const handler = Handler.effect(() =>
            Effect.never.pipe(
              Effect.onInterrupt(() =>
                Effect.sync(() => {
                  finalized = true
                })
              )
            )
          )
          const loop = yield* makeLoop({ deadlineMarginMs: 200 })
          const exit = yield* Effect.exit(
            loop.handleOne(handler, TestRuntimeApi.invocation({}, { requestId: "late", deadlineMs: Date.now() + 300 }))
          )
          assert.isTrue(Exit.isSuccess(exit))
          const replies = yield* allReplies
          assert.strictEqual(replies.length, 1)
          const reply = replies[0]
          assert.isTrue(reply?._tag === "Error" && reply.requestId === "late")
          if (reply?._tag === "Error") {
            assert.strictEqual(reply.report.errorType, "Runtime.DeadlineExceeded")
            assert.strictEqual(reply.report.errorType, RuntimeLoop.DeadlineExceededType)
            assert.include(reply.report.errorMessage, "200 ms")
          }
          assert.isTrue(finalized)
          assert.deepStrictEqual(loop.inFlight(), [])
        }).pipe(Effect.provide(liveApi()))
    )

    it.live("the loop goes on after a deadline", () =>
      Effect.gen(function* () {
        const handler = Handler.effect((event) => (event === "hang" ? Effect.never : Effect.succeed(event)))
        const loop = yield* makeLoop({ deadlineMarginMs: 200 })
        const fiber = yield* Effect.fork(loop.run(handler))
        yield* offer(TestRuntimeApi.invocation("hang", { requestId: "hang", deadlineMs: Date.now() + 300 }))
        yield* offer(inv("after", "ok"))
        const after = yield* awaitReply("after")
        const replies = yield* allReplies
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(
          replies.map((r) => (r._tag === "Error" ? r.report.errorType : r._tag)),
          ["Runtime.DeadlineExceeded", "Response"]
        )
        assert.isTrue(after._tag === "Response" && text(after.body) === '"ok"')
      }).pipe(Effect.provide(liveApi()))
    )

    it.live("a handler that finishes before the deadline replies normally", () =>
      Effect.gen(function* () {
        const loop = yield* makeLoop({ deadlineMarginMs: 200 })
        yield* loop.handleOne(
          echo,
          TestRuntimeApi.invocation(7, { requestId: "quick", deadlineMs: Date.now() + 5_000 })
        )
        const replies = yield* allReplies
        assert.deepStrictEqual(
          replies.map((r) => r._tag),
          ["Response"]
        )
      }).pipe(Effect.provide(liveApi()))
    )
    for (const days of [25, 30, 400]) {
      it.live(`a deadline ${days} days away (beyond setTimeout's 2^31 ms) does not stop the handler at once`, () =>
        Effect.gen(function* () {
          const loop = yield* makeLoop({ deadlineMarginMs: 200 })
          const slow = Handler.effect((event) => Effect.as(Effect.sleep("50 millis"), event))
          yield* loop.handleOne(
            slow,
            TestRuntimeApi.invocation(1, { requestId: "far", deadlineMs: Date.now() + days * 24 * 3_600_000 })
          )
          const replies = yield* allReplies
          assert.deepStrictEqual(
            replies.map((r) => r._tag),
            ["Response"]
          )
        }).pipe(Effect.provide(liveApi()))
      )
    }
  })

  describe("handlers that complete synchronously (started on the worker's call stack)", () => {
    /** An API whose reply and error report are synchronous: a synchronous handler is then served synchronously. */
    const syncApi = () => {
      const posted: Array<
        | { readonly id: string; readonly body: string }
        | { readonly id: string; readonly error: ErrorReport.ErrorReport }
      > = []
      const api: RuntimeApi.Service = {
        next: Effect.never,
        reply: (invocation, body) =>
          Effect.sync(() => {
            posted.push({ id: invocation.requestId, body: typeof body === "string" ? body : text(body) })
          }),
        reportError: (invocation, report) =>
          Effect.sync(() => {
            posted.push({ id: invocation.requestId, error: report })
          }),
        openStream: () => Effect.dieMessage("not streamed in this test"),
        reportInitError: () => Effect.void
      }
      return { api, posted, loop: RuntimeLoop.make(api, ResponseSink.make(api), settings()) }
    }
    /** Run synchronously: fails (AsyncFiberException) if anything on the way suspended. */
    const runNow = <A, E>(self: Effect.Effect<A, E>) =>
      Effect.runSyncExit(Effect.provide(self, Logger.remove(Logger.defaultLogger)))

    it("a synchronous handler's reply is posted before handleOne returns, with no fiber left running", () => {
      const { loop, posted } = syncApi()
      const exit = runNow(loop.handleOne(echo, inv("sync-1", { a: 1 })))
      assert.isTrue(Exit.isSuccess(exit), String(exit))
      assert.deepStrictEqual(posted, [{ id: "sync-1", body: '{"a":1}' }])
      assert.deepStrictEqual(loop.inFlight(), [])
    })

    it("a synchronous defect is reported once, with its stack, synchronously", () => {
      const { loop, posted } = syncApi()
      const thrower = Handler.effect(() =>
        Effect.sync(() => {
          throw new TypeError("sync boom")
        })
      )
      const exit = runNow(loop.handleOne(thrower, inv("sync-die", {})))
      assert.isTrue(Exit.isSuccess(exit), String(exit))
      assert.strictEqual(posted.length, 1)
      const [reply] = posted
      assert.isTrue(reply !== undefined && "error" in reply && reply.id === "sync-die")
      if (reply !== undefined && "error" in reply) {
        assert.strictEqual(reply.error.errorType, "TypeError")
        assert.strictEqual(reply.error.errorMessage, "sync boom")
        assert.isAbove(reply.error.stackTrace.length, 0)
      }
    })

    it("a synchronous handler's finalizers run once, on success and on failure", () => {
      const { loop, posted } = syncApi()
      let finalized = 0
      const handler = Handler.effect((event) =>
        (event === "fail" ? Effect.fail(new BadInput({ message: "no" })) : Effect.succeed(event)).pipe(
          Effect.ensuring(
            Effect.sync(() => {
              finalized++
            })
          )
        )
      )
      assert.isTrue(Exit.isSuccess(runNow(loop.handleOne(handler, inv("fin-ok", "ok")))))
      assert.strictEqual(finalized, 1)
      assert.isTrue(Exit.isSuccess(runNow(loop.handleOne(handler, inv("fin-fail", "fail")))))
      assert.strictEqual(finalized, 2)
      assert.deepStrictEqual(
        posted.map((p) => ("error" in p ? [p.id, p.error.errorType] : [p.id, p.body])),
        [
          ["fin-ok", '"ok"'],
          ["fin-fail", "BadInput"]
        ]
      )
    })

    it.effect("a handler that suspends after synchronous work: the work runs once, the reply is sent once", () =>
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const started = yield* Deferred.make<void>()
        let before = 0
        let after = 0
        const handler = Handler.effect(() =>
          Effect.gen(function* () {
            before++
            yield* Deferred.succeed(started, undefined)
            yield* Deferred.await(gate)
            after++
            return { before, after }
          })
        )
        const loop = yield* makeLoop()
        const fiber = yield* Effect.fork(loop.handleOne(handler, inv("suspends", {})))
        yield* Deferred.await(started)
        assert.deepStrictEqual(
          loop.inFlight().map((i) => i.requestId),
          ["suspends"]
        )
        assert.strictEqual((yield* allReplies).length, 0)
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(fiber)
        const replies = yield* allReplies
        assert.strictEqual(replies.length, 1)
        const reply = replies[0]
        assert.isTrue(reply?._tag === "Response" && text(reply.body) === '{"before":1,"after":1}')
        assert.strictEqual(before, 1)
        assert.strictEqual(after, 1)
        assert.deepStrictEqual(loop.inFlight(), [])
      }).pipe(Effect.provide(TestRuntimeApi.layer()))
    )

    it.effect("with maxConcurrency > 1 a synchronous handler sees its own invocation in @aws/lambda-invoke-store", () =>
      Effect.gen(function* () {
        const store = yield* Effect.promise(() => InvokeStore.getInstanceAsync(true))
        const handler = Handler.effect(() =>
          Effect.sync(() => ({ requestId: store.getRequestId(), trace: store.getXRayTraceId() ?? null }))
        )
        const loop = yield* makeLoop({ maxConcurrency: 2 })
        const fiber = yield* Effect.fork(loop.run(handler))
        const a = yield* awaitOrFail(awaitReply("store-a"), "the first reply")
        const b = yield* awaitOrFail(awaitReply("store-b"), "the second reply")
        yield* Fiber.interrupt(fiber)
        assert.isTrue(a._tag === "Response" && b._tag === "Response")
        if (a._tag === "Response" && b._tag === "Response") {
          assert.deepStrictEqual(JSON.parse(text(a.body)), { requestId: "store-a", trace: "Root=1-aaa" })
          assert.deepStrictEqual(JSON.parse(text(b.body)), { requestId: "store-b", trace: null })
        }
      }).pipe(
        Effect.provide(
          TestRuntimeApi.layer([
            inv("store-a", {}, { [InvocationContext.Headers.traceId]: "Root=1-aaa" }),
            inv("store-b", {})
          ])
        )
      )
    )
  })

  it("loading the loop does not evaluate @aws/lambda-invoke-store (it is imported only when maxConcurrency > 1)", () => {
    // A fresh process: the store's module creates the `awslambda` global when it is evaluated.
    const root = Path.resolve(import.meta.dirname, "../..")
    const code =
      'import("./src/services/RuntimeLoop.ts").then((m) => console.log(typeof m.make, typeof globalThis.awslambda))'
    const out = ChildProcess.execFileSync(Path.join(root, "node_modules/.bin/tsx"), ["-e", code], {
      cwd: root,
      encoding: "utf8"
    })
    assert.strictEqual(out.trim(), "function undefined")
  }, 60_000)

  it.effect("layer builds the loop from RuntimeApi, ResponseSink and RuntimeConfig", () =>
    Effect.gen(function* () {
      const loop = yield* RuntimeLoop.RuntimeLoop
      yield* loop.handleOne(echo, inv("via-layer", "hi"))
      const reply = yield* awaitReply("via-layer")
      assert.isTrue(reply._tag === "Response" && text(reply.body) === '"hi"')
    }).pipe(
      Effect.provide(
        RuntimeLoop.layer.pipe(
          Layer.provideMerge(ResponseSink.layer),
          Layer.provideMerge(Layer.merge(TestRuntimeApi.layer(), RuntimeConfig.layerWith({})))
        )
      )
    )
  )
})
