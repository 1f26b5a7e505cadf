// Every Stripe event a shop meets after checkout, end to end: the emulator sends the real, signed
// event shapes to the real webhook, which re-reads Stripe, records and hands on; restate-server runs
// the order and its Shipments object; the SMTP and Slack sinks count what people hear. Each event
// is also delivered twice and out of order. The rules themselves are specified in
// test/workflow/stripe-signals.test.ts; here, that each door reaches them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incidentsFor } from "../../db/incidents.ts";
import { movementsFor } from "../../db/inventory.ts";
import { signWebhook } from "../../dev/stripe-emulator/sign-webhook.ts";
import type { AdminOrderView } from "../../src/domain/order-view.ts";
import { restateQuery } from "../support/security.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { quietFor } from "../support/wait.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const MUG_AND_CAP = [
  { productId: "sku-mug", quantity: 1 },
  { productId: "sku-cap", quantity: 1 },
]; // 30.00 USD, from fc-east and fc-north
const ok = (delivery: { status: number; body: string }) => expect(delivery.status, delivery.body).toBe(200);
const view = async (id: string) => (await stack.admin("GET", `/admin/orders/${id}`)).body as AdminOrderView;
const sent = (id: string) => stack.acceptedFor(id).length;

/** Completes the session without delivering checkout.session.completed yet, so a test picks the order of events. */
async function completeSilently(cs: string) {
  stack.stripe.setWebhookUrl(undefined);
  try {
    return await stack.stripe.complete(cs);
  } finally {
    stack.stripe.setWebhookUrl(`${stack.http.url}/webhooks/stripe`);
  }
}
async function paidOrder(customerId: string) {
  const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(MUG_AND_CAP, customerId);
  await stack.pay(cs);
  await stack.waitForStatus(id, ["completed"]);
  return { id, cs };
}
/** A signed event of our own making, as a leaked-secret forger or a test of a stray event would send it. */
async function deliverSigned(type: string, object: Record<string, unknown>) {
  const payload = JSON.stringify({
    id: `evt_${Math.random().toString(36).slice(2)}`,
    object: "event",
    type,
    data: { object },
  });
  const res = await fetch(`${stack.http.url}/webhooks/stripe`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "stripe-signature": signWebhook(payload, stack.config.stripeWebhookSecret),
    },
    body: payload,
  });
  return { status: res.status, body: (await res.json()) as { ignored?: string } };
}

describe("a paid order", () => {
  it("keeps the PaymentIntent and charge ids, shown with the Stripe Dashboard link (test mode)", async () => {
    const { id } = await paidOrder("cus_ids");
    const order = await view(id);
    expect(order.payment).toMatchObject({
      paymentIntentId: expect.stringMatching(/^pi_/),
      chargeId: expect.stringMatching(/^ch_/),
    });
    expect(order.payment!.dashboardUrl).toBe(
      `https://dashboard.stripe.com/test/payments/${order.payment!.paymentIntentId}`,
    );
  });
});

describe("checkout.session.expired", () => {
  it("ends an unpaid order as expired, its page says so, nothing runs; the event twice and a stray event after change nothing", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(MUG_AND_CAP, "cus_expired");
    const expired = await stack.stripe.expire(cs);
    ok(expired);
    ok(await stack.stripe.resend(expired.eventId));
    expect((await stack.api("GET", `/orders/${id}`)).body).toMatchObject({ status: "expired", steps: [] });
    // A stray completed event for it (signed with the real secret) starts nothing.
    const stray = await deliverSigned("checkout.session.completed", {
      id: cs,
      client_reference_id: id,
      payment_status: "paid",
    });
    expect(stray).toMatchObject({ status: 200, body: { ignored: "order already expired" } });
    await quietFor(300);
    const runs = `SELECT id FROM sys_invocation WHERE target_service_key = '${id}' AND target_handler_name = 'run'`;
    expect(await restateQuery(stack, runs)).toEqual([]);
    expect(stack.smtp.for(id)).toEqual([]);
    expect((await stack.api("GET", `/orders/${id}`)).body.status).toBe("expired");
  });

  it("for a session already paid changes nothing (Stripe is asked, not the event)", async () => {
    const { id, cs } = await paidOrder("cus_expired_paid");
    const late = await deliverSigned("checkout.session.expired", {
      id: cs,
      client_reference_id: id,
      status: "expired",
    });
    expect(late).toMatchObject({ status: 200, body: { ignored: "order already completed" } });
    const { paymentSessionId: id2, stripeCheckoutSessionId: cs2 } = await stack.checkout(MUG_AND_CAP, "cus_exp_paid2");
    await completeSilently(cs2); // paid at Stripe; its completed event not delivered yet
    const early = await deliverSigned("checkout.session.expired", {
      id: cs2,
      client_reference_id: id2,
      status: "expired",
    });
    expect(early.body.ignored).toBe("checkout session is not expired unpaid");
    ok(await stack.stripe.resend(stack.stripe.events().findLast((e) => e.type === "checkout.session.completed")!.id));
    await stack.waitForStatus(id2, ["completed"]);
  });
});

