/**
 * The reference client: a plain, hand-written Lambda runtime loop on `node:http` with a keep-alive agent, as
 * anyone would write it from the Runtime API documentation. No tuning: `http.request` per call, bodies
 * collected as Buffers, JSON parsed and serialized with the built-ins. Ratios in the benchmark are against it.
 *
 * It runs the same handler modules as the official client (`_HANDLER` = `file.export` in `LAMBDA_TASK_ROOT`),
 * with a minimal `awslambda.streamifyResponse` so that streaming handlers get the request stream to write to.
 */
import * as Http from "node:http"
import * as Path from "node:path"
import * as Url from "node:url"

const STREAMING = Symbol("streaming")
globalThis.awslambda = {
  streamifyResponse: (handler) => {
    handler[STREAMING] = true
    return handler
  }
}

const [hostname, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":")
const [file, exportName] = process.env._HANDLER.split(".")
const module = await import(Url.pathToFileURL(Path.join(process.env.LAMBDA_TASK_ROOT, `${file}.mjs`)).href)
const handler = module[exportName]

const agent = new Http.Agent({ keepAlive: true, maxSockets: 1 })
const base = "/2018-06-01/runtime"

const collect = (response, resolve, reject) => {
  const chunks = []
  response.on("data", (chunk) => chunks.push(chunk))
  response.on("end", () =>
    resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) })
  )
  response.on("error", reject)
}

const next = () =>
  new Promise((resolve, reject) => {
    Http.get({ hostname, port, path: `${base}/invocation/next`, agent }, (response) =>
      collect(response, resolve, reject)
    ).on("error", reject)
  })

const post = (path, body, headers) =>
  new Promise((resolve, reject) => {
    const request = Http.request(
      {
        hostname,
        port,
        path,
        method: "POST",
        agent,
        headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), ...headers }
      },
      (response) => collect(response, resolve, reject)
    )
    request.on("error", reject)
    request.end(body)
  })

const errorReport = (error) => ({
  errorType: error?.name ?? "Error",
  errorMessage: error?.message ?? String(error),
  stackTrace: typeof error?.stack === "string" ? error.stack.split("\n") : []
})

const stream = (id, event, context) =>
  new Promise((resolve, reject) => {
    const request = Http.request(
      {
        hostname,
        port,
        path: `${base}/invocation/${id}/response`,
        method: "POST",
        agent,
        headers: {
          "Content-Type": "application/octet-stream",
          "Lambda-Runtime-Function-Response-Mode": "streaming",
          "Transfer-Encoding": "chunked",
          Trailer: "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"
        }
      },
      (response) => collect(response, resolve, reject)
    )
    request.on("error", reject)
    Promise.resolve(handler(event, request, context)).catch((error) => {
      const report = errorReport(error)
      request.addTrailers({
        "Lambda-Runtime-Function-Error-Type": report.errorType,
        "Lambda-Runtime-Function-Error-Body": Buffer.from(JSON.stringify(report)).toString("base64")
      })
      request.end()
    })
  })

for (;;) {
  const invocation = await next()
  const id = invocation.headers["lambda-runtime-aws-request-id"]
  const context = {
    awsRequestId: id,
    invokedFunctionArn: invocation.headers["lambda-runtime-invoked-function-arn"],
    deadlineMs: Number(invocation.headers["lambda-runtime-deadline-ms"]),
    getRemainingTimeInMillis: () => Number(invocation.headers["lambda-runtime-deadline-ms"]) - Date.now()
  }
  const event = JSON.parse(invocation.body.toString("utf8"))
  if (handler[STREAMING]) {
    await stream(id, event, context)
    continue
  }
  try {
    const result = await handler(event, context)
    await post(`${base}/invocation/${id}/response`, JSON.stringify(result))
  } catch (error) {
    const report = errorReport(error)
    console.error(`Invoke Error: ${report.errorType}: ${report.errorMessage}`)
    await post(`${base}/invocation/${id}/error`, JSON.stringify(report), {
      "Lambda-Runtime-Function-Error-Type": report.errorType
    })
  }
}
