// Restate's ingress is a private network, but reaching it grants nothing: the order workflow acts
// only on what postpay's HTTP app recorded for a caller it authenticated (a verified Stripe event
// in payment_events, an operator's decision on the incident), and asks Stripe itself before
// anything ships. SlackAlerts cannot be called from outside at all.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decideIncident, incidentsFor } from "../../db/incidents.ts";
import { movementsFor } from "../../db/inventory.ts";
import { findPaymentEvent } from "../../db/payment-events.ts";
import { findOrder } from "../../db/orders.ts";
import { signWebhook } from "../../dev/stripe-emulator/sign-webhook.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { quietFor } from "../support/wait.ts";
import { restateQuery, viaIngress } from "../support/security.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const slackMentions = (id: string) => stack.slack.posts.filter((p) => JSON.stringify(p).includes(id));

/** A checkout the customer completed with a delayed payment method: the order waits for its outcome. */
async function awaitingAsyncPayment(customerId: string) {
  const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(
    [{ productId: "sku-mug", quantity: 1 }],
    customerId,
  );
  expect((await stack.stripe.complete(cs, { paymentStatus: "unpaid" })).status).toBe(200);
  await stack.waitForStatus(id, ["awaiting_payment"], 30_000, (o) => o.steps.length > 0);
  return { id, cs };
}

describe("the attack from the issue: run, paymentEvent and resolve through the ingress for a session nobody paid", () => {
  it("takes no stock, sends nothing to a center, emails nobody and completes nothing", async () => {
    const stockBefore = { mug: await stack.stockOf("sku-mug"), tee: await stack.stockOf("sku-tee") };
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(
      [
        { productId: "sku-mug", quantity: 3 },
        { productId: "sku-tee", quantity: 2 },
      ],
      "cus_victim_of_curl",
    );

    // 1. Start the workflow without any Stripe event (one-way, as `run` would wait for the end).
    const run = await viaIngress(stack, `/OrderWorkflow/${id}/run/send`);
    expect(run.status).toBe(202);
    // Stripe says the session is unpaid: the order waits for a payment outcome.
    await stack.waitForStatus(id, ["awaiting_payment"], 30_000, (o) =>
      o.steps.some((s) => s.name === "verify payment"),
    );

    // 2. Claim the payment succeeded: no verified Stripe event evt_x was recorded.
    const paid = await viaIngress(stack, `/OrderWorkflow/${id}/paymentEvent`, {
      outcome: "succeeded",
      eventId: "evt_x",
    });
    expect(paid.status).toBe(403);
    expect(await findPaymentEvent(stack.db, "evt_x")).toBeUndefined();

    // 3. Tell it an operator skipped whatever blocks it: there is no incident, and no decision.
    const skipped = await viaIngress(stack, `/OrderWorkflow/${id}/resolve`, { action: "skip" });
    expect(skipped.status).toBe(409);

    // Give a moved workflow every chance to act, then look at everything it could have touched.
    await quietFor(1000);
    const order = await stack.waitForStatus(id, ["awaiting_payment"]);
    expect(order.steps.map((s) => s.name)).not.toContain("update inventory fc-east");
    expect(await movementsFor(stack.db, id)).toEqual([]);
    expect({ mug: await stack.stockOf("sku-mug"), tee: await stack.stockOf("sku-tee") }).toEqual(stockBefore);
    expect(stack.acceptedFor(id)).toEqual([]);
    expect(stack.smtp.for(id)).toEqual([]);
    expect((await findOrder(stack.db, id))?.status).not.toBe("completed");
    expect(stack.stripe.session(cs)?.payment_status).toBe("unpaid");
  });

  it("does not stop the customer's order: when they pay afterwards, it is fulfilled once", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(
      [{ productId: "sku-pen", quantity: 2 }],
      "cus_pays_after_curl",
    );
    expect((await viaIngress(stack, `/OrderWorkflow/${id}/run/send`)).status).toBe(202);
    await stack.waitForStatus(id, ["awaiting_payment"], 30_000, (o) =>
      o.steps.some((s) => s.name === "verify payment"),
    );

    // The customer pays by card: Stripe sends checkout.session.completed, paid.
    expect((await stack.pay(cs)).status).toBe(200);
    await stack.waitForStatus(id, ["completed"]);
    expect(stack.acceptedFor(id)).toHaveLength(1);
    expect(await movementsFor(stack.db, id)).toHaveLength(1);
    expect(stack.smtp.for(id)).toHaveLength(1);
  });
});

