import { describe, expect, it } from "@effect/vitest"
import { InFlight } from "../../src/internal/InFlight.js"

describe("InFlight", () => {
  it("keeps one entry in its fields and more in a map, keys and values in step", () => {
    const inFlight = new InFlight<{ readonly id: string }, string>()
    const a = { id: "a" }
    const b = { id: "b" }
    const c = { id: "c" }
    expect(inFlight.keys()).toEqual([])
    inFlight.add(a, "fiber-a")
    inFlight.add(b, "fiber-b")
    inFlight.add(c, "fiber-c")
    expect(inFlight.keys().map((k) => k.id)).toEqual(["a", "b", "c"])
    expect(inFlight.values()).toEqual(["fiber-a", "fiber-b", "fiber-c"])
    // The first leaves while others are in flight; the next one takes its place.
    inFlight.delete(a)
    expect(inFlight.keys().map((k) => k.id)).toEqual(["b", "c"])
    const d = { id: "d" }
    inFlight.add(d, "fiber-d")
    expect(
      inFlight
        .keys()
        .map((k) => k.id)
        .sort()
    ).toEqual(["b", "c", "d"])
    expect(inFlight.values().sort()).toEqual(["fiber-b", "fiber-c", "fiber-d"])
    // Deleting what is not there changes nothing.
    inFlight.delete(a)
    inFlight.delete(b)
    inFlight.delete(c)
    inFlight.delete(d)
    expect(inFlight.keys()).toEqual([])
    expect(inFlight.values()).toEqual([])
  })
})
