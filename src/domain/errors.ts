/**
 * A failure that retrying cannot fix: a rejection by an outside system or bad data. Adapters throw
 * it; the workflow turns it into a Restate TerminalError (no retries) and escalates to an operator.
 * Anything else an adapter throws is treated as transient and retried with backoff.
 */
export class PermanentError extends Error {
  override name = "PermanentError";
}

export type ShortItem = { productId: string; requested: number; available: number };

/** Stock ran out after payment: the order becomes a backorder for an operator, never a refund. */
export class OutOfStockError extends PermanentError {
  override name = "OutOfStockError";
  readonly short: ShortItem[];
  constructor(short: ShortItem[]) {
    super(
      `out of stock (backorder): ${short
        .map((s) => `${s.productId} wanted ${s.requested}, ${s.available} left`)
        .join("; ")}`,
    );
    this.short = short;
  }
}
