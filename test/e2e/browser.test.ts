/**
 * `npm start` in a real browser: the command of package.json's `start` script runs as a child process (on a free
 * port), headless Chromium opens the banner's first URL, and the page (examples/home.ts) lists the app's routes
 * and shows `GET /stream`'s events arriving one by one. The same page served buffered gets them all at once,
 * which is what the streamed assertions would see if streaming were broken.
 *
 * Needs Debian's `chromium` at /usr/bin/chromium (`.ci/run` installs it). Without it these tests fail, naming
 * the fix; `SKIP_BROWSER_TESTS=1` skips them instead.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as FileSystem from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { type BrowserContext, chromium, type Page } from "playwright-core"
import { app } from "../../examples/http.js"
import { type Process, root, spawn } from "../../packages/dev/test/emulator/support.js"

const executablePath = "/usr/bin/chromium"
const skip = process.env.SKIP_BROWSER_TESTS === "1"

const requireChromium = Effect.suspend(() =>
  FileSystem.existsSync(executablePath)
    ? Effect.void
    : Effect.dieMessage(
        `the browser tests need Chromium at ${executablePath}: install it (apt-get install -y chromium; ` +
          `.ci/run does this when it is missing), or set SKIP_BROWSER_TESTS=1 to skip these tests`
      )
)

const promise = <A>(run: () => Promise<A>) => Effect.promise(run)

/** Headless Chromium with a fresh profile in a temporary directory; closed and removed with the scope. */
const browser = Effect.acquireRelease(
  Effect.gen(function* () {
    yield* requireChromium
    const profile = FileSystem.mkdtempSync(Path.join(Os.tmpdir(), "effect-lambda-chromium-"))
    const context = yield* promise(() =>
      chromium.launchPersistentContext(profile, {
        executablePath,
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync"
        ]
      })
    ).pipe(Effect.tapDefect(() => Effect.sync(() => FileSystem.rmSync(profile, { recursive: true, force: true }))))
    return { context, profile }
  }),
  ({ context, profile }) =>
    promise(() => context.close()).pipe(
      Effect.ignore,
      Effect.ensuring(Effect.sync(() => FileSystem.rmSync(profile, { recursive: true, force: true })))
    )
).pipe(Effect.map(({ context }): BrowserContext => context))

/** Ctrl-C, as a user stops it: the emulator and its function end, exit code 0. */
const stop = (dev: Process) =>
  Effect.gen(function* () {
    dev.kill("SIGINT")
    const exit = yield* Effect.timeoutFail(dev.exited, {
      duration: "15 seconds",
      onTimeout: () => new Error("effect-lambda dev did not stop on SIGINT")
    }).pipe(Effect.orDie)
    assert.strictEqual(exit.code, 0, dev.stderr())
  })

/** The first URL the banner prints, once the function is ready. */
const bannerUrl = (dev: Process) =>
  Effect.gen(function* () {
    yield* dev.waitFor(/✓ \S+ is ready/)
    const url = /http:\/\/127\.0\.0\.1:\d+\/\S*/.exec(dev.stdout())?.[0]
    assert.isString(url, dev.stdout())
    return url!
  })

interface Streamed {
  /** How many events the page showed at each poll while the stream was running. */
  readonly counts: ReadonlyArray<number>
  /** Per event, in order: its number and when it arrived (ms since the request started, measured by the page). */
  readonly events: ReadonlyArray<{ readonly n: number; readonly atMs: number; readonly text: string }>
}

/** Watch the page's `/stream` panel (started on load) until it is done. */
const watchStream = (page: Page) =>
  Effect.gen(function* () {
    const list = page.locator("#events")
    const items = page.locator("#events li")
    const counts: Array<number> = []
    const deadline = Date.now() + 30_000
    for (;;) {
      const state = yield* promise(() => list.getAttribute("data-state"))
      counts.push(yield* promise(() => items.count()))
      if (state === "done") break
      assert.notStrictEqual(state, "failed", (yield* promise(() => page.locator("#status").textContent())) ?? "")
      assert.isBelow(Date.now(), deadline, `the stream did not finish; events seen: ${counts.join(",")}`)
      yield* Effect.sleep("20 millis")
    }
    const events = []
    for (const item of yield* promise(() => items.all())) {
      events.push({
        n: Number(yield* promise(() => item.getAttribute("data-n"))),
        atMs: Number(yield* promise(() => item.getAttribute("data-at-ms"))),
        text: (yield* promise(() => item.textContent())) ?? ""
      })
    }
    const streamed: Streamed = { counts, events }
    return streamed
  })

