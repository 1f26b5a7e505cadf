// Nobody forgets an order: an incident still undecided after INCIDENT_REMIND_AFTER is posted to
// Slack again, then at the same interval, by a durable timer in the order's own workflow; a
// decision ends the reminders. The interval is shortened here to a second and a half.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../support/stack.ts";
import { quietFor } from "../support/wait.ts";

const REMIND_AFTER_MS = 1500;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ remindAfterMs: REMIND_AFTER_MS });
});
afterAll(async () => {
  await stack?.close();
});

const postsFor = (id: string) => stack.slack.posts.filter((p) => p.text.includes(id));

describe("an undecided incident", () => {
  it("is posted again after the interval, then again, naming how long the order and the customer have waited; a decision stops it", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout(
      [{ productId: "sku-cap", quantity: 1 }],
      "cus_reminded",
    );
    stack.centers.script("fc-north", [{ status: 422, body: { error: "address not serviceable" } }]);
    await stack.pay(stripeCheckoutSessionId);
    await stack.waitForStatus(id, ["needs_attention"]);

    await expect.poll(() => postsFor(id).length, { timeout: 15_000, interval: 100 }).toBeGreaterThanOrEqual(3);
    const [first, second, third] = postsFor(id);
    expect(first!.text).not.toContain("Reminder");
    expect(second!.text).toMatch(
      /Reminder 1, still undecided after less than a minute \(the customer has waited less than a minute\)/,
    );
    expect(third!.text).toContain("Reminder 2");
    expect(second!.text).toContain("send to fc-north");
    expect(third!.receivedAt - second!.receivedAt).toBeGreaterThanOrEqual(REMIND_AFTER_MS - 200);

    expect((await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "retry" })).status).toBe(200);
    await stack.waitForStatus(id, ["completed"]);
    const afterDecision = postsFor(id).length;
    await quietFor(3 * REMIND_AFTER_MS); // three reminder intervals, and no reminder in them
    expect(postsFor(id).length).toBe(afterDecision);
  });
});
