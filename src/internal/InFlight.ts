/**
 * The invocations a loop is serving right now, each with the fiber that serves it (for shutdown and crash reports).
 *
 * One invocation at a time is the common case, and it lives in two fields. A long-lived `Map` would be emptied
 * after every invocation, and V8 shrinks a map's table when it empties it: each time a new table, allocated in the
 * old generation because the map is old, about 150 bytes per invocation that only a full collection frees.
 * Invocations beyond the first (Lambda Managed Instances, several in flight) go to a map.
 *
 * @internal
 */
export class InFlight<K extends object, V> {
  private firstKey: K | undefined
  private firstValue: V | undefined
  private more: Map<K, V> | undefined

  add(key: K, value: V): void {
    if (this.firstKey === undefined) {
      this.firstKey = key
      this.firstValue = value
    } else {
      if (this.more === undefined) this.more = new Map()
      this.more.set(key, value)
    }
  }

  delete(key: K): void {
    if (this.firstKey === key) {
      this.firstKey = undefined
      this.firstValue = undefined
    } else {
      this.more?.delete(key)
    }
  }

  keys(): Array<K> {
    const keys = this.firstKey === undefined ? [] : [this.firstKey]
    if (this.more !== undefined) for (const key of this.more.keys()) keys.push(key)
    return keys
  }

  values(): Array<V> {
    const values = this.firstKey === undefined ? [] : [this.firstValue as V]
    if (this.more !== undefined) for (const value of this.more.values()) values.push(value)
    return values
  }
}
