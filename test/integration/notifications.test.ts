// Who hears of an incident and of an abandoned order, over real SMTP: the support team gets one
// email per incident (SUPPORT_EMAIL), the customer one notice when an operator abandons the order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, SUPPORT_EMAIL, type Stack } from "../support/stack.ts";

let stack: Stack;
beforeAll(async () => {
  // A reminder every 1.5 s: reminders go to Slack, never as another support email.
  stack = await startStack({ remindAfterMs: 1500 });
});
afterAll(async () => {
  await stack?.close();
});

const WAIT = { timeout: 20_000, interval: 50 };
const toSupport = (orderId: string) => stack.smtp.for(orderId).filter((m) => m.to.includes(SUPPORT_EMAIL));
const toCustomer = (orderId: string, customerId: string) =>
  stack.smtp.for(orderId).filter((m) => m.to.includes(`${customerId}@example.com`));

describe("an incident", () => {
  it("is emailed to the support team once, with the step, the error and a console link, reminders or not", async () => {
    const id = await stack.orderStuckAtNorth("cus_support_mail");
    const order = await stack.waitForStatus(id, ["needs_attention"]);
    await expect.poll(() => toSupport(id).length, WAIT).toBe(1);
    const [mail] = toSupport(id);
    expect(mail!.subject).toContain(id);
    expect(mail!.subject).toContain("send to fc-north");
    expect(mail!.text).toContain("422");
    expect(mail!.text).toContain(`${stack.config.publicUrl}/console/orders/${id}`);
    expect(mail!.text).toContain(order.incident!.id);
    // Two reminders reach Slack; the support team still has the one email.
    await expect
      .poll(() => stack.slack.posts.filter((p) => p.text.includes(id)).length, WAIT)
      .toBeGreaterThanOrEqual(3);
    expect(toSupport(id)).toHaveLength(1);
    expect(toCustomer(id, "cus_support_mail")).toHaveLength(0);

    // A retry that fails again is a new incident: a second email, about it.
    stack.centers.script("fc-north", [{ status: 422, body: { error: "still not serviceable" } }]);
    expect((await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "retry" })).status).toBe(200);
    await expect.poll(() => toSupport(id).length, WAIT).toBe(2);
    expect(toSupport(id)[1]!.text).toContain("still not serviceable");
    expect(
      (await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "skip", note: "by hand" })).status,
    ).toBe(200);
    await stack.waitForStatus(id, ["completed"]);
  });
});

describe("an abandoned order", () => {
  it("tells the customer once that a person will be in touch, naming what a center already has and what not", async () => {
    const id = await stack.orderStuckAtNorth("cus_abandoned");
    expect(
      (await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "abandon", note: "customer called" }))
        .status,
    ).toBe(200);
    // The status shows abandoned as soon as the decision is taken; the notice is the run's last step.
    await stack.waitForStatus(id, ["abandoned"], 30_000, (o) => o.steps.some((s) => s.name === "email abandon notice"));

    await expect.poll(() => toCustomer(id, "cus_abandoned").length, WAIT).toBe(1);
    const [notice] = toCustomer(id, "cus_abandoned");
    expect(notice!.subject).toContain(id);
    expect(notice!.text).toContain("support team will be in touch");
    // fc-east (the mug) had the order; fc-north (the cap) refused it.
    expect(notice!.text).toMatch(/Already handed to our fulfillment center:\s+1 x Mug/);
    expect(notice!.text).toMatch(/Not sent out:\s+1 x Cap/);
    expect(notice!.text).not.toContain("confirmed");
  });
});