describe("run through the ingress for an order that already ended", () => {
  it("after Restate forgot it (retention), does not process the order again: nothing is sent to a center twice", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(
      [{ productId: "sku-mug", quantity: 1 }],
      "cus_rerun",
    );
    await stack.pay(cs);
    await stack.waitForStatus(id, ["completed"]);
    const deliveries = stack.centers.deliveriesFor(`${id}:fc-east`);
    expect(deliveries).toBe(1);

    // Restate keeps a finished workflow for 7 days; purging it now is that week passing.
    const [run] = await restateQuery<{ id: string }>(
      stack,
      `SELECT id FROM sys_invocation WHERE target_service_key = '${id}' AND target_handler_name = 'run'`,
    );
    const purged = await fetch(`${stack.restate.adminUrl}/invocations/${run!.id}/purge`, { method: "PATCH" });
    expect(purged.status, await purged.text()).toBeLessThan(300);
    await expect
      .poll(
        async () =>
          (
            await restateQuery(
              stack,
              `SELECT id FROM sys_invocation WHERE target_service_name = 'OrderWorkflow' AND target_service_key = '${id}'`,
            )
          ).length,
        { timeout: 10_000 },
      )
      .toBe(0);

    expect((await viaIngress(stack, `/OrderWorkflow/${id}/run/send`)).status).toBe(202);
    // The new run ends, one way or the other, without acting again.
    await expect
      .poll(
        async () =>
          (
            await restateQuery<{ status: string }>(
              stack,
              `SELECT status FROM sys_invocation WHERE target_service_key = '${id}' AND target_handler_name = 'run'`,
            )
          )[0]?.status,
        { timeout: 20_000 },
      )
      .toBe("completed");
    expect(stack.centers.deliveriesFor(`${id}:fc-east`)).toBe(deliveries);
    expect(await movementsFor(stack.db, id)).toHaveLength(1);
    expect(stack.smtp.for(id)).toHaveLength(1);
    expect((await findOrder(stack.db, id))?.status).toBe("completed");
    expect((await stack.api("GET", `/orders/${id}`)).body.status).toBe("completed");
  });
});

describe("a stale decision against a re-run order", () => {
  it("never decides the new run's incident: an old run's recorded skip stays with the old incident", async () => {
    const id = await stack.orderStuckAtNorth("cus_stale_decision");
    const first = (await stack.waitForStatus(id, ["needs_attention"])).incident!;

    // The run is killed and forgotten while it waits (an operator in Restate's UI, or retention),
    // and a decision for its incident is recorded only then: it reaches no run.
    const [run] = await restateQuery<{ id: string }>(
      stack,
      `SELECT id FROM sys_invocation WHERE target_service_key = '${id}' AND target_handler_name = 'run'`,
    );
    const killed = await fetch(`${stack.restate.adminUrl}/invocations/${run!.id}/kill`, { method: "PATCH" });
    expect(killed.status, await killed.text()).toBeLessThan(300);
    await expect
      .poll(
        async () =>
          (
            await restateQuery<{ status: string }>(stack, `SELECT status FROM sys_invocation WHERE id = '${run!.id}'`)
          )[0]?.status,
        { timeout: 10_000 },
      )
      .toBe("completed");
    const purged = await fetch(`${stack.restate.adminUrl}/invocations/${run!.id}/purge`, { method: "PATCH" });
    expect(purged.status, await purged.text()).toBeLessThan(300);
    await expect
      .poll(
        async () =>
          (
            await restateQuery(
              stack,
              `SELECT id FROM sys_invocation WHERE target_service_name = 'OrderWorkflow' AND target_service_key = '${id}'`,
            )
          ).length,
        { timeout: 10_000 },
      )
      .toBe(0);
    expect(
      await decideIncident(
        stack.db,
        { incidentId: first.id, orderId: id },
        { action: "skip", note: "handled by hand in the old run" },
        { decidedBy: "alice", via: "console" },
      ),
    ).toEqual({ decided: true });

    // The order runs again (a Stripe redelivery, or the ingress) and fails at the same step again.
    stack.centers.script("fc-north", [{ status: 422, body: { error: "address not serviceable" } }]);
    const deliveries = stack.centers.deliveriesFor(`${id}:fc-north`);
    const rerun = await viaIngress(stack, `/OrderWorkflow/${id}/run/send`, {});
    expect(rerun.status, rerun.text).toBe(202);
    await expect
      .poll(() => stack.centers.deliveriesFor(`${id}:fc-north`), { timeout: 20_000 })
      .toBeGreaterThan(deliveries);

    // A new incident, undecided: the old "skip" did not mark the new failure done.
    const order = await stack.waitForStatus(
      id,
      ["needs_attention", "completed"],
      20_000,
      (o) => o.incidents.length === 2,
    );
    await quietFor(500);
    const again = await stack.waitForStatus(id, ["needs_attention", "completed"]);
    expect(again.status).toBe("needs_attention");
    expect(again.incident!.id).not.toBe(first.id);
    expect(order.incidents.map((i) => [i.id, i.decision?.action ?? null])).toEqual([
      [first.id, "skip"],
      [again.incident!.id, null],
    ]);
    expect(stack.acceptedFor(id).filter((a) => a.centerId === "fc-north")).toHaveLength(0);
    await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "abandon", note: "test done" });
  });
});

