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
import type { OrderPorts } from "./ports.ts";
import {
  type Hold,
  holdTogether,
  type Step,
  type StepPolicy,
  type Timed,
  timed,
  timedRun,
  withRetries,
} from "./step-attempts.ts";

export { OUTAGE_WAIT_MS, type Step, type StepPolicy, step } from "./step-attempts.ts";

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
  // A phase's first attempts hold their results for one another (holdTogether).
  const attempt = <T>(s: Step<T>, hold?: Hold) =>
    ctx
      .run(s.name, () => {
        const work = () => withRetries(ctx, s, policy, ports.isPlatformFault);
        return hold ? hold(work) : work();
      })
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
    const hold = flat.length > 1 ? holdTogether(flat.length) : undefined;
    const firsts = await restate.RestatePromise.all(flat.map(({ s }) => attempt(s, hold)));
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
    const hold = holdTogether(2);
    const record = ctx.run(name, () => hold(() => timed(action)));
    // A failed head start is journaled as null, not retried: the step proper has the retries.
    const early = ctx.run(headStart.name, () => hold(() => timed(headStart.action).catch(() => null)));
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
