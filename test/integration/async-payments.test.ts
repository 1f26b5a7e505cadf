// Async payment methods through Stripe's webhook: checkout.session.completed arrives unpaid, the
// outcome comes later as async_payment_succeeded or _failed, and each reaches the waiting order.
// Events in either order, or twice, give the same result: the webhook records an early outcome
// before the order's run starts, which only the whole stack shows. What the order does while it
// waits and after is specified in test/workflow.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { movementsFor } from "../../db/inventory.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { quietFor } from "../support/wait.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

async function unpaidCheckout(customerId: string) {
  const session = await stack.checkout(
    [
      { productId: "sku-mug", quantity: 1 },
      { productId: "sku-tee", quantity: 1 },
    ],
    customerId,
  );
  return { id: session.paymentSessionId, cs: session.stripeCheckoutSessionId };
}

/** Completes the session without delivering the event yet, so a test can choose the order. */
async function completeSilently(cs: string) {
  stack.stripe.setWebhookUrl(undefined);
  try {
    return await stack.stripe.complete(cs, { paymentStatus: "unpaid" });
  } finally {
    stack.stripe.setWebhookUrl(`${stack.http.url}/webhooks/stripe`);
  }
}

async function expectFulfilledOnce(id: string) {
  expect(await movementsFor(stack.db, id)).toHaveLength(2);
  expect(stack.acceptedFor(id)).toHaveLength(2);
  expect(stack.smtp.for(id)).toHaveLength(1);
}

describe("an async payment method", () => {
  it("async_payment_succeeded reaches the order waiting in awaiting_payment, which completes", async () => {
    const { id, cs } = await unpaidCheckout("cus_async_ok");
    expect((await stack.stripe.complete(cs, { paymentStatus: "unpaid" })).status).toBe(200);
    // Before the workflow's first report the database also says awaiting_payment: wait for the view.
    await stack.waitForStatus(id, ["awaiting_payment"], 30_000, (o) =>
      o.steps.some((s) => s.name === "verify payment"),
    );
    expect((await stack.stripe.asyncResult(cs, "succeeded")).status).toBe(200);
    await stack.waitForStatus(id, ["completed"]);
    await expectFulfilledOnce(id);
  });

  it("async_payment_failed reaches the waiting order, which ends payment_failed with the notice by SMTP", async () => {
    const { id, cs } = await unpaidCheckout("cus_async_fail");
    await stack.stripe.complete(cs, { paymentStatus: "unpaid" });
    await stack.waitForStatus(id, ["awaiting_payment"]);
    await stack.stripe.asyncResult(cs, "failed");
    await stack.waitForStatus(id, ["payment_failed"]);
    expect(stack.smtp.for(id).map((m) => m.subject)).toEqual([
      expect.stringContaining("could not confirm the payment"),
    ]);
    expect(stack.smtp.for(id)[0]!.text).toContain("could not be confirmed");
    expect(await movementsFor(stack.db, id)).toHaveLength(0);
  });

  it("gives the same result when async_payment_succeeded arrives before checkout.session.completed, and both twice", async () => {
    const { id, cs } = await unpaidCheckout("cus_async_early");
    const completed = await completeSilently(cs);
    const succeeded = await stack.stripe.asyncResult(cs, "succeeded");
    expect(succeeded.status).toBe(200);
    expect((await stack.stripe.resend(completed.eventId)).status).toBe(200);
    expect((await stack.stripe.resend(succeeded.eventId)).status).toBe(200);
    expect((await stack.stripe.resend(completed.eventId)).status).toBe(200);
    await stack.waitForStatus(id, ["completed"]);
    await expectFulfilledOnce(id);
  });

  it("gives the same result when async_payment_failed arrives first, and twice", async () => {
    const { id, cs } = await unpaidCheckout("cus_async_early_fail");
    const completed = await completeSilently(cs);
    const failed = await stack.stripe.asyncResult(cs, "failed");
    expect(failed.status).toBe(200);
    await stack.stripe.resend(failed.eventId);
    await stack.stripe.resend(completed.eventId);
    await stack.waitForStatus(id, ["payment_failed"]);
    await quietFor(300); // a second notice, if the repeated events caused one, would be sent by now
    expect(stack.smtp.for(id)).toHaveLength(1);
    expect(await movementsFor(stack.db, id)).toHaveLength(0);
  });
});
