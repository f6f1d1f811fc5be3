/**
 * The program's name in messages and help.
 *
 * @internal
 */
export const Program = "effect-lambda"
