/**
 * Size limits the runtime applies by default, defined once. The public modules re-export them under their
 * documented names (`ChunkedUpload.DefaultMaxBytes`), and `RuntimeConfig` uses them as its defaults.
 *
 * @internal
 */

/** Default limit of a streamed reply: 200 MB (Lambda's limit for streamed responses). */
export const DefaultMaxStreamedBytes = 200_000_000
