/** json-1mb: replies with a 1 MiB JSON document built once at init. */
import { megabyteReply } from "./payload.mjs"

const reply = megabyteReply()

export const handler = async () => reply
