import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as FunctionUrlFront from "../../src/emulator/FunctionUrlFront.js"

const encoder = new TextEncoder()
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8")

const request = (overrides: Partial<FunctionUrlFront.Request> = {}): FunctionUrlFront.Request => ({
  method: "GET",
  url: "/",
  rawHeaders: ["Host", "abc.lambda-url.us-east-1.on.aws", "User-Agent", "test/1.0"],
  body: new Uint8Array(0),
  sourceIp: "203.0.113.9",
  protocol: "HTTP/1.1",
  ...overrides
})

const context: FunctionUrlFront.Context = {
  requestId: "req-1",
  timeEpochMs: Date.UTC(2026, 2, 12, 19, 3, 58),
  urlId: "abc"
}

describe("FunctionUrlFront.event", () => {
  it("follows the payload-2.0 shape of a Function URL request", () => {
    const event = FunctionUrlFront.event(
      request({
        method: "POST",
        url: "/my/path?parameter1=value1&parameter1=value2&parameter2=value",
        rawHeaders: [
          "Host",
          "x",
          "Cookie",
          "cookie1=a; cookie2=b",
          "X-Multi",
          "1",
          "x-multi",
          "2",
          "Content-Type",
          "text/plain"
        ],
        body: encoder.encode("Hello from client!")
      }),
      { ...context, port: 3000 }
    )
    assert.match(event.headers["x-amzn-trace-id"] ?? "", /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/)
    assert.deepStrictEqual(event, {
      version: "2.0",
      routeKey: "$default",
      rawPath: "/my/path",
      rawQueryString: "parameter1=value1&parameter1=value2&parameter2=value",
      cookies: ["cookie1=a", "cookie2=b"],
      headers: {
        host: "x",
        "x-multi": "1,2",
        "content-type": "text/plain",
        "x-forwarded-for": "203.0.113.9",
        "x-forwarded-proto": "http",
        "x-forwarded-port": "3000",
        "x-amzn-trace-id": event.headers["x-amzn-trace-id"]!
      },
      queryStringParameters: { parameter1: "value1,value2", parameter2: "value" },
      requestContext: {
        accountId: "123456789012",
        apiId: "abc",
        domainName: "abc.lambda-url.us-east-1.on.aws",
        domainPrefix: "abc",
        http: { method: "POST", path: "/my/path", protocol: "HTTP/1.1", sourceIp: "203.0.113.9", userAgent: "" },
        requestId: "req-1",
        routeKey: "$default",
        stage: "$default",
        time: "12/Mar/2026:19:03:58 +0000",
        timeEpoch: context.timeEpochMs
      },
      body: "Hello from client!",
      isBase64Encoded: false
    })
  })

  it("leaves out the body, cookies and query when there are none", () => {
    const event = FunctionUrlFront.event(request(), context)
    assert.isUndefined(event.body)
    assert.isUndefined(event.cookies)
    assert.isUndefined(event.queryStringParameters)
    assert.strictEqual(event.rawQueryString, "")
    assert.strictEqual(event.requestContext.http.userAgent, "test/1.0")
    assert.isFalse(event.isBase64Encoded)
  })

  it.prop(
    "any body survives: text for textual UTF-8, base64 otherwise",
    [FastCheck.uint8Array({ minLength: 1 }), FastCheck.boolean()],
    ([body, textual]) => {
      const event = FunctionUrlFront.event(
        request({
          method: "PUT",
          rawHeaders: ["content-type", textual ? "application/json" : "application/octet-stream"],
          body
        }),
        context
      )
      const back = event.isBase64Encoded
        ? Buffer.from(event.body ?? "", "base64")
        : Buffer.from(event.body ?? "", "utf8")
      assert.isTrue(back.equals(body))
      if (!textual) assert.isTrue(event.isBase64Encoded)
    }
  )
})

describe("FunctionUrlFront.fromBuffered", () => {
  it("a 2.0 response object: status, headers, cookies as Set-Cookie, body; content type defaults to JSON", () => {
    const response = FunctionUrlFront.fromBuffered(
      encoder.encode(
        JSON.stringify({
          statusCode: 201,
          headers: { "X-Custom": "v", "Content-Length": "999" },
          cookies: ["a=1; Path=/", "b=2"],
          body: "created"
        })
      ),
      "application/json"
    )
    assert.deepStrictEqual(response, {
      status: 201,
      headers: [
        ["x-custom", "v"],
        ["set-cookie", "a=1; Path=/"],
        ["set-cookie", "b=2"],
        ["content-type", "application/json"]
      ],
      body: encoder.encode("created")
    })
  })

  it("isBase64Encoded bodies are decoded", () => {
    const bytes = new Uint8Array([0, 159, 146, 150])
    const response = FunctionUrlFront.fromBuffered(
      encoder.encode(
        JSON.stringify({
          statusCode: 200,
          headers: { "content-type": "image/png" },
          body: Buffer.from(bytes).toString("base64"),
          isBase64Encoded: true
        })
      ),
      "application/json"
    )
    assert.isFalse("_tag" in response)
    if ("_tag" in response) return
    assert.deepStrictEqual([...response.body], [...bytes])
    assert.deepStrictEqual(response.headers, [["content-type", "image/png"]])
  })

  it("the shorthand: JSON without statusCode (object, string, number) is a 200 application/json with the reply as body", () => {
    for (const value of [{ message: "Hello, world!" }, "Hello, world!", 42, [1, 2]]) {
      const payload = encoder.encode(JSON.stringify(value))
      assert.deepStrictEqual(FunctionUrlFront.fromBuffered(payload, "application/json"), {
        status: 200,
        headers: [["content-type", "application/json"]],
        body: payload
      })
    }
  })

  it("a reply that is not JSON is passed through with its content type", () => {
    const response = FunctionUrlFront.fromBuffered(encoder.encode("plain words"), "text/plain")
    assert.isFalse("_tag" in response)
    if ("_tag" in response) return
    assert.strictEqual(text(response.body), "plain words")
    assert.deepStrictEqual(response.headers, [["content-type", "text/plain"]])
  })

  it("an invalid 2.0 response is refused with the reason", () => {
    const invalid = (value: unknown) =>
      FunctionUrlFront.fromBuffered(encoder.encode(JSON.stringify(value)), "application/json")
    assert.deepStrictEqual(invalid({ statusCode: "200" }), {
      _tag: "InvalidResponse",
      reason: 'statusCode "200" is not an HTTP status'
    })
    assert.strictEqual(
      (invalid({ statusCode: 200, body: { a: 1 } }) as FunctionUrlFront.InvalidResponse).reason,
      "body is not a string"
    )
    assert.strictEqual(
      (invalid({ statusCode: 200, cookies: "a=1" }) as FunctionUrlFront.InvalidResponse).reason,
      "cookies is not an array of strings"
    )
  })
})

describe("FunctionUrlFront.fromPrelude", () => {
  it("status, lower-case headers, one Set-Cookie per cookie; framing headers dropped", () => {
    assert.deepStrictEqual(
      FunctionUrlFront.fromPrelude({
        statusCode: 404,
        headers: { "Content-Type": "text/html", "Transfer-Encoding": "chunked" },
        cookies: ["a=1", "b=2"]
      }),
      {
        status: 404,
        headers: [
          ["content-type", "text/html"],
          ["set-cookie", "a=1"],
          ["set-cookie", "b=2"]
        ]
      }
    )
  })
})
