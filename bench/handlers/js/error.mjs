/** error: every invocation fails with an `OrderNotFound` error naming the event's id. */
class OrderNotFound extends Error {
  name = "OrderNotFound"
}

export const handler = async (event) => {
  throw new OrderNotFound(`order ${event.id} was not found`)
}
