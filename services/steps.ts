// How a workflow step runs: a named ctx.run with bounded, backed-off retries. The closure's own
// finish time is journaled with its result, so the order's step times cost no extra entries.
import * as restate from "@restatedev/restate-sdk";
import type { StepPolicy } from "../src/config.ts";
import { PermanentError } from "../src/domain/errors.ts";

export type Timed<T> = { value: T; at: number };

export const runOptions = (policy: StepPolicy): restate.RunOptions<unknown> => ({
  maxRetryAttempts: policy.maxAttempts,
  initialRetryInterval: policy.initialRetryMs,
  maxRetryInterval: policy.maxRetryMs,
  retryIntervalFactor: 2,
});

/** A step with bounded retries; when they run out it fails with a TerminalError. */
export function timedRun<T>(
  ctx: restate.Context,
  name: string,
  action: () => Promise<T>,
  policy?: StepPolicy,
): restate.RestatePromise<Timed<T>> {
  const timed = async () => ({ value: await action(), at: Date.now() });
  return policy
    ? ctx.run(name, timed, runOptions(policy) as restate.RunOptions<Timed<T>>)
    : ctx.run(name, timed);
}

/** Adapters throw PermanentError for rejections; Restate must not retry those. */
export const asTerminalError = (err: unknown) =>
  err instanceof PermanentError ? new restate.TerminalError(err.message) : undefined;

export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
