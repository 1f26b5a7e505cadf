// holdTogether (services/step-attempts.ts): a phase's sibling steps hand their results to Restate
// together. Each action runs at once; only its result waits, for the last sibling or the cap.
// Fake timers make the cap exact: what is asserted is the order of events, never a duration.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { holdTogether } from "../../services/step-attempts.ts";

/** A step's action that finishes when the test says so, recording when it ran. */
function action(name: string, events: string[]) {
  let finish!: (value: string) => void;
  let fail!: (err: Error) => void;
  const work = () => {
    events.push(`${name} started`);
    return new Promise<string>((resolve, reject) => {
      finish = (value) => {
        events.push(`${name} done`);
        resolve(value);
      };
      fail = (err) => {
        events.push(`${name} failed`);
        reject(err);
      };
    });
  };
  return { work, finish: (v = name) => finish(v), fail: (e: Error) => fail(e) };
}

const settle = () => vi.advanceTimersByTimeAsync(0);

describe("holdTogether", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("starts every action at once and releases every result when the last sibling is done", async () => {
    const events: string[] = [];
    const hold = holdTogether(3, 1_000);
    const [a, b, c] = ["a", "b", "c"].map((n) => action(n, events));
    const results = [a!, b!, c!].map((s) => hold(s.work).then((v) => events.push(`${v} released`)));
    expect(events).toEqual(["a started", "b started", "c started"]); // no action waits for another
    a!.finish();
    await settle();
    c!.finish();
    await settle();
    expect(events).not.toContain("a released"); // held: b is still running
    b!.finish();
    await Promise.all(results);
    expect(events.slice(3, 6)).toEqual(["a done", "c done", "b done"]);
    expect(events.slice(6).sort()).toEqual(["a released", "b released", "c released"]); // all after b
  });

  it("releases a held result once the cap passes, beside a sibling that is still running", async () => {
    const events: string[] = [];
    const hold = holdTogether(2, 20);
    const [fast, slow] = ["fast", "slow"].map((n) => action(n, events));
    const released = hold(fast!.work).then((v) => events.push(`${v} released`));
    const later = hold(slow!.work).then((v) => events.push(`${v} released`));
    fast!.finish();
    await vi.advanceTimersByTimeAsync(19);
    expect(events).not.toContain("fast released");
    await vi.advanceTimersByTimeAsync(1);
    await released;
    expect(events).toContain("fast released");
    expect(events).not.toContain("slow done");
    slow!.finish();
    await later; // the last one is never held
    expect(events.at(-1)).toBe("slow released");
  });

  it("holds a failure like a result, and a failure counts as done for its siblings", async () => {
    const events: string[] = [];
    const hold = holdTogether(2, 1_000);
    const [ok, bad] = ["ok", "bad"].map((n) => action(n, events));
    const first = hold(ok!.work).then((v) => events.push(`${v} released`));
    const second = hold(bad!.work).catch((err: Error) => events.push(`${err.message} released`));
    ok!.finish();
    await settle();
    expect(events).not.toContain("ok released");
    bad!.fail(new Error("center refused"));
    await Promise.all([first, second]);
    expect(events.slice(-2).sort()).toEqual(["center refused released", "ok released"]);
  });

  it("holds nothing for a lone step", async () => {
    const events: string[] = [];
    const hold = holdTogether(1, 1_000);
    const only = action("only", events);
    const released = hold(only.work).then((v) => events.push(`${v} released`));
    only.finish();
    await released; // no timer advanced: it did not wait for the cap
    expect(events).toEqual(["only started", "only done", "only released"]);
  });
});
