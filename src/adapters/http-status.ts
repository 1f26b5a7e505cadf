// One rule, for every adapter (Stripe, fulfillment centers, Slack), for what a retry can fix.
import { PermanentError } from "../domain/errors.ts";

/** 5xx, 408 (timeout) and 429 (rate limit) may pass; any other 4xx is a rejection. */
export const isRetryableStatus = (status: number) => status >= 500 || status === 408 || status === 429;

/**
 * The error for an upstream's answer: transient (retried with backoff) unless the status says a
 * retry cannot help. No status at all means the upstream was never reached: transient too.
 */
export function upstreamError(status: number | undefined, message: string): Error {
  return status !== undefined && !isRetryableStatus(status) ? new PermanentError(message) : new Error(message);
}
