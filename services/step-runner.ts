// How the order's steps run. Every step is a named ctx.run (operators read the names in journals)
// whose finish time is journaled with its result, so the live view's step times cost no extra
// entries. Steps after payment get bounded, backed-off retries inside their ctx.run; when those
// run out, an operator decides (escalation.ts). Bookkeeping steps, the order's own records, are
// retried until the database answers: an outage waits, it pages nobody. The order has one way out,
// toFinalStatus: the status its process ends in, or abandoned as soon as an operator says so.
import * as restate from "@restatedev/restate-sdk";
import type { RecordedDecision } from "../src/domain/decision.ts";
import type { OrderStatus } from "../src/domain/order.ts";
import type { OrderResult } from "../src/domain/order-view.ts";
import { STEP } from "./durable.ts";
import type { LiveView } from "./live-view.ts";
import { asTerminalError, type OrderPorts } from "./ports.ts";

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

/** How a failed step gets an operator's decision (escalation.ts). */
export type AskOperator = (step: string, error: string) => Promise<RecordedDecision>;

/**
 * An operator ended the order: thrown from the step they abandoned, so the order stops where it is
 * (nothing is reversed), and caught by toFinalStatus. A TerminalError, so one that ever got past
 * toFinalStatus would end the run, not retry it.
 */
class Abandoned extends restate.TerminalError {}

type Steps = Record<string, Step<unknown>>;
type Results<S extends Steps> = { [K in keyof S]: S[K] extends Step<infer T> ? T : never };
type Timed<T> = { value: T; at: number; startedAt?: number };
type Attempt<T> = ({ ok: true } & Timed<T>) | { ok: false; error: restate.TerminalError };

export type StepRunner = {
  /** A bookkeeping step: retried until it succeeds. */
  record<T>(name: string, action: () => Promise<T>): Promise<T>;
  /**
   * A bookkeeping step and, beside it, one attempt at a step whose value is only a head start
   * (undefined if that attempt failed: the caller then runs the step proper).
   */
  recordWithHeadStart<T, U>(
    name: string,
    action: () => Promise<T>,
    headStart: Step<U> | undefined,
  ): Promise<[T, U | undefined]>;
  /**
   * Runs the order's process and writes the status it ends in: the one `body` returns, or
   * abandoned when an operator abandons one of its steps, after `tellAbandoned` (a bookkeeping
   * step: the customer hears of it). Steps after payment run inside it.
   */
  toFinalStatus(body: () => Promise<OrderStatus>, tellAbandoned: () => Promise<void>): Promise<OrderResult>;
  /** One step after payment. */
  run<T>(step: Step<T>): Promise<T>;
  /**
   * Groups of steps, every step of every group at once; each group gets its own results by name.
   * Every step has its chance before any failure goes to an operator, one incident at a time.
   * Outcomes are noted in the live view; the caller publishes them with what they change.
   */
  all<S extends Steps>(groups: S[]): Promise<Results<S>[]>;
  /** One group of steps at once. */
  together<S extends Steps>(group: S): Promise<Results<S>>;
};

/** The action's value with when it started and finished, journaled together. */
async function timed<T>(action: () => Promise<T>): Promise<Timed<T>> {
  const startedAt = Date.now();
  return { value: await action(), at: Date.now(), startedAt };
}

/**
 * A named ctx.run that journals its start and finish times with its result (the start of the
 * attempt that succeeded). Journals written before startedAt existed replay without it.
 */
const timedRun = <T>(ctx: restate.Context, name: string, action: () => Promise<T>) =>
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
async function withRetries<T>(
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

/** A bookkeeping step, noted in the live view. */
export async function recordStep<T>(
  ctx: restate.Context,
  view: LiveView,
  name: string,
  action: () => Promise<T>,
): Promise<T> {
  const { value, at, startedAt } = await timedRun(ctx, name, action);
  view.noteStep(name, "done", at, undefined, startedAt);
  return value;
}

export function createStepRunner(
  ctx: restate.WorkflowContext,
  view: LiveView,
  policy: StepPolicy,
  askOperator: AskOperator,
  ports: Pick<OrderPorts, "setStatus" | "isPlatformFault">,
): StepRunner {
  // When its retries run out, the step fails with a TerminalError: a value here, not a throw.
  const attempt = <T>(s: Step<T>) =>
    ctx
      .run(s.name, () => withRetries(ctx, s, policy, ports.isPlatformFault))
      .map((done, error): Attempt<T> => (error ? { ok: false, error } : { ok: true, ...done! }));

  /** The step's value: done, done by hand after an operator's skip, or retried until one of those. */
  async function settle<T>(s: Step<T>, first: Attempt<T>): Promise<T> {
    for (let result = first; ; result = await attempt(s)) {
      if (result.ok) {
        view.noteStep(s.name, "done", result.at, undefined, result.startedAt);
        return result.value;
      }
      if (result.error instanceof restate.CancelledError) throw result.error;
      view.noteStep(s.name, "failed", await ctx.date.now(), result.error.message);
      const decision = await askOperator(s.name, result.error.message);
      if (decision.action === "abandon") throw new Abandoned(`${s.name}: abandoned by ${decision.decidedBy}`);
      if (decision.action === "skip") {
        view.noteStep(s.name, "skipped", await ctx.date.now());
        return s.doneByHand();
      }
    }
  }

  async function all<S extends Steps>(groups: S[]): Promise<Results<S>[]> {
    const flat = groups.flatMap((group, g) => Object.entries(group).map(([key, s]) => ({ g, key, s })));
    const firsts = await restate.RestatePromise.all(flat.map(({ s }) => attempt(s)));
    const results = groups.map(() => ({}) as Record<string, unknown>);
    for (const [i, { g, key, s }] of flat.entries()) results[g]![key] = await settle(s, firsts[i]!);
    return results as Results<S>[];
  }

  async function recordWithHeadStart<T, U>(
    name: string,
    action: () => Promise<T>,
    headStart: Step<U> | undefined,
  ): Promise<[T, U | undefined]> {
    if (!headStart) return [await recordStep(ctx, view, name, action), undefined];
    const record = timedRun(ctx, name, action);
    // A failed head start is journaled as null, not retried: the step proper has the retries.
    const early = ctx.run(headStart.name, () => timed(headStart.action).catch(() => null));
    const [loaded, told] = await restate.RestatePromise.all([record, early]);
    view.noteStep(name, "done", loaded.at, undefined, loaded.startedAt);
    if (told) view.noteStep(headStart.name, "done", told.at, undefined, told.startedAt);
    return [loaded.value, told?.value];
  }

  async function toFinalStatus(
    body: () => Promise<OrderStatus>,
    tellAbandoned: () => Promise<void>,
  ): Promise<OrderResult> {
    const status = await body().catch(async (err: unknown) => {
      if (!(err instanceof Abandoned)) throw err;
      await recordStep(ctx, view, STEP.emailAbandonNotice, tellAbandoned);
      return "abandoned" as const;
    });
    // The order's last word. Not a journaled step: an idempotent write of the final status, as
    // the run's very last action, is safe to repeat, and on a replay it is repeated before the run
    // can end. Its own entry would cost every order a round trip to restate-server. If the
    // database is down, the run fails here and Restate retries it (the steps stay journaled).
    await ports.setStatus(view.orderId, status);
    return view.finish(status);
  }

  return {
    record: (name, action) => recordStep(ctx, view, name, action),
    recordWithHeadStart,
    toFinalStatus,
    run: async (s) => (await all([{ only: s }]))[0]!.only,
    all,
    together: async (group) => (await all([group]))[0]!,
  };
}
