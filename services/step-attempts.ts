// One step's attempts inside its one ctx.run: how long each took, which failures count against the
// step's budget and which are the platform's (waited out, never escalated). The step runner
// (step-runner.ts) builds on these.
import * as restate from "@restatedev/restate-sdk";
import { asTerminalError } from "./ports.ts";

/**
 * Attempts per step (the first included) and the backoff between them. `outageWaitMs`: how long a
 * step waits for the platform inside its ctx.run before it hands the wait to Restate (withRetries).
 */
export type StepPolicy = { maxAttempts: number; initialRetryMs: number; maxRetryMs: number; outageWaitMs?: number };

/** Inside one ctx.run, well below restate-server's inactivity timeout (1 min) and abort timeout (10 min). */
export const OUTAGE_WAIT_MS = 30_000;

/** A side effect after payment, with what it yields when an operator says it was done by hand. */
export type Step<T> = { name: string; action: () => Promise<T>; doneByHand: () => Promise<T> };

export function step<T>(name: string, action: () => Promise<T>, doneByHand?: () => Promise<T>): Step<T> {
  return { name, action, doneByHand: doneByHand ?? (async () => undefined as T) };
}

/**
 * How long a step that finished holds its result for its siblings (below). The order hardly waits
 * for it, as its next phase waits for every sibling anyway (C=1 latency measured unchanged); the cap
 * bounds how long a result stays unjournaled beside a slow sibling (a crash then runs that step
 * again: every step is idempotent).
 */
export const HOLD_RESULTS_MS = 20;

/**
 * Sibling steps (one phase's ctx.runs, started together) hand their results to Restate together:
 * each, once its action is done, waits inside its ctx.run until the last sibling is done or
 * `capMs` passes. Results that leave in one event-loop turn reach restate-server in one HTTP/2
 * write, and it appends them to its log with one fsync; results that leave one by one each need
 * their own: an 8-center order took 15 fsyncs instead of 28, less restate-server CPU and a flatter
 * fan-out (docs/benchmark.md). No side effect waits: only the journaling of a result already done.
 */
export function holdTogether(siblings: number, capMs = HOLD_RESULTS_MS) {
  let running = siblings;
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  return async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } finally {
      if (--running <= 0) allDone();
      else {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, capMs)))]);
        clearTimeout(timer);
      }
    }
  };
}
export type Hold = ReturnType<typeof holdTogether>;

/** A result with when its successful attempt started and finished (epoch ms). */
export type Timed<T> = { value: T; at: number; startedAt?: number };

/** The action's value with when it started and finished, journaled together. */
export async function timed<T>(action: () => Promise<T>): Promise<Timed<T>> {
  const startedAt = Date.now();
  return { value: await action(), at: Date.now(), startedAt };
}

/**
 * A named ctx.run that journals its start and finish times with its result (the start of the
 * attempt that succeeded). Journals written before startedAt existed replay without it.
 */
export const timedRun = <T>(ctx: restate.Context, name: string, action: () => Promise<T>) =>
  ctx.run(name, () => timed(action));

/**
 * A step's attempts, all inside its one ctx.run. A failed ctx.run would end the invocation's
 * attempt, and on replay every sibling step still in flight would run again (a center answering
 * 500 re-sent the order to every other center); retried here, one flaky center costs one retry
 * of its own step. A rejection (PermanentError) is not retried. When the attempts run out, the
 * last failure is journaled as the step's TerminalError and an operator decides. A crash in
 * between loses nothing: the step was not journaled, so it runs again, with fresh attempts.
 *
 * The one rule for platform faults (ARCHITECTURE 4: "a platform fault is not an order's fault"):
 * a failure that `isPlatformFault` calls the platform's — the database cannot be reached, by the
 * driver's error class and code (db/errors.ts, wired as a port) — is not the order's, so it never
 * counts against the step's attempts and never reaches an operator: the step backs off
 * (initialRetryMs doubling, up to maxRetryMs) and tries again until the database answers. A
 * constraint violation or bad data is no platform fault: counted, then escalated, as before.
 * Waiting here holds the invocation's attempt open with no journal progress, and restate-server
 * asks an attempt that is silent for its inactivity timeout (1 min) to suspend, which a ctx.run
 * in flight cannot, and aborts it after the abort timeout; so after `outageWaitMs` (30 s) of
 * platform faults the step throws a plain error out of its ctx.run: nothing is journaled for it,
 * the invocation's attempt ends, and Restate retries the invocation with its own backoff
 * (restate.toml [default-retry-policy]: unbounded, up to 30 s apart). The replay skips every
 * journaled step and enters this one afresh. An outage of any length thus waits, escalates
 * nothing and loses nothing (steps still in flight beside this one run again on the replay; every
 * step is idempotent). The price: a step's counted failures restart at zero with each such
 * attempt, as after a crash.
 */
export async function withRetries<T>(
  ctx: restate.Context,
  s: Step<T>,
  policy: StepPolicy,
  isPlatformFault: (err: unknown) => boolean,
): Promise<Timed<T>> {
  const outageWaitMs = policy.outageWaitMs ?? OUTAGE_WAIT_MS;
  const backoff = (n: number) => Math.min(policy.initialRetryMs * 2 ** (n - 1), policy.maxRetryMs);
  let failures = 0; // the step's own, counted against maxAttempts
  let faults = 0; // the platform's, never counted
  let outageSince: number | undefined;
  for (;;) {
    try {
      return await timed(s.action);
    } catch (err) {
      const terminal = err instanceof restate.TerminalError ? err : asTerminalError(err);
      if (terminal) throw terminal;
      const message = err instanceof Error ? err.message : String(err);
      let delayMs: number;
      if (isPlatformFault(err)) {
        outageSince ??= Date.now();
        const waitedMs = Date.now() - outageSince;
        if (waitedMs >= outageWaitMs)
          throw new Error(`step "${s.name}": the database did not answer for ${waitedMs} ms; Restate retries`);
        delayMs = backoff(++faults);
        ctx.console.warn(`step "${s.name}" waits for the database (not counted), retrying in ${delayMs} ms`);
      } else {
        if (++failures >= policy.maxAttempts) throw new restate.TerminalError(message);
        delayMs = backoff(failures);
        ctx.console.warn(
          `step "${s.name}" failed (attempt ${failures} of ${policy.maxAttempts}), retrying in ${delayMs} ms: ${message}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
