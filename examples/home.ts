/**
 * The home page of the example app (`GET /` in `examples/http.ts`): one HTML document, no assets, that lists the
 * app's routes as links and reads `GET /stream` live in the browser (a `fetch` body reader), appending each
 * server-sent event with its arrival time. Served streamed (`npm start`), the events show up one by one as the
 * function sends them; served buffered, they arrive together when the reply is complete.
 *
 * For tests, the page marks its state in the DOM: `#events` holds one `li` per event with `data-n` (the event's
 * number) and `data-at-ms` (milliseconds since the request started), and `data-state` on `#events` is
 * `streaming`, `done` or `failed`.
 */

/** One route of the example app, as the page lists it. */
export interface Route {
  readonly method: "GET" | "POST"
  /** The route's pattern, as the router declares it. */
  readonly path: string
  /** Where the page's link goes (GET routes only): the pattern with sample parameters filled in. */
  readonly href?: string
  readonly description: string
}

/** The routes of `examples/http.ts` besides `GET /` itself. */
export const routes: ReadonlyArray<Route> = [
  { method: "GET", path: "/hello", href: "/hello", description: "text/plain “hello”" },
  { method: "GET", path: "/items/:id", href: "/items/42", description: "JSON with the id from the path" },
  {
    method: "POST",
    path: "/echo",
    description: "the request body, byte for byte, with its content type (try it with curl, below)"
  },
  { method: "GET", path: "/stream", href: "/stream", description: "five server-sent events, 250 ms apart" },
  { method: "GET", path: "/cookies", href: "/cookies", description: "200 setting two cookies" },
  { method: "GET", path: "/redirect", href: "/redirect", description: "302 to /hello" },
  { method: "GET", path: "/boom", href: "/boom", description: "a defect: the client gets a bare 500" }
]

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!)

const routeItem = (route: Route): string => {
  const label = `${route.method} ${route.path}`
  const target =
    route.href === undefined
      ? `<code>${escapeHtml(label)}</code>`
      : `<a href="${escapeHtml(route.href)}"><code>${escapeHtml(label)}</code></a>`
  return `<li data-route="${escapeHtml(label)}">${target} — ${escapeHtml(route.description)}</li>`
}

// Runs in the browser: reads /stream with fetch and a body reader, parses the server-sent events as their bytes
// arrive, and appends one list item per event with its arrival time.
const script = `
const list = document.getElementById("events");
const status = document.getElementById("status");
const button = document.getElementById("replay");
const field = (block, name) => {
  const line = block.split("\\n").find((l) => l.startsWith(name + ":"));
  return line === undefined ? "" : line.slice(name.length + 1).trimStart();
};
async function run() {
  list.replaceChildren();
  list.dataset.state = "streaming";
  button.disabled = true;
  status.textContent = "waiting for the first event…";
  const started = performance.now();
  try {
    const reply = await fetch("/stream", { cache: "no-store" });
    if (!reply.ok || reply.body === null) throw new Error("GET /stream answered " + reply.status);
    const reader = reply.body.pipeThrough(new TextDecoderStream()).getReader();
    let pending = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const at = Math.round(performance.now() - started);
      pending += value;
      let end;
      while ((end = pending.indexOf("\\n\\n")) !== -1) {
        const block = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const data = field(block, "data");
        if (data === "") continue;
        const item = document.createElement("li");
        item.dataset.n = String(list.children.length + 1);
        item.dataset.atMs = String(at);
        item.textContent = "+" + at + " ms  " + (field(block, "event") || "message") + " #" + field(block, "id") + "  " + data;
        list.append(item);
        status.textContent = list.children.length + " event(s) so far…";
      }
    }
    list.dataset.state = "done";
    status.textContent = list.children.length + " event(s) in " + Math.round(performance.now() - started) + " ms.";
  } catch (error) {
    list.dataset.state = "failed";
    status.textContent = "failed: " + error.message;
  } finally {
    button.disabled = false;
  }
}
button.addEventListener("click", run);
run();
`

/** The page, as served by `GET /`. */
export const page: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>effect-lambda-runtime · example app</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  code, #events { font-family: ui-monospace, monospace; font-size: 0.9em; }
  #events li { white-space: pre; }
  #status { color: #555; }
</style>
</head>
<body>
<h1>The example app</h1>
<p>An <code>HttpRouter</code> running as a Lambda function (<code>examples/http.ts</code>), here behind the local
emulator's Function URL. This page is its <code>GET /</code> route.</p>
<h2>Routes</h2>
<ul id="routes">
<li data-route="GET /"><a href="/"><code>GET /</code></a> — this page</li>
${routes.map(routeItem).join("\n")}
</ul>
<p>Try <code>POST /echo</code> with
<code>curl -i -H 'content-type: application/json' --data-binary '{"hello":"world"}' <span id="origin">…</span>/echo</code></p>
<h2>GET /stream, live</h2>
<p>Each server-sent event is listed when it arrives, with the time since the request started. Served streamed
(<code>npm start</code>), they come one by one; served buffered, all at once when the reply is complete.</p>
<p><button id="replay" type="button">Stream again</button> <span id="status"></span></p>
<ol id="events" data-state="idle"></ol>
<script>
document.getElementById("origin").textContent = location.origin;
${script}
</script>
</body>
</html>
`