describe("a refund before the hand-off", () => {
  it("in full, arriving before checkout.session.completed and twice: the order stops as refunded, no stock, no center, one email", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(MUG_AND_CAP, "cus_refund_early");
    const completed = await completeSilently(cs);
    const stock = await stack.stockOf("sku-mug");
    const refund = await stack.stripe.refund(cs);
    refund.deliveries.forEach(ok);
    for (const d of refund.deliveries) ok(await stack.stripe.resend(d.eventId));
    ok(await stack.stripe.resend(completed.eventId));
    await stack.waitForStatus(id, ["refunded"]);
    ok(await stack.stripe.resend(completed.eventId)); // late again: nothing
    await quietFor(300);
    expect(await movementsFor(stack.db, id)).toEqual([]);
    expect(await stack.stockOf("sku-mug")).toBe(stock);
    expect(sent(id)).toBe(0);
    expect(stack.smtp.for(id).map((m) => m.subject)).toEqual([expect.stringContaining("cancelled and refunded")]);
    const order = await view(id);
    expect(order.stripeEvents.map((e) => [e.type, e.afterHandOff])).toEqual([
      ["charge.refunded", false],
      ["refund.created", false],
    ]);
    expect((await stack.api("GET", `/orders/${id}`)).body.status).toBe("refunded");
  });

  it("in part holds the order for an operator; done by hand ships it anyway", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(MUG_AND_CAP, "cus_refund_part");
    const completed = await completeSilently(cs);
    (await stack.stripe.refund(cs, 500)).deliveries.forEach(ok);
    ok(await stack.stripe.resend(completed.eventId));
    const held = await stack.waitForStatus(id, ["needs_attention"]);
    expect(held.incident).toMatchObject({ step: "check before hand-off" });
    expect(held.incident!.error).toContain("partially refunded in Stripe before the hand-off: 5.00 USD of 30.00 USD");
    expect(sent(id)).toBe(0);
    expect(
      (await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "skip", note: "keep it" })).status,
    ).toBe(200);
    await stack.waitForStatus(id, ["completed"]);
    expect(sent(id)).toBe(2);
  });
});

describe("a refund that fails", () => {
  it("its refund.updated delivered first, then the rest twice: the charge re-read says nothing is refunded, the order ships", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(
      MUG_AND_CAP,
      "cus_refund_failed",
    );
    const completed = await completeSilently(cs);
    stack.stripe.setWebhookUrl(undefined);
    const refund = await stack.stripe.refund(cs);
    const failed = await stack.stripe.failRefund(refund.refundId);
    stack.stripe.setWebhookUrl(`${stack.http.url}/webhooks/stripe`);
    for (const eventId of [failed.delivery.eventId, ...refund.deliveries.map((d) => d.eventId)])
      for (let twice = 0; twice < 2; twice++) ok(await stack.stripe.resend(eventId));
    ok(await stack.stripe.resend(completed.eventId));
    await stack.waitForStatus(id, ["completed"]);
    const order = await view(id);
    expect(order.stripeEvents.map((e) => [e.type, e.amountRefunded])).toEqual([
      ["refund.updated", 0],
      ["charge.refunded", 0],
      ["refund.created", 0],
    ]);
    expect(sent(id)).toBe(2);
  });
});

describe("a refund after the hand-off", () => {
  it("opens one incident per center that has the order, with Slack and support email; twice and resent, still one; decided through the admin API", async () => {
    const { id, cs } = await paidOrder("cus_refund_late");
    const refund = await stack.stripe.refund(cs);
    refund.deliveries.forEach(ok);
    for (const d of [...refund.deliveries].reverse()) ok(await stack.stripe.resend(d.eventId));
    await expect.poll(async () => (await incidentsFor(stack.db, id)).length, { timeout: 15_000 }).toBe(2);
    await quietFor(500);
    const incidents = await incidentsFor(stack.db, id);
    expect(incidents.map((i) => [i.centerId, i.status]).sort()).toEqual([
      ["fc-east", "open"],
      ["fc-north", "open"],
    ]);
    expect(incidents.find((i) => i.centerId === "fc-east")!.error).toMatch(
      /^refunded in Stripe after fc-east has the order — cancel at the center\?/,
    );
    expect((await view(id)).status).toBe("completed");
    await expect.poll(() => stack.slack.posts.some((p) => p.text.includes(id)), { timeout: 15_000 }).toBe(true);
    await expect
      .poll(
        () => stack.smtp.received.filter((m) => m.subject.includes(id) && m.subject.includes("refunded after")).length,
      )
      .toBe(2);
    for (const incident of incidents) {
      const body = { action: "skip", note: "cancelled at the center", incidentId: incident.id };
      expect((await stack.admin("POST", `/admin/orders/${id}/resolution`, body)).status).toBe(200);
    }
    await expect
      .poll(async () => (await incidentsFor(stack.db, id)).map((i) => i.status), { timeout: 15_000 })
      .toEqual(["resolved", "resolved"]);
    expect(stack.acceptedFor(id)).toHaveLength(2); // nothing was sent again
  });
});

