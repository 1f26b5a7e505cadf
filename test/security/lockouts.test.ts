// Our own limits must never become the attacker's weapon. Behind the documented TLS proxy every
// client shares one peer address: a limit keyed by it, or one that refuses verified callers,
// lets anyone lock Stripe, Slack or every operator out. So signed routes check the signature
// first and never limit a verified caller; only failures count, per client, and the client is
// the address a trusted proxy reports (TRUSTED_PROXIES). Wrong bearer tokens share one limit per
// client across the admin API, the shop API and the console's sign-in.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signWebhook } from "../../dev/stripe-emulator/sign-webhook.ts";
import { tokenSha256 } from "../../src/domain/operators.ts";
import { serveSecondApp } from "../support/security.ts";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

/** The app as deployed: the default limit of 300 a minute, behind a TLS proxy on loopback. */
const behindProxy = (overrides: Parameters<typeof serveSecondApp>[1] = {}) =>
  serveSecondApp(stack, { rateLimit: { limit: 300, windowMs: 60_000 }, trustedProxies: ["127.0.0.1"], ...overrides });
const via = (client: string) => ({ "x-forwarded-for": client });

async function post(url: string, path: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${url}${path}`, { method: "POST", headers, body, redirect: "manual" });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe("the Stripe webhook", () => {
  it("after 301 forged POSTs, through the same proxy, still takes Stripe's genuine event (200); the forger gets 429", async () => {
    const app = await behindProxy();
    try {
      const forged = JSON.stringify({ id: "evt_forged", object: "event", type: "checkout.session.completed" });
      const forger = { "content-type": "application/json", "stripe-signature": signWebhook(forged, "whsec_guess") };
      const answers: number[] = [];
      for (let i = 0; i < 301; i++) answers.push((await post(app.url, "/webhooks/stripe", forged, forger)).status);
      expect(answers.slice(0, 300).every((s) => s === 400)).toBe(true);
      expect(answers[300]).toBe(429);

      // Stripe, through the very same proxy and peer address, with and without a forwarded address.
      const genuine = JSON.stringify({
        id: "evt_genuine_after_flood",
        object: "event",
        type: "payment_intent.created",
        data: { object: { object: "payment_intent", id: "pi_after_flood" } },
      });
      const stripe = {
        "content-type": "application/json",
        "stripe-signature": signWebhook(genuine, stack.config.stripeWebhookSecret),
      };
      expect((await post(app.url, "/webhooks/stripe", genuine, stripe)).status).toBe(200);
      const redelivered = await post(app.url, "/webhooks/stripe", genuine, { ...stripe, ...via("203.0.113.9") });
      expect(redelivered.status).toBe(200);
      // The forger is still refused.
      expect((await post(app.url, "/webhooks/stripe", forged, forger)).status).toBe(429);
    } finally {
      await app.close();
    }
  });

  it("counts a forger behind the proxy as the address the proxy reports: another client is not limited", async () => {
    const app = await behindProxy({ rateLimit: { limit: 3, windowMs: 60_000 } });
    try {
      const forged = "{}";
      const headers = { "content-type": "application/json", "stripe-signature": signWebhook(forged, "whsec_guess") };
      for (let i = 0; i < 3; i++)
        expect((await post(app.url, "/webhooks/stripe", forged, { ...headers, ...via("203.0.113.1") })).status).toBe(
          400,
        );
      expect((await post(app.url, "/webhooks/stripe", forged, { ...headers, ...via("203.0.113.1") })).status).toBe(429);
      // The forger cannot get around it by writing its own X-Forwarded-For entries: the proxy's is the last.
      const spoofed = { ...headers, "x-forwarded-for": "198.51.100.77, 203.0.113.1" };
      expect((await post(app.url, "/webhooks/stripe", forged, spoofed)).status).toBe(429);
      expect((await post(app.url, "/webhooks/stripe", forged, { ...headers, ...via("203.0.113.2") })).status).toBe(400);
    } finally {
      await app.close();
    }
  });
});

describe("the console's sign-in", () => {
  it("locks out the client guessing tokens, never another client behind the same proxy", async () => {
    const app = await behindProxy();
    try {
      const signIn = (token: string, client: string) =>
        post(app.url, "/console/sign-in", new URLSearchParams({ token, next: "/console" }).toString(), {
          "content-type": "application/x-www-form-urlencoded",
          origin: app.url,
          ...via(client),
        });
      const guesses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => signIn(`wrong-token-${i}-0123456789abcdef`, "203.0.113.66")),
      );
      expect(guesses.map((g) => g.status).filter((s) => s === 401).length).toBeGreaterThanOrEqual(9);
      const locked = await signIn(stack.config.adminToken, "203.0.113.66");
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);

      const operator = await signIn(stack.config.adminToken, "198.51.100.23");
      expect(operator.status).toBe(303);
      expect(operator.headers.get("set-cookie")).toContain("postpay_console=");
    } finally {
      await app.close();
    }
  });
});

describe("bearer tokens", () => {
  it("guessing the admin token is answered 429 after at most 10 wrong ones, even for the right token then; the shop key shares the count", async () => {
    const app = await behindProxy();
    try {
      const admin = (token: string, client: string) =>
        app.call("GET", "/admin/incidents", undefined, { authorization: `Bearer ${token}`, ...via(client) });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++)
        statuses.push((await admin(`guess-${i}-0123456789abcdefghij`, "203.0.113.40")).status);
      expect(statuses.indexOf(429)).toBeGreaterThan(0);
      expect(statuses.indexOf(429)).toBeLessThanOrEqual(10);
      expect(statuses.slice(statuses.indexOf(429)).every((s) => s === 429)).toBe(true);
      const right = await admin(stack.config.adminToken, "203.0.113.40");
      expect(right.status).toBe(429);
      expect(Number(right.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(right.body.error.code).toBe("rate_limited");
      // Another client with the right token is not affected.
      expect((await admin(stack.config.adminToken, "198.51.100.40")).status).toBe(200);

      // Wrong shop keys count toward the same limit as wrong admin tokens.
      for (let i = 0; i < 5; i++)
        expect(
          (
            await app.call("GET", "/customers/cus_x/orders", undefined, {
              authorization: `Bearer shop-guess-${i}-0123456789abcdef`,
              ...via("203.0.113.41"),
            })
          ).status,
        ).toBe(401);
      const after: number[] = [];
      for (let i = 0; i < 6; i++) after.push((await admin(`guess-${i}-0123456789abcdefghij`, "203.0.113.41")).status);
      expect(after).toContain(429);
    } finally {
      await app.close();
    }
  });
});

describe("the public order page", () => {
  it("is limited per client behind the proxy: one client's flood leaves another's page up", async () => {
    const app = await behindProxy({ rateLimit: { limit: 3, windowMs: 60_000 } });
    try {
      const page = (client: string) => app.call("GET", "/orders/ps_unknown_flood", undefined, via(client));
      for (let i = 0; i < 3; i++) expect((await page("203.0.113.50")).status).toBe(404);
      expect((await page("203.0.113.50")).status).toBe(429);
      expect((await page("198.51.100.50")).status).toBe(404);
    } finally {
      await app.close();
    }
  });
});

describe("the console cookie", () => {
  const signIn = async (url: string, headers: Record<string, string>) =>
    post(url, "/console/sign-in", new URLSearchParams({ token: stack.config.adminToken }).toString(), {
      "content-type": "application/x-www-form-urlencoded",
      origin: url,
      ...headers,
    });

  it("is Secure when a trusted proxy says the browser used https, and never believes an untrusted peer saying so", async () => {
    const trusted = await behindProxy();
    const direct = await serveSecondApp(stack);
    try {
      const proxied = await signIn(trusted.url, { "x-forwarded-proto": "https", ...via("198.51.100.60") });
      expect(proxied.status).toBe(303);
      const cookie = proxied.headers.get("set-cookie")!;
      expect(cookie).toMatch(/;\s*Secure/i);
      expect(cookie).toMatch(/;\s*HttpOnly/i);
      expect(cookie).toMatch(/;\s*SameSite=Strict/i);

      // Plain http through the proxy: not Secure (the browser would not send it back otherwise).
      const plain = await signIn(trusted.url, { "x-forwarded-proto": "http", ...via("198.51.100.61") });
      expect(plain.headers.get("set-cookie")).not.toMatch(/;\s*Secure/i);
      // Without TRUSTED_PROXIES nobody's X-Forwarded-Proto is believed.
      const claimed = await signIn(direct.url, { "x-forwarded-proto": "https" });
      expect(claimed.headers.get("set-cookie")).not.toMatch(/;\s*Secure/i);
    } finally {
      await trusted.close();
      await direct.close();
    }
  });
});

describe("operators", () => {
  const alice = "op_alice-token-0123456789abcdefghijklmnop";
  const bob = "op_bob-token-0123456789abcdefghijklmnopqr";
  const operators = [
    { name: "alice", tokenSha256: tokenSha256(alice) },
    { name: "bob", tokenSha256: tokenSha256(bob) },
  ];

  async function session(url: string, token: string) {
    const res = await post(url, "/console/sign-in", new URLSearchParams({ token }).toString(), {
      "content-type": "application/x-www-form-urlencoded",
      origin: url,
    });
    expect(res.status).toBe(303);
    return res.headers.get("set-cookie")!.split(";")[0]!;
  }
  const queue = async (url: string, cookie: string) =>
    (await fetch(`${url}/console/inventory`, { headers: { cookie }, redirect: "manual" })).status;

  it("decide in the console under their own names, not 'admin'", async () => {
    const app = await serveSecondApp(stack, { operators });
    try {
      const id = await stack.orderStuckAtNorth("cus_operator_named");
      const cookie = await session(app.url, alice);
      const page = await fetch(`${app.url}/console/orders/${id}`, { headers: { cookie } });
      const html = await page.text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
      const incidentId = /name="incidentId" value="([^"]+)"/.exec(html)![1]!;
      const decided = await post(
        app.url,
        `/console/orders/${id}/decision`,
        new URLSearchParams({ action: "abandon", incidentId, confirmed: "yes", csrf }).toString(),
        { "content-type": "application/x-www-form-urlencoded", origin: app.url, cookie },
      );
      expect(decided.status).toBe(303);
      const order = await stack.waitForStatus(id, ["abandoned"]);
      expect(order.incidents[0]!.decision).toMatchObject({ action: "abandon", decidedBy: "alice", via: "console" });
    } finally {
      await app.close();
    }
  });

  it("removed from OPERATORS lose their sessions; the others, and ADMIN_TOKEN's, stay signed in", async () => {
    const before = await serveSecondApp(stack, { operators });
    const [aliceCookie, bobCookie, adminCookie] = [
      await session(before.url, alice),
      await session(before.url, bob),
      await session(before.url, stack.config.adminToken),
    ];
    await before.close();
    // Alice leaves: the app is started again without her line.
    const after = await serveSecondApp(stack, { operators: operators.filter((o) => o.name !== "alice") });
    try {
      expect(await queue(after.url, aliceCookie)).toBe(303); // to the sign-in page
      expect(await queue(after.url, bobCookie)).toBe(200);
      expect(await queue(after.url, adminCookie)).toBe(200);
      // Her token no longer signs in either.
      const res = await post(after.url, "/console/sign-in", new URLSearchParams({ token: alice }).toString(), {
        "content-type": "application/x-www-form-urlencoded",
        origin: after.url,
      });
      expect(res.status).toBe(401);
    } finally {
      await after.close();
    }
  });
});
