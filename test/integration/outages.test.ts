// Outside systems misbehaving: Slack bursts and outages never touch an order, and a downstream
// that hangs is cut off by a timeout and retried, then escalated.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incidentsFor } from "../../db/incidents.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { letTimePass } from "../support/wait.ts";

const TIMEOUT_MS = 400;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    httpTimeoutMs: TIMEOUT_MS,
    steps: { maxAttempts: 3, initialRetryMs: 50, maxRetryMs: 100 },
  });
});
afterAll(async () => {
  await stack?.close();
});

async function failingOrders(n: number, customer: string) {
  const sessions = [];
  for (let i = 0; i < n; i++)
    sessions.push(await stack.checkout([{ productId: "sku-cap", quantity: 1 }], `${customer}_${i}`));
  stack.centers.script(
    "fc-north",
    Array.from({ length: n }, () => ({ status: 422, body: { error: "rejected" } })),
  );
  await Promise.all(sessions.map((s) => stack.pay(s.stripeCheckoutSessionId)));
  return sessions.map((s) => s.paymentSessionId);
}

describe("Slack alerts", () => {
  it("go out at most once per second; alerts in between are coalesced and every order is named", async () => {
    const before = stack.slack.posts.length;
    const [first] = await failingOrders(1, "cus_first");
    await expect
      .poll(() => stack.slack.posts.slice(before).some((p) => p.text.includes(first!)), { timeout: 10_000 })
      .toBe(true);

    // A burst right after a post: it must wait for the rate window, then go out together.
    const burst = await failingOrders(5, "cus_burst");
    await expect
      .poll(() => burst.every((id) => stack.slack.posts.slice(before).some((p) => p.text.includes(id))), {
        timeout: 15_000,
      })
      .toBe(true);

    const posts = stack.slack.posts.slice(before);
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(posts.length).toBeLessThan(1 + burst.length);
    for (let i = 1; i < posts.length; i++) {
      expect(posts[i]!.receivedAt - posts[i - 1]!.receivedAt).toBeGreaterThanOrEqual(950);
    }
    expect(posts.slice(1).some((p) => /\d+ orders need attention/.test(p.text))).toBe(true);
  });

  it("being down neither blocks nor fails an order; incidents stay recorded and the alert arrives once Slack is back", async () => {
    await letTimePass(1100); // the previous test's rate window (1 post/s) must pass
    const before = stack.slack.posts.length;
    const attemptsBefore = stack.slack.attempts();
    stack.slack.failNext(503, 503, 503, 503, 503);
    const [id] = await failingOrders(1, "cus_slack_down");
    const order = await stack.waitForStatus(id!, ["needs_attention"]);
    expect(order.incident!.step).toBe("send to fc-north");
    expect(await incidentsFor(stack.db, id!)).toHaveLength(1);

    await expect
      .poll(() => stack.slack.posts.slice(before).some((p) => p.text.includes(id!)), { timeout: 30_000, interval: 200 })
      .toBe(true);
    expect(stack.slack.attempts() - attemptsBefore).toBeGreaterThanOrEqual(6); // five 503s, then the post
  });

  it("that rejects a post (4xx) does not hold back later alerts", async () => {
    await letTimePass(1100); // the previous test's rate window (1 post/s) must pass
    const before = stack.slack.posts.length;
    stack.slack.failNext(400);
    const [rejected] = await failingOrders(1, "cus_slack_rejects");
    await stack.waitForStatus(rejected!, ["needs_attention"]);
    await letTimePass(1500); // the rejected post, then the rate window
    const [later] = await failingOrders(1, "cus_after_reject");
    await expect
      .poll(() => stack.slack.posts.slice(before).some((p) => p.text.includes(later!)), { timeout: 10_000 })
      .toBe(true);
    expect(stack.slack.posts.slice(before).some((p) => p.text.includes(rejected!))).toBe(false);
    expect(await incidentsFor(stack.db, rejected!)).toHaveLength(1);
  });
});

describe("a fulfillment center that hangs", () => {
  it(`is cut off after ${TIMEOUT_MS} ms and retried, and the order completes`, async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout([
      { productId: "sku-tee", quantity: 1 },
    ]);
    stack.centers.script("fc-west", [{ status: 500, delayMs: 3_000 }]);
    const deliveries = stack.centers.deliveries();
    await stack.pay(stripeCheckoutSessionId);
    await stack.waitForStatus(id, ["completed"]);
    expect(stack.centers.deliveries() - deliveries).toBe(2);
  });

  it("that never answers escalates after the bounded retries, naming the timeout", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout([
      { productId: "sku-tee", quantity: 1 },
    ]);
    stack.centers.script(
      "fc-west",
      Array.from({ length: 3 }, () => ({ status: 500, delayMs: 3_000 })),
    );
    await stack.pay(stripeCheckoutSessionId);
    const order = await stack.waitForStatus(id, ["needs_attention"]);
    expect(order.incident).toMatchObject({
      step: "send to fc-west",
      error: expect.stringContaining(`no answer within ${TIMEOUT_MS} ms`),
    });
  });
});