describe("an event about a payment that is not an order of ours", () => {
  it("is answered 200 and ignored (Stripe does not know the PaymentIntent or the charge), so Stripe stops sending it", async () => {
    const dispute = { id: "dp_other", object: "dispute", charge: "ch_other", payment_intent: "pi_other", amount: 100 };
    expect(await deliverSigned("charge.dispute.created", dispute)).toMatchObject({
      status: 200,
      body: { ignored: "no postpay order for this payment" },
    });
    const refunded = { id: "ch_other", object: "charge", amount_refunded: 100 };
    expect(await deliverSigned("charge.refunded", refunded)).toMatchObject({
      status: 200,
      body: { ignored: "names no PaymentIntent" },
    });
  });
});

describe("disputes, fraud warnings and reviews", () => {
  it("a dispute, its events twice and closed before created, is recorded once per event, shown as Stripe says now, posted to Slack", async () => {
    const { id, cs } = await paidOrder("cus_dispute");
    stack.stripe.setWebhookUrl(undefined);
    const created = await stack.stripe.openDispute(cs, "fraudulent");
    const closed = await stack.stripe.closeDispute(created.disputeId, "lost");
    stack.stripe.setWebhookUrl(`${stack.http.url}/webhooks/stripe`);
    for (const eventId of [
      closed.delivery.eventId,
      created.delivery.eventId,
      closed.delivery.eventId,
      created.delivery.eventId,
    ])
      ok(await stack.stripe.resend(eventId));
    const order = await view(id);
    expect(order.stripeEvents.map((e) => [e.type, e.status, e.reason, e.amount])).toEqual([
      ["charge.dispute.closed", "lost", "fraudulent", 3000],
      ["charge.dispute.created", "lost", "fraudulent", 3000],
    ]);
    const dashboard = order.payment!.dashboardUrl;
    await expect
      .poll(() => stack.slack.posts.filter((p) => JSON.stringify(p).includes(dashboard)).length, { timeout: 15_000 })
      .toBeGreaterThan(0);
    const post = JSON.stringify(stack.slack.posts.filter((p) => JSON.stringify(p).includes(dashboard)));
    for (const fact of ["dispute opened", "30.00 USD", "reason fraudulent", id]) expect(post).toContain(fact);
    expect((await incidentsFor(stack.db, id)).length).toBe(0); // news, not a decision
  });

  it("a Radar review open before the hand-off holds the order; review.closed approved releases it", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(MUG_AND_CAP, "cus_review");
    const completed = await completeSilently(cs);
    const review = await stack.stripe.openReview(cs);
    ok(review.delivery);
    ok(await stack.stripe.resend(review.delivery.eventId));
    ok(await stack.stripe.resend(completed.eventId));
    await stack.waitForStatus(id, ["processing"], 30_000, (o) =>
      o.steps.some((s) => s.name === "check before hand-off"),
    );
    await quietFor(500);
    expect(sent(id)).toBe(0);
    expect(await movementsFor(stack.db, id)).toEqual([]);
    const closed = await stack.stripe.closeReview(review.reviewId, "approved");
    ok(closed.delivery);
    ok(await stack.stripe.resend(closed.delivery.eventId));
    await stack.waitForStatus(id, ["completed"]);
    expect(sent(id)).toBe(2);
  });

  it("a review closed before it was opened (out of order) and an early fraud warning before the hand-off: the warning holds it", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(MUG_AND_CAP, "cus_efw");
    const completed = await completeSilently(cs);
    stack.stripe.setWebhookUrl(undefined);
    const review = await stack.stripe.openReview(cs);
    const closed = await stack.stripe.closeReview(review.reviewId, "approved");
    stack.stripe.setWebhookUrl(`${stack.http.url}/webhooks/stripe`);
    ok(await stack.stripe.resend(closed.delivery.eventId));
    ok(await stack.stripe.resend(review.delivery.eventId));
    const warning = await stack.stripe.earlyFraudWarning(cs);
    ok(warning.delivery);
    ok(await stack.stripe.resend(warning.delivery.eventId));
    ok(await stack.stripe.resend(completed.eventId));
    const held = await stack.waitForStatus(id, ["needs_attention"]);
    expect(held.incident!.error).toContain("early fraud warning (made_with_stolen_card)");
    expect(sent(id)).toBe(0);
    expect((await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "abandon" })).status).toBe(200);
    await stack.waitForStatus(id, ["abandoned"]);
    expect(sent(id)).toBe(0);
  });
});
