/**
 * Scheduled events: what an EventBridge (CloudWatch Events) schedule rule sends its Lambda target —
 * an EventBridge event with `detail-type` `Scheduled Event`, `source` `aws.events`, the rule's ARN in
 * `resources` and an empty `detail`. (EventBridge Scheduler sends the input you configure instead; decode that
 * with your own schema.)
 *
 * @since 0.1.0
 */
import type * as Schema from "effect/Schema"
import type * as EventBridgeEvent from "./EventBridgeEvent.js"
import { event } from "./EventBridgeEvent.js"
import { UnknownRecord } from "./internal/fields.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Event extends EventBridgeEvent.Event<{ readonly [key: string]: unknown }, "Scheduled Event"> {}

/**
 * A scheduled event. Any `detail-type` other than `Scheduled Event` fails to decode.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event: Schema.Schema<Event> = event(UnknownRecord, "Scheduled Event")

/**
 * The name of the rule that fired (the last segment of the first `rule/` ARN in `resources`), if there is one.
 *
 * @since 0.1.0
 * @category utils
 */
export const ruleName = (event: Event): string | undefined => {
  const arn = event.resources.find((resource) => resource.includes(":rule/"))
  return arn === undefined ? undefined : arn.slice(arn.lastIndexOf("/") + 1)
}
