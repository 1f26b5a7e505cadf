// The operators' API (/admin/*) has one lock, ADMIN_TOKEN as a bearer token. Behind it,
// GET /admin/orders/:id is the whole story of an order (customer, steps with their errors, every
// incident with who decided what, through which door, and when), and every decision is recorded
// with its author before the order acts on it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incidentsFor } from "../../db/incidents.ts";
import { serveSecondApp } from "../support/security.ts";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const orderStuckAtNorth = (customerId: string) => stack.orderStuckAtNorth(customerId);
const decide = (id: string, body: unknown) => stack.admin("POST", `/admin/orders/${id}/resolution`, body);

/** An order's first incident id: `<order>#1.` and 12 hex digits drawn by the run, so unique across runs. */
const firstIncident = (orderId: string) => new RegExp(`^${orderId}#1\\.[0-9a-f]{12}$`);

describe("the admin API's lock", () => {
  it("answers 401 on every route without the admin token, with a wrong one, another scheme or the shop's key; nothing is decided", async () => {
    const id = await orderStuckAtNorth("cus_admin_lock");
    const routes: [string, string, unknown][] = [
      ["GET", "/admin/incidents", undefined],
      ["GET", "/admin/inventory", undefined],
      ["GET", `/admin/orders/${id}`, undefined],
      ["GET", `/admin/orders/${id}/emails`, undefined],
      ["POST", `/admin/orders/${id}/resolution`, { action: "skip", note: "let me through" }],
    ];
    const credentials: Record<string, Record<string, string>> = {
      none: {},
      wrong: { authorization: "Bearer wrong-admin-token-0123456789" },
      basic: { authorization: `Basic ${Buffer.from(`admin:${stack.config.adminToken}`).toString("base64")}` },
      bare: { authorization: stack.config.adminToken },
      shopKey: { authorization: `Bearer ${stack.config.shopApiKey}` },
      lowercaseScheme: { authorization: `bearer ${stack.config.adminToken.toUpperCase()}` },
    };
    // Each attempt from a client of its own (behind a trusted proxy): wrong tokens are limited
    // per client (test/security/lockouts.test.ts), and this test is about the answer to one.
    const app = await serveSecondApp(stack, { trustedProxies: ["127.0.0.1"] });
    let client = 0;
    try {
      for (const [method, route, body] of routes) {
        for (const [what, headers] of Object.entries(credentials)) {
          const res = await app.call(method, route, body, { ...headers, "x-forwarded-for": `10.9.0.${++client}` });
          expect(res.status, `${what} ${method} ${route}`).toBe(401);
          expect(res.body.error.code).toBe("unauthorized");
          expect(JSON.stringify(res.body)).not.toContain("cus_admin_lock");
        }
      }
    } finally {
      await app.close();
    }
    expect((await incidentsFor(stack.db, id))[0]).toMatchObject({ status: "open", resolution: null, decidedBy: null });
    expect((await stack.api("GET", `/orders/${id}`)).body.status).toBe("needs_attention");
  });
});