describe("a payment event through the ingress", () => {
  it("claiming failure for a paying customer's order is refused (403) and the order completes when Stripe says paid", async () => {
    const { id, cs } = await awaitingAsyncPayment("cus_forged_failure");
    const forged = await viaIngress(stack, `/OrderWorkflow/${id}/paymentEvent`, {
      outcome: "failed",
      eventId: "evt_forged_failure",
    });
    expect(forged.status).toBe(403);
    expect((await stack.api("GET", `/orders/${id}`)).body.status).toBe("awaiting_payment");

    expect((await stack.stripe.asyncResult(cs, "succeeded")).status).toBe(200);
    await stack.waitForStatus(id, ["completed"]);
    expect(stack.smtp.for(id).map((m) => m.subject)).not.toContainEqual(expect.stringContaining("could not confirm"));
    expect(stack.acceptedFor(id)).toHaveLength(1);
  });

  it("naming another order's verified event is refused (403): a record counts only for its own order", async () => {
    const other = await awaitingAsyncPayment("cus_other_failed");
    const failedEvent = await stack.stripe.asyncResult(other.cs, "failed");
    await stack.waitForStatus(other.id, ["payment_failed"]);
    expect(await findPaymentEvent(stack.db, failedEvent.eventId)).toMatchObject({
      orderId: other.id,
      outcome: "failed",
    });

    const { id, cs } = await awaitingAsyncPayment("cus_target");
    const forged = await viaIngress(stack, `/OrderWorkflow/${id}/paymentEvent`, {
      outcome: "failed",
      eventId: failedEvent.eventId,
    });
    expect(forged.status).toBe(403);

    expect((await stack.stripe.asyncResult(cs, "succeeded")).status).toBe(200);
    await stack.waitForStatus(id, ["completed"]);
  });

  it("contradicting the recorded outcome of the order's own event is answered 409 and changes nothing", async () => {
    const { id, cs } = await awaitingAsyncPayment("cus_contradicted");
    const succeeded = await stack.stripe.asyncResult(cs, "succeeded");
    await stack.waitForStatus(id, ["completed"]);
    const contradiction = await viaIngress(stack, `/OrderWorkflow/${id}/paymentEvent`, {
      outcome: "failed",
      eventId: succeeded.eventId,
    });
    expect(contradiction.status).toBe(409);
    expect((await findOrder(stack.db, id))?.status).toBe("completed");
    expect(stack.smtp.for(id)).toHaveLength(1);
  });

  it("a recorded success is still checked with Stripe: a session Stripe calls unpaid goes to an operator, nothing ships", async () => {
    const { id, cs } = await awaitingAsyncPayment("cus_recorded_but_unpaid");
    // A correctly signed async_payment_succeeded, as with a leaked webhook secret: Stripe itself
    // still has the session unpaid.
    const payload = JSON.stringify({
      id: "evt_signed_but_false",
      object: "event",
      type: "checkout.session.async_payment_succeeded",
      data: { object: { ...stack.stripe.session(cs), payment_status: "paid" } },
    });
    const res = await fetch(`${stack.http.url}/webhooks/stripe`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "stripe-signature": signWebhook(payload, stack.config.stripeWebhookSecret),
      },
      body: payload,
    });
    expect(res.status).toBe(200);
    const held = await stack.waitForStatus(id, ["needs_attention", "completed"]);
    expect(held.status).toBe("needs_attention");
    expect(held.incident).toMatchObject({ step: "verify payment", error: expect.stringContaining("still unpaid") });
    expect(stack.acceptedFor(id)).toEqual([]);
    expect(await movementsFor(stack.db, id)).toEqual([]);
  });
});

