/** http: a Function URL event (payload 2.0); `GET /hello` answers "hello" as text/plain, anything else 404. */
export const handler = async (event) => {
  if (event.requestContext.http.method === "GET" && event.rawPath === "/hello") {
    return { statusCode: 200, headers: { "content-type": "text/plain" }, body: "hello", isBase64Encoded: false }
  }
  return { statusCode: 404, headers: { "content-type": "text/plain" }, body: "not found", isBase64Encoded: false }
}
