/**
 * The benchmark scenarios: what each invocation's event is, how many invocations a run has, what a correct
 * reply looks like, and which number is the headline.
 */
import { MEGABYTE } from "../handlers/js/payload.mjs"

const json = (value) => Buffer.from(JSON.stringify(value), "utf8")

/** ~120 B: a small order event. Echo returns it as is; error fails with its id. */
export const ECHO_EVENT = json({
  id: "42",
  type: "order.created",
  customer: { id: "c-1001", tier: "gold" },
  items: [{ sku: "A-1", qty: 2 }],
  total: 12.5,
  currency: "EUR"
})

export const STREAM_BYTES = 64 * 1024 * 1024
export const STREAM_CHUNK = 64 * 1024

const FUNCTION_URL_ID = "a7bq3x2mzk4vn6tpl5yc8hdw1rfs9ge0"
const DOMAIN = `${FUNCTION_URL_ID}.lambda-url.eu-west-1.on.aws`

/** A Function URL event (payload 2.0) for `GET /hello`, as the Function URL front sends it. */
export const HTTP_EVENT = json({
  version: "2.0",
  routeKey: "$default",
  rawPath: "/hello",
  rawQueryString: "",
  headers: {
    accept: "*/*",
    "accept-encoding": "gzip, deflate, br",
    host: DOMAIN,
    "user-agent": "curl/8.5.0",
    "x-amzn-tls-cipher-suite": "TLS_AES_128_GCM_SHA256",
    "x-amzn-tls-version": "TLSv1.3",
    "x-amzn-trace-id": "Root=1-65f0a1b2-3c4d5e6f7a8b9c0d1e2f3a4b",
    "x-forwarded-for": "203.0.113.7",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https"
  },
  requestContext: {
    accountId: "anonymous",
    apiId: FUNCTION_URL_ID,
    domainName: DOMAIN,
    domainPrefix: FUNCTION_URL_ID,
    http: {
      method: "GET",
      path: "/hello",
      protocol: "HTTP/1.1",
      sourceIp: "203.0.113.7",
      userAgent: "curl/8.5.0"
    },
    requestId: "5d1f0c38-8a4b-4e0e-9f0a-2b7c6d1e3f4a",
    routeKey: "$default",
    stage: "$default",
    time: "12/Mar/2026:10:15:42 +0000",
    timeEpoch: 1773310542000
  },
  isBase64Encoded: false
})

const isHelloReply = (body) => {
  try {
    const reply = JSON.parse(body.toString("utf8"))
    const text = reply.isBase64Encoded ? Buffer.from(reply.body, "base64").toString("utf8") : reply.body
    return (reply.statusCode ?? 200) === 200 && text === "hello"
  } catch {
    return false
  }
}

/**
 * - `count`/`quick`: invocations per run (cold: spawns per round);
 * - `event`: the bytes `/next` delivers;
 * - `expect`: what every reply must be (`kind`, and `bytes` when fixed); `check` looks at the first reply's body;
 * - `unit`: the headline number (`inv/s`, `MiB/s`, or `ms` for cold).
 */
export const SCENARIOS = {
  echo: {
    count: 20_000,
    quick: 2_000,
    event: ECHO_EVENT,
    unit: "inv/s",
    expect: { kind: "response", bytes: ECHO_EVENT.length },
    check: (body) => body.equals(ECHO_EVENT)
  },
  "json-1mb": {
    count: 500,
    quick: 50,
    event: json({ page: 1 }),
    unit: "inv/s",
    expect: { kind: "response", bytes: MEGABYTE },
    check: (body) => body.length === MEGABYTE && body[0] === 0x7b
  },
  stream: {
    count: 8,
    quick: 2,
    event: json({ bytes: STREAM_BYTES, chunk: STREAM_CHUNK }),
    unit: "MiB/s",
    expect: { kind: "stream", bytes: STREAM_BYTES },
    check: () => true
  },
  error: {
    count: 5_000,
    quick: 500,
    event: ECHO_EVENT,
    unit: "inv/s",
    // The errorType is checked in the report: the official client sends no Lambda-Runtime-Function-Error-Type header.
    expect: { kind: "error" },
    check: (body) => {
      try {
        const report = JSON.parse(body.toString("utf8"))
        return report.errorType === "OrderNotFound" && String(report.errorMessage).includes("42")
      } catch {
        return false
      }
    }
  },
  cold: {
    count: 20,
    quick: 5,
    event: ECHO_EVENT,
    unit: "ms",
    expect: { kind: "response" },
    check: () => true
  },
  http: {
    count: 20_000,
    quick: 2_000,
    event: HTTP_EVENT,
    unit: "inv/s",
    expect: { kind: "response" },
    check: isHelloReply
  }
}

export const SCENARIO_NAMES = Object.keys(SCENARIOS)
