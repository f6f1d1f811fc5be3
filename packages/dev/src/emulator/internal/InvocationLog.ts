/**
 * A local function's output: each line printed to the developer's terminal under the function's name, and
 * the tail kept for Lambda's `LogResult` (`START` … `END` … `REPORT`).
 *
 * @internal
 */

/**
 * Lines as the terminal shows them. A log record keeps Lambda's convention on the wire: one line whose inner
 * newlines are `\r`. Each of its lines is shown on its own, the first after `prefix`, the others indented
 * under it.
 *
 * @internal
 */
export const shownLines = (prefix: string, line: string): ReadonlyArray<string> => {
  if (!line.includes("\r")) return [prefix + line]
  const parts = line.split("\r")
  return parts.map((part, index) => (index === 0 ? prefix + part : `${prefix}  ${part}`))
}

/** The tail of a process's output, with a running offset, for `LogResult`. @internal */
export class LogTail {
  private text = ""
  private base = 0
  get offset(): number {
    return this.base + this.text.length
  }
  push(line: string): void {
    this.text += `${line}\n`
    if (this.text.length > 65_536) {
      const drop = this.text.length - 32_768
      this.text = this.text.slice(drop)
      this.base += drop
    }
  }
  since(offset: number): string {
    return this.text.slice(Math.max(0, offset - this.base))
  }
}

/** Lambda's `LogResult`: the invocation's log, last 4 KB, base64. @internal */
export const logResult = (requestId: string, output: string, durationMs: number, memoryMb: number): string => {
  const duration = durationMs.toFixed(2)
  const log =
    `START RequestId: ${requestId} Version: $LATEST\n${output}END RequestId: ${requestId}\n` +
    `REPORT RequestId: ${requestId}\tDuration: ${duration} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\t` +
    `Memory Size: ${memoryMb} MB\n`
  const bytes = Buffer.from(log, "utf8")
  return bytes.subarray(Math.max(0, bytes.length - 4096)).toString("base64")
}
