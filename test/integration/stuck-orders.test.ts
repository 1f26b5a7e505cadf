// The stuck-order alert: a paid order whose run Restate keeps retrying without progress for
// STUCK_ORDER_AFTER gets one Slack alert naming the order and the step it is stuck on — once, not
// once per sweep — while orders that wait on a person (an incident's decision, an async payment)
// never do. The failure never becomes an incident: here the bookkeeping step that records the
// incident cannot write to the database (its table is renamed away, so PostgreSQL refuses every
// attempt, as it would while unreachable), which by design is retried without limit.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../support/stack.ts";
import { quietFor } from "../support/wait.ts";

const STUCK_AFTER_MS = 1500;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ stuckAfterMs: STUCK_AFTER_MS });
});
afterAll(async () => {
  await stack?.close();
});

/** Posts naming the order since `from`. */
const postsFor = (orderId: string, from = 0) => stack.slack.posts.slice(from).filter((p) => p.text.includes(orderId));

describe("a paid order that makes no progress", () => {
  it("gets one Slack alert naming the step it is stuck on; orders waiting on a person get none", async () => {
    // Waiting on a person: an incident to decide, and an async payment not yet settled.
    const deciding = await stack.orderStuckAtNorth("cus_deciding");
    const unpaid = await stack.checkout([{ productId: "sku-mug", quantity: 1 }], "cus_unpaid");
    expect((await stack.stripe.complete(unpaid.stripeCheckoutSessionId, { paymentStatus: "unpaid" })).status).toBe(200);
    await stack.waitForStatus(unpaid.paymentSessionId, ["awaiting_payment"], 30_000, (o) => o.steps.length > 0);
    const from = stack.slack.posts.length; // the incident's own alert for `deciding` came before

    // The next incident cannot be recorded: the step is retried, forever, and no incident opens.
    await stack.db.execute(sql`ALTER TABLE incidents RENAME TO incidents_unreachable`);
    try {
      const { paymentSessionId: stuck, stripeCheckoutSessionId } = await stack.checkout(
        [{ productId: "sku-cap", quantity: 1 }],
        "cus_stuck",
      );
      stack.centers.script("fc-north", [{ status: 422, body: { error: "address not serviceable" } }]);
      await stack.pay(stripeCheckoutSessionId);

      // It never had an incident: any post naming it is the stuck-order alert.
      await expect.poll(() => postsFor(stuck).length, { timeout: 30_000, interval: 100 }).toBe(1);
      const [alert] = postsFor(stuck);
      expect(alert!.text).toContain(`Order ${stuck} is stuck`);
      expect(alert!.text).toContain('on step "record incident"');
      expect(alert!.text).toContain("incidents"); // the database's own words: the relation is missing

      // Several sweeps and Slack's rate window later: still one alert for it, none for the others.
      await quietFor(STUCK_AFTER_MS * 3);
      expect(postsFor(stuck)).toHaveLength(1);
      expect(postsFor(deciding, from)).toHaveLength(0);
      expect(postsFor(unpaid.paymentSessionId)).toHaveLength(0);
    } finally {
      await stack.db.execute(sql`ALTER TABLE incidents_unreachable RENAME TO incidents`);
    }
  });
});