const assertFiveTicks = (streamed: Streamed) => {
  assert.deepStrictEqual(
    streamed.events.map((e) => e.n),
    [1, 2, 3, 4, 5]
  )
  streamed.events.forEach((e, i) => {
    assert.include(e.text, `tick #${i + 1}`)
    assert.include(e.text, JSON.stringify({ n: i + 1 }))
  })
  for (let i = 1; i < streamed.events.length; i++)
    assert.isAtLeast(streamed.events[i]!.atMs, streamed.events[i - 1]!.atMs)
}

describe.skipIf(skip)("the example app's home page in headless Chromium", () => {
  it.scopedLive(
    "npm start: the banner's first URL is the page; it lists every route and shows /stream's events one by one",
    () =>
      Effect.gen(function* () {
        yield* requireChromium
        const scripts = JSON.parse(FileSystem.readFileSync(Path.join(root, "package.json"), "utf8")).scripts as {
          readonly start: string
        }
        assert.match(scripts.start, /^node packages\/dev\/bin\/effect-lambda\.js dev examples\/http-stream\.ts /)
        // the start script as npm runs it, on a free port instead of 3000
        const dev = yield* spawn("sh", ["-c", `exec ${scripts.start} --port 0`])
        const url = yield* bannerUrl(dev)
        const origin = new URL(url).origin
        assert.strictEqual(url, `${origin}/`)
        assert.match(dev.stdout(), new RegExp(`Try:\\n  curl -iN ${origin}/\\n`))

        const context = yield* browser
        const page = yield* promise(() => context.newPage())
        const pageErrors: Array<string> = []
        page.on("pageerror", (error) => pageErrors.push(String(error)))
        const response = yield* promise(() => page.goto(url))
        assert.strictEqual(response?.status(), 200)
        assert.match((yield* promise(() => response!.headerValue("content-type"))) ?? "", /^text\/html/)
        assert.strictEqual(yield* promise(() => page.title()), "effect-lambda-runtime · example app")

        // every route of the router, and nothing else, is listed
        const listed: Array<string> = []
        for (const item of yield* promise(() => page.locator("#routes li").all()))
          listed.push((yield* promise(() => item.getAttribute("data-route"))) ?? "")
        assert.sameMembers(
          listed,
          [...app.routes].map((route) => `${route.method} ${route.path}`)
        )

        const streamed = yield* watchStream(page)
        assertFiveTicks(streamed)
        // one by one: the page showed some but not all of them while the stream ran ...
        assert.isTrue(
          streamed.counts.some((count) => count > 0 && count < 5),
          `counts seen: ${streamed.counts.join(",")}`
        )
        // ... and they arrived spread over time (sent 250 ms apart), not together at the end
        const first = streamed.events[0]!.atMs
        const last = streamed.events[4]!.atMs
        assert.isAtLeast(last - first, 500, JSON.stringify(streamed.events))
        assert.isAtLeast(new Set(streamed.events.map((e) => e.atMs)).size, 4, JSON.stringify(streamed.events))

        // "Stream again" replays it
        yield* promise(() => page.locator("#replay").click())
        assertFiveTicks(yield* watchStream(page))

        // the links work
        yield* promise(() => page.locator('#routes a[href="/items/42"]').click())
        yield* promise(() => page.waitForURL(`${origin}/items/42`))
        assert.deepStrictEqual(JSON.parse((yield* promise(() => page.locator("body").textContent())) ?? ""), {
          id: "42"
        })

        assert.deepStrictEqual(pageErrors, [])
        yield* stop(dev)
        assert.match(dev.stdout(), /GET \/ → 200 /)
        assert.match(dev.stdout(), /GET \/stream → 200 /)
      }),
    120_000
  )

  it.scopedLive(
    "served buffered (examples/http.ts), the same page gets the five events together",
    () =>
      Effect.gen(function* () {
        yield* requireChromium
        const dev = yield* spawn(process.execPath, [
          "packages/dev/bin/effect-lambda.js",
          "dev",
          "examples/http.ts",
          "--port",
          "0"
        ])
        const url = yield* bannerUrl(dev)
        const context = yield* browser
        const page = yield* promise(() => context.newPage())
        assert.strictEqual((yield* promise(() => page.goto(url)))?.status(), 200)
        const streamed = yield* watchStream(page)
        assertFiveTicks(streamed)
        assert.isFalse(
          streamed.counts.some((count) => count > 0 && count < 5),
          `counts seen: ${streamed.counts.join(",")}`
        )
        assert.strictEqual(new Set(streamed.events.map((e) => e.atMs)).size, 1, JSON.stringify(streamed.events))
        yield* stop(dev)
      }),
    120_000
  )
})
