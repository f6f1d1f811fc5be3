/** echo (and cold): replies with the event, unchanged. */
export const handler = async (event) => event