describe("GET /admin/orders/:id", () => {
  it("gives operators the full order: customer, steps with errors, the open incident and its id", async () => {
    const id = await orderStuckAtNorth("cus_admin_view");
    const res = await stack.admin("GET", `/admin/orders/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      orderId: id,
      customerId: "cus_admin_view",
      customer: { id: "cus_admin_view", email: "cus_admin_view@example.com" },
      status: "needs_attention",
      invocationId: expect.stringMatching(/^inv_/),
      incident: {
        id: expect.stringMatching(firstIncident(id)),
        step: "send to fc-north",
        error: expect.stringContaining("address not serviceable"),
      },
      incidents: [
        {
          id: expect.stringMatching(firstIncident(id)),
          step: "send to fc-north",
          error: expect.stringContaining("address not serviceable"),
          status: "open",
          openedAt: expect.any(String),
          decision: null,
        },
      ],
    });
    expect(res.body.steps).toContainEqual(
      expect.objectContaining({ name: "send to fc-north", status: "failed", error: expect.stringContaining("422") }),
    );
    // The open incident is also listed, with its id, for operators who start from the list.
    const open = await stack.admin("GET", "/admin/incidents");
    expect(open.body.incidents).toContainEqual(
      expect.objectContaining({ id: expect.stringMatching(firstIncident(id)), orderId: id, status: "open" }),
    );
  });

  it("records each decision with who made it, through which door and when, and shows it", async () => {
    const id = await orderStuckAtNorth("cus_admin_decision");
    const before = Date.now();
    const res = await decide(id, { action: "skip", note: "shipped from the store" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      incidentId: expect.stringMatching(firstIncident(id)),
      step: "send to fc-north",
      action: "skip",
    });
    await stack.waitForStatus(id, ["completed"]);

    const view = (await stack.admin("GET", `/admin/orders/${id}`)).body;
    expect(view.incidents).toEqual([
      expect.objectContaining({
        id: expect.stringMatching(firstIncident(id)),
        status: "resolved",
        decision: {
          action: "skip",
          note: "shipped from the store",
          decidedBy: "admin",
          via: "admin-api",
          decidedAt: expect.any(String),
        },
      }),
    ]);
    const decidedAt = Date.parse(view.incidents[0].decision.decidedAt);
    expect(decidedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(decidedAt).toBeLessThanOrEqual(Date.now() + 1000);
    expect((await incidentsFor(stack.db, id))[0]).toMatchObject({
      resolution: "skip",
      decidedBy: "admin",
      decidedVia: "admin-api",
    });
  });

  it("keeps the first decision: a different second one is answered 409 and changes nothing", async () => {
    const id = await orderStuckAtNorth("cus_admin_second");
    const first = await decide(id, { action: "abandon", note: "customer cancelled" });
    expect(first.status).toBe(200);
    const second = await decide(id, { action: "skip", incidentId: first.body.incidentId });
    expect(second.status).toBe(409);
    await stack.waitForStatus(id, ["abandoned"]);
    expect((await incidentsFor(stack.db, id))[0]).toMatchObject({ resolution: "abandon", note: "customer cancelled" });
    // The abandon's emails (the support team's for the incident, the customer's notice), and no
    // confirmation, which the refused skip would have led to.
    const kinds = () => stack.smtp.for(id).map((m) => m.messageId.replace(`<${id}.`, "").replace(/[.@].*/, ""));
    await expect.poll(() => kinds().sort()).toEqual(["abandoned", "support"]);
  });

  it("answers 404 for an unknown order", async () => {
    const res = await stack.admin("GET", "/admin/orders/ps_no_such_order");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });

  it("lists the order's emails as the outbox keeps them (the only record without SMTP_URL); 404 for an unknown order", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout(
      [{ productId: "sku-mug", quantity: 1 }],
      "cus_admin_emails",
    );
    expect((await stack.admin("GET", `/admin/orders/${id}/emails`)).body).toEqual({ orderId: id, emails: [] });
    await stack.pay(stripeCheckoutSessionId);
    await stack.waitForStatus(id, ["completed"]);
    await expect
      .poll(async () => (await stack.admin("GET", `/admin/orders/${id}/emails`)).body.emails)
      .toEqual([
        {
          kind: "confirmation",
          recipient: "cus_admin_emails@example.com",
          subject: `Your order ${id} is confirmed`,
          body: expect.stringContaining("Estimated arrival: "),
          createdAt: expect.any(String),
          sentAt: expect.any(String),
        },
      ]);
    expect((await stack.admin("GET", "/admin/orders/ps_unknown/emails")).status).toBe(404);
  });
});

describe("a decision's request", () => {
  it.each([
    ["an unknown action", { action: "refund" }],
    ["a note over 2000 characters", { action: "retry", note: "n".repeat(2001) }],
    ["an incident id over 300 characters", { action: "retry", incidentId: "i".repeat(301) }],
    ["a body that is not JSON", "action=retry"],
  ])("is refused with 400 for %s, and nothing is decided", async (_what, body) => {
    const id = await orderStuckAtNorth(`cus_admin_bad_${Math.random().toString(36).slice(2, 8)}`);
    const res =
      typeof body === "string"
        ? await fetch(`${stack.http.url}/admin/orders/${id}/resolution`, {
            method: "POST",
            headers: { authorization: `Bearer ${stack.config.adminToken}`, "content-type": "application/json" },
            body,
          }).then(async (r) => ({ status: r.status, body: await r.json() }))
        : await decide(id, body);
    expect(res.status).toBe(400);
    expect((await incidentsFor(stack.db, id))[0]).toMatchObject({ status: "open", resolution: null });
  });

  it("is refused with 413 over 64 KiB", async () => {
    const res = await decide("ps_whatever", { action: "retry", note: "n".repeat(70 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("payload_too_large");
  });
});