describe("an operator decision through the ingress", () => {
  it("skipping a payment that needs review without a recorded decision is refused (403): nothing ships", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(
      [{ productId: "sku-cap", quantity: 2 }],
      "cus_underpaid",
    );
    // Stripe charged 1 cent for a 36.00 order: only a person may let it through.
    expect((await stack.stripe.complete(cs, { amountTotal: 1 })).status).toBe(200);
    const held = await stack.waitForStatus(id, ["needs_attention"]);
    expect(held.incident?.step).toBe("verify payment");

    const forged = await viaIngress(stack, `/OrderWorkflow/${id}/resolve`, {
      action: "skip",
      note: "paid, trust me",
      incidentId: held.incident!.id,
    });
    expect(forged.status).toBe(403);
    await quietFor(500); // time for the forged decision to act, which it must not
    expect((await stack.waitForStatus(id, ["needs_attention"])).incidents[0]!.decision).toBeNull();
    expect(stack.acceptedFor(id)).toEqual([]);
    expect(await movementsFor(stack.db, id)).toEqual([]);
  });

  it("claiming another action than the recorded one is answered 409 and the recorded one is what happens", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(
      [{ productId: "sku-cap", quantity: 1 }],
      "cus_recorded_abandon",
    );
    stack.centers.script("fc-north", [{ status: 422, body: { error: "address not serviceable" } }]);
    await stack.pay(cs);
    const waiting = await stack.waitForStatus(id, ["needs_attention"]);
    // The operator's "abandon" is recorded, as the HTTP app does before it tells the workflow;
    // before it does, someone on the ingress claims "skip".
    expect(
      await decideIncident(
        stack.db,
        { incidentId: waiting.incident!.id, orderId: id },
        { action: "abandon", note: "customer called" },
        { decidedBy: "admin-api", via: "admin-api" },
      ),
    ).toEqual({ decided: true });

    const forged = await viaIngress(stack, `/OrderWorkflow/${id}/resolve`, { action: "skip" });
    expect(forged.status).toBe(409);
    expect(forged.text).toContain("abandon");

    // The operator's recorded decision, passed on by the admin API, is the one that counts.
    expect((await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "abandon" })).status).toBe(200);
    await stack.waitForStatus(id, ["abandoned"]);
    expect((await incidentsFor(stack.db, id))[0]).toMatchObject({
      resolution: "abandon",
      decidedBy: "admin-api",
      status: "resolved",
    });
    // No confirmation: the customer hears only that a person will be in touch; support heard of the incident.
    await expect.poll(() => stack.smtp.for(id).length, { timeout: 10_000 }).toBe(2);
    expect(
      stack.smtp
        .for(id)
        .map((m) => m.subject.replace(id, "<id>"))
        .sort(),
    ).toEqual([
      "Your order <id> needs our attention",
      `[postpay] order <id> needs a decision: "send to fc-north" failed`,
    ]);
  });
});

describe("SlackAlerts", () => {
  it("is not callable through the ingress: nobody outside can make Slack post", async () => {
    const alert = {
      incidentId: "ps_fake#1",
      orderId: "ps_fake_order_from_curl",
      customerId: "cus_x",
      step: "send to fc-east",
      error: "click here: http://evil.example",
      orderUrl: "http://evil.example",
      journalCommand: "rm -rf /",
    };
    const notify = await viaIngress(stack, "/SlackAlerts/default/notify", alert);
    const send = await viaIngress(stack, "/SlackAlerts/default/notify/send", alert);
    const flush = await viaIngress(stack, "/SlackAlerts/default/flush", {});
    for (const res of [notify, send, flush]) {
      expect(res.status, res.text).toBe(400);
      expect(res.text).toContain("not public");
    }
    // Longer than the alert interval: a queued alert would have been posted by now.
    await quietFor(1500);
    expect(slackMentions("ps_fake_order_from_curl")).toEqual([]);
  });
});
