/**
 * `process.env._X_AMZN_TRACE_ID`, the invocation's X-Ray trace header, changed per invocation without calling the C
 * library's `setenv`.
 *
 * Why: assigning to `process.env` calls `setenv`, and glibc never frees a `name=value` string it once allocated (a
 * caller of `getenv` may still hold it); it keeps every distinct one in a search tree instead. Each invocation has its
 * own trace id, so setting it the plain way grows the process by about 220 bytes per invocation, for as long as the
 * environment lives (measured on Node 22 and 24: 222 B and 1.4 µs per distinct value, against 3 B and 0.5 µs for a
 * repeated one).
 *
 * How: `process.env` becomes a proxy of itself that keeps this one variable in JavaScript. Every other read and write
 * goes to the environment as before (`TZ` and the rest keep their effects), and the variable is where code reads it:
 * `process.env._X_AMZN_TRACE_ID`, `in`, `Object.keys` and spreads, child processes started with the default or a
 * spread environment. Not seen by: native code calling `getenv`, a worker thread started with the default
 * environment (Node clones the process's own), and code that kept a reference to `process.env` from before the first
 * invocation.
 *
 * @internal
 */

/** The variable's name. @internal */
export const Name = "_X_AMZN_TRACE_ID"

/** The proxy installed on `process.env`, and the value it holds. */
let installed: Record<string, string | undefined> | undefined
let current: string | undefined

const descriptor = (value: string): PropertyDescriptor => ({
  value,
  writable: true,
  enumerable: true,
  configurable: true
})

const wrap = (): void => {
  const environment = process.env
  current = environment[Name]
  const proxy = new Proxy(environment, {
    get: (target, key) => (key === Name ? current : Reflect.get(target, key)),
    set: (target, key, value) => {
      if (key !== Name) return Reflect.set(target, key, value)
      // As the environment itself does: every value is stored as a string.
      current = String(value)
      return true
    },
    deleteProperty: (target, key) => {
      if (key !== Name) return Reflect.deleteProperty(target, key)
      current = undefined
      return true
    },
    has: (target, key) => (key === Name ? current !== undefined : Reflect.has(target, key)),
    ownKeys: (target) => {
      const keys = Reflect.ownKeys(target).filter((key) => key !== Name)
      if (current !== undefined) keys.push(Name)
      return keys
    },
    getOwnPropertyDescriptor: (target, key) =>
      key !== Name
        ? Reflect.getOwnPropertyDescriptor(target, key)
        : current === undefined
          ? undefined
          : descriptor(current),
    defineProperty: (target, key, attributes) => {
      if (key !== Name) return Reflect.defineProperty(target, key, attributes)
      if (!("value" in attributes)) return false
      current = String(attributes.value)
      return true
    }
  })
  process.env = proxy
  installed = proxy
}

/**
 * Put the proxy in place, keeping the variable's present value; if `process.env` was replaced since the last time, the
 * new object gets one of its own. Under the managed runtime, the official client then sets the variable per invocation
 * through the proxy: its own assignment no longer reaches `setenv` either.
 *
 * @internal
 */
export const install = (): void => {
  if (installed === undefined || process.env !== installed) wrap()
}

/**
 * Set (a string) or delete (`undefined`) `process.env._X_AMZN_TRACE_ID`, through the proxy ({@link install}).
 *
 * @internal
 */
export const set = (traceId: string | undefined): void => {
  install()
  current = traceId
}
