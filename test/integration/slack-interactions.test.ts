// Operators decide with one click in Slack: the alert's buttons reach POST /slack/interactions as
// Slack delivers them (signed block_actions payloads), take the same decision path as the admin
// API, attributed to the Slack user, and the alert then says what became of it, in place of its
// buttons. Slack here is the stand-in (dev/slack-sink.ts), speaking Slack's formats.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { AnyBlock } from "@slack/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SlackDelivery, SlackPost, SlackReplyReceived } from "../../dev/slack-sink.ts";
import { incidentsFor } from "../../db/incidents.ts";
import { buttonKey, buttonSigner } from "../../src/domain/decision-buttons.ts";
import { createLogger } from "../../src/log.ts";
import { serveHttpApp } from "../../src/runtime/http-system.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { quietFor } from "../support/wait.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const alice = { userId: "U0ALICE", userName: "alice" };
const bob = { userId: "U0BOB", userName: "bob" };

const orderStuckAtNorth = (customerId: string) => stack.orderStuckAtNorth(customerId);
/** The order's first incident's id: `<order>#1.<12 hex>`, unique across runs of the order. */
const firstIncident = async (id: string): Promise<string> =>
  (await stack.admin("GET", `/admin/orders/${id}`)).body.incidents[0].id;

const hasButtonsFor = (post: SlackPost, incidentId: string) =>
  (post.blocks ?? []).some((b) => b.type === "actions" && JSON.stringify(b).includes(incidentId));

/** The Slack post (a single alert or a digest) that carries the decision buttons for an incident. */
async function alertWithButtons(incidentId: string): Promise<SlackPost> {
  await expect.poll(() => stack.slack.posts.some((p) => hasButtonsFor(p, incidentId)), { timeout: 15_000 }).toBe(true);
  return stack.slack.posts.find((p) => hasButtonsFor(p, incidentId))!;
}

/** The replies the app posted to a click's response_url, once there are `count` of them. */
async function repliesTo(delivery: SlackDelivery, count = 1): Promise<SlackReplyReceived["body"][]> {
  const of = () =>
    stack.slack.replies.filter((r) => r.responseUrl === delivery.payload.response_url).map((r) => r.body);
  await expect.poll(() => of().length, { timeout: 15_000 }).toBeGreaterThanOrEqual(count);
  return of();
}

const blockText = (blocks: AnyBlock[] | undefined) => JSON.stringify(blocks ?? []);
const decisionOf = async (id: string) =>
  (await stack.admin("GET", `/admin/orders/${id}`)).body.incidents.map((i: { decision: unknown }) => i.decision);
const settle = () => quietFor(500); // time for a decision that must not happen

/** A second HTTP app on the same Restate and database, configured otherwise. */
async function anotherApp(overrides: Partial<Stack["config"]>) {
  return serveHttpApp({ ...stack.config, ...overrides }, stack.db, createLogger({ level: "error" }), { port: 0 });
}

describe("a click on an alert's button", () => {
  it("Retry, with a valid signature, decides that incident as the Slack user, and the order completes", async () => {
    const id = await orderStuckAtNorth("cus_slack_retry");
    const inc = await firstIncident(id);
    const post = await alertWithButtons(inc);
    expect(post.text).toContain(id);
    // The alert says how long the order has waited, and links its console page and its journal.
    expect(post.text).toMatch(/waiting (less than a minute|\d+ min)/);
    expect(blockText(post.blocks)).toContain(`/console/orders/${id}|Open in the console>`);
    expect(blockText(post.blocks)).toMatch(/\/ui\/invocations\/inv_\w+\|Journal in the Restate UI>/);

    const click = await stack.slack.click(post, "retry", alice, { incidentId: inc });
    expect(click.status).toBe(200);

    const order = await stack.waitForStatus(id, ["completed"]);
    expect(order.incidents).toHaveLength(1);
    expect(order.incidents[0]!.decision).toMatchObject({ action: "retry", decidedBy: "alice (U0ALICE)", via: "slack" });
    expect((await incidentsFor(stack.db, id))[0]).toMatchObject({
      resolution: "retry",
      decidedBy: "alice (U0ALICE)",
      decidedVia: "slack",
    });
  });

  it("replaces the alert's buttons with who decided what, and when: 'Retried by alice (U0ALICE) at <time>'", async () => {
    const id = await orderStuckAtNorth("cus_slack_message");
    const inc = await firstIncident(id);
    const post = await alertWithButtons(inc);
    const { delivery } = await stack.slack.click(post, "retry", alice, { incidentId: inc });

    const [reply] = await repliesTo(delivery);
    expect(reply!.replace_original).toBe(true);
    expect(hasButtonsFor({ ...post, blocks: reply!.blocks }, inc)).toBe(false);
    expect(blockText(reply!.blocks)).toMatch(
      /Retried by alice \(U0ALICE\) at <!date\^\d+\^[^|]*\|\d{4}-\d{2}-\d{2}T[^>]+>/,
    );
    // The rest of the alert stays as it was: the order, the error, the links.
    expect(reply!.blocks).toHaveLength(post.blocks!.length);
    expect(blockText(reply!.blocks)).toContain(id);
    expect(blockText(reply!.blocks)).toContain("address not serviceable");
    expect(reply!.text).toBe(post.text);
    await stack.waitForStatus(id, ["completed"]);
  });

  it("Mark done by hand skips the step; the message says 'Marked done by hand by bob (U0BOB)'", async () => {
    const id = await orderStuckAtNorth("cus_slack_skip");
    const inc = await firstIncident(id);
    const post = await alertWithButtons(inc);
    const { delivery } = await stack.slack.click(post, "skip", bob, { incidentId: inc });
    const order = await stack.waitForStatus(id, ["completed"]);
    expect(order.steps).toContainEqual(expect.objectContaining({ name: "send to fc-north", status: "skipped" }));
    expect(order.incidents[0]!.decision).toMatchObject({ action: "skip", decidedBy: "bob (U0BOB)", via: "slack" });
    expect(blockText((await repliesTo(delivery))[0]!.blocks)).toContain("Marked done by hand by bob (U0BOB) at");
  });

  it("Abandon, confirmed in Slack's dialog, ends the order as abandoned", async () => {
    const id = await orderStuckAtNorth("cus_slack_abandon");
    const inc = await firstIncident(id);
    const post = await alertWithButtons(inc);
    // Slack asks "Abandon this order?" before it sends this click.
    const abandon = (post.blocks ?? []).flatMap((b) =>
      b.type === "actions" ? (b as { elements: { action_id: string; confirm?: unknown }[] }).elements : [],
    );
    expect(abandon.find((e) => e.action_id === "abandon")?.confirm).toBeDefined();

    const { delivery } = await stack.slack.click(post, "abandon", alice, { incidentId: inc });
    const order = await stack.waitForStatus(id, ["abandoned"]);
    expect(order.incidents[0]!.decision).toMatchObject({
      action: "abandon",
      decidedBy: "alice (U0ALICE)",
      via: "slack",
    });
    expect(blockText((await repliesTo(delivery))[0]!.blocks)).toContain("Abandoned by alice (U0ALICE) at");
  });

  it("in a digest of several alerts decides exactly its own incident; the other alerts keep their buttons", async () => {
    // Orders failing together: the first alert goes out at once, those right behind it are
    // coalesced into the next message (one per second).
    const sessions = [];
    for (const customer of ["cus_digest_a", "cus_digest_b", "cus_digest_c"]) {
      sessions.push(await stack.checkout([{ productId: "sku-cap", quantity: 1 }], customer));
    }
    stack.centers.script(
      "fc-north",
      sessions.map(() => ({ status: 422, body: { error: "no" } })),
    );
    await Promise.all(sessions.map((s) => stack.pay(s.stripeCheckoutSessionId)));
    const ids = sessions.map((s) => s.paymentSessionId);
    for (const id of ids) await stack.waitForStatus(id, ["needs_attention"]);
    const incs = new Map<string, string>();
    for (const id of ids) incs.set(id, await firstIncident(id));
    const inDigest = (p: SlackPost) => ids.filter((id) => hasButtonsFor(p, incs.get(id)!));
    await expect.poll(() => stack.slack.posts.some((p) => inDigest(p).length >= 2), { timeout: 15_000 }).toBe(true);
    const digest = stack.slack.posts.find((p) => inDigest(p).length >= 2)!;
    const [a, b] = inDigest(digest) as [string, string];
    expect(digest.text).toMatch(/\d orders need attention/);

    const { delivery } = await stack.slack.click(digest, "retry", alice, { incidentId: incs.get(b)! });
    await stack.waitForStatus(b, ["completed"]);
    const [reply] = await repliesTo(delivery);
    expect(hasButtonsFor({ ...digest, blocks: reply!.blocks }, incs.get(b)!)).toBe(false);
    expect(hasButtonsFor({ ...digest, blocks: reply!.blocks }, incs.get(a)!)).toBe(true);
    expect((await stack.waitForStatus(a, ["needs_attention"])).incidents[0]!.decision).toBeNull();

    for (const id of ids.filter((id) => id !== b)) {
      expect(
        (await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "abandon", note: "test done" })).status,
      ).toBe(200);
    }
  });
});

describe("a click that must decide nothing", () => {
  it("with a bad signature is refused with 401: a forged secret, or a body changed after signing", async () => {
    const id = await orderStuckAtNorth("cus_slack_forged");
    const inc = await firstIncident(id);
    const post = await alertWithButtons(inc);

    const forged = await stack.slack.click(post, "abandon", alice, {
      incidentId: inc,
      signingSecret: "not-the-signing-secret",
    });
    expect(forged.status).toBe(401);
    const signed = stack.slack.clickDelivery(post, "retry", alice, { incidentId: inc });
    const tampered = await stack.slack.redeliver({
      ...signed,
      body: signed.body.replace("%22retry%22", "%22abandon%22"),
    });
    expect(signed.body).toContain("%22retry%22");
    expect(tampered.status).toBe(401);
    const unsigned = await stack.slack.redeliver({
      ...signed,
      headers: { ...signed.headers, "x-slack-signature": "" },
    });
    expect(unsigned.status).toBe(401);

    await settle();
    expect(await decisionOf(id)).toEqual([null]);
    expect((await stack.waitForStatus(id, ["needs_attention"])).status).toBe("needs_attention");
    expect(stack.slack.replies.filter((r) => r.post === post)).toHaveLength(0);
  });

  it("with a timestamp more than 5 minutes away (a replay), or none, is refused with 400, though correctly signed", async () => {
    const id = await orderStuckAtNorth("cus_slack_stale");
    const inc = await firstIncident(id);
    const post = await alertWithButtons(inc);
    const stale = await stack.slack.click(post, "abandon", alice, {
      incidentId: inc,
      at: Date.now() - 6 * 60_000,
    });
    expect(stale.status).toBe(400);
    const future = await stack.slack.click(post, "abandon", alice, {
      incidentId: inc,
      at: Date.now() + 6 * 60_000,
    });
    expect(future.status).toBe(400);
    const signed = stack.slack.clickDelivery(post, "abandon", alice, { incidentId: inc });
    const { "x-slack-request-timestamp": _, ...withoutTimestamp } = signed.headers;
    expect((await stack.slack.redeliver({ ...signed, headers: withoutTimestamp })).status).toBe(400);

    await settle();
    expect(await decisionOf(id)).toEqual([null]);
  });

  it("with a signed body that is not a block_actions payload is refused with 400", async () => {
    expect((await stack.slack.sendSigned("not json at all")).status).toBe(400);
    expect((await stack.slack.sendSigned({ type: "block_actions", actions: [] })).status).toBe(400);
    const res = await stack.slack.sendSigned({
      type: "block_actions",
      user: { id: "U0ALICE", username: "alice" },
      response_url: "http://127.0.0.1:9/nowhere",
      actions: [{ action_id: "retry", block_id: "b", value: "the whole shop" }],
    });
    // A button value postpay did not sign: acknowledged (Slack shows no error), and it decides nothing.
    expect(res.status).toBe(200);
  });

  it("sent again (Slack retrying a delivery) decides nothing twice; the message then says it was already decided", async () => {
    const id = await orderStuckAtNorth("cus_slack_replay");
    const inc = await firstIncident(id);
    const post = await alertWithButtons(inc);
    const { delivery } = await stack.slack.click(post, "retry", alice, { incidentId: inc });
    await stack.waitForStatus(id, ["completed"]);
    expect(blockText((await repliesTo(delivery, 1))[0]!.blocks)).toContain("Retried by alice (U0ALICE)");

    expect((await stack.slack.redeliver(delivery)).status).toBe(200);
    const replies = await repliesTo(delivery, 2);
    expect(blockText(replies[1]!.blocks)).toMatch(/Already decided by alice \(U0ALICE\) \(retry\) at <!date/);
    expect(hasButtonsFor({ ...post, blocks: replies[1]!.blocks }, inc)).toBe(false);

    await settle();
    expect(await incidentsFor(stack.db, id)).toHaveLength(1);
    expect(await decisionOf(id)).toEqual([
      expect.objectContaining({ action: "retry", decidedBy: "alice (U0ALICE)", via: "slack" }),
    ]);
    expect(stack.acceptedFor(id).filter((a) => a.centerId === "fc-north")).toHaveLength(1);
    expect(stack.mailsToCustomer(id)).toHaveLength(1);
  });

  it("on an incident decided before through the admin API says 'already decided by admin (retry)', and the order is not decided twice", async () => {
    const id = await orderStuckAtNorth("cus_slack_after_admin");
    const inc = await firstIncident(id);
    const post = await alertWithButtons(inc);
    expect(
      (await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "retry", incidentId: inc })).status,
    ).toBe(200);
    await stack.waitForStatus(id, ["completed"]);

    const { delivery } = await stack.slack.click(post, "abandon", bob, { incidentId: inc });
    const [reply] = await repliesTo(delivery);
    expect(reply!.replace_original).toBe(true);
    expect(blockText(reply!.blocks)).toMatch(/Already decided by admin \(retry\) at .*this abandon changed nothing/);
    expect(hasButtonsFor({ ...post, blocks: reply!.blocks }, inc)).toBe(false);

    await settle();
    expect((await stack.waitForStatus(id, ["completed"])).incidents.map((i) => i.decision)).toEqual([
      expect.objectContaining({ action: "retry", decidedBy: "admin", via: "admin-api" }),
    ]);
  });

  it("from a Slack user not in SLACK_OPERATOR_IDS gets an ephemeral 'not allowed' reply; a listed operator's click decides", async () => {
    const app = await anotherApp({ slackOperatorIds: ["U0ALICE"] });
    try {
      const to = `${app.url}/slack/interactions`;
      const id = await orderStuckAtNorth("cus_slack_not_allowed");
      const inc = await firstIncident(id);
      const post = await alertWithButtons(inc);

      const refused = await stack.slack.click(post, "abandon", bob, { incidentId: inc, to });
      expect(refused.status).toBe(200);
      const [reply] = await repliesTo(refused.delivery);
      expect(reply).toMatchObject({
        response_type: "ephemeral",
        replace_original: false,
        text: expect.stringMatching(/not one of the operators allowed/),
      });
      await settle();
      expect(await decisionOf(id)).toEqual([null]);
      expect((await stack.waitForStatus(id, ["needs_attention"])).status).toBe("needs_attention");

      await stack.slack.click(post, "retry", alice, { incidentId: inc, to });
      const order = await stack.waitForStatus(id, ["completed"]);
      expect(order.incidents[0]!.decision).toMatchObject({
        action: "retry",
        decidedBy: "alice (U0ALICE)",
        via: "slack",
      });
    } finally {
      await app.close();
    }
  });
});

describe("a click that names what Slack never would", () => {
  it("with a response_url outside SLACK_RESPONSE_URL_PREFIX (a local canary): the canary hears nothing, allowed or refused", async () => {
    const heard: string[] = [];
    const canary = http.createServer((req, res) => {
      heard.push(`${req.method} ${req.url}`);
      res.writeHead(302, { location: `${stack.restate.adminUrl}/deployments` }).end();
    });
    await new Promise<void>((resolve) => canary.listen(0, "127.0.0.1", resolve));
    const canaryUrl = `http://127.0.0.1:${(canary.address() as AddressInfo).port}/actions/x`;
    const app = await anotherApp({ slackOperatorIds: ["U0ALICE"] });
    try {
      const to = `${app.url}/slack/interactions`;
      const id = await orderStuckAtNorth("cus_slack_canary");
      const inc = await firstIncident(id);
      const post = await alertWithButtons(inc);
      for (const [user, action] of [
        [bob, "abandon"],
        [alice, "retry"],
      ] as const) {
        const { payload } = stack.slack.clickDelivery(post, action, user, { incidentId: inc });
        const res = await stack.slack.sendSigned({ ...payload, response_url: canaryUrl }, { to });
        expect(res.status).toBe(200);
      }
      // Alice's click still decides (Slack's signature, our button MAC, the allow list); only the reply is withheld.
      await stack.waitForStatus(id, ["completed"]);
      await settle();
      expect(heard).toEqual([]);
    } finally {
      await app.close();
      await new Promise((resolve) => canary.close(resolve));
    }
  });

  it("with a button value postpay did not sign for that button (unsigned, another key's, another action's) decides nothing", async () => {
    const id = await orderStuckAtNorth("cus_slack_unsigned");
    const inc = await firstIncident(id);
    const post = await alertWithButtons(inc);
    const { payload } = stack.slack.clickDelivery(post, "retry", alice, { incidentId: inc });
    const button = payload.actions[0]!;
    const signed = JSON.parse(button.value!) as { orderId: string; incidentId: string; mac: string };
    const foreign = buttonSigner(buttonKey("someone else's signing secret"))({ orderId: id, incidentId: inc }, "skip");
    const values = [
      JSON.stringify({ orderId: id, incidentId: inc }), // unsigned, as every button was before
      JSON.stringify({ ...signed, mac: foreign }), // signed with another key
      button.value!, // retry's own value, sent as a click on "skip" (treat as done)
    ];
    for (const value of values) {
      const res = await stack.slack.sendSigned({
        ...payload,
        actions: [{ ...button, action_id: "skip", value }],
      });
      expect(res.status).toBe(200);
    }
    await settle();
    expect(await decisionOf(id)).toEqual([null]);
    const replies = stack.slack.replies.filter((r) => r.responseUrl === payload.response_url).map((r) => r.body.text);
    expect(replies).toHaveLength(3);
    for (const text of replies) expect(text).toMatch(/not made by postpay for this decision/);
    await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "abandon", note: "test done" });
  });
});

describe("without SLACK_SIGNING_SECRET", () => {
  it("POST /slack/interactions does not exist (404), and a click decides nothing", async () => {
    const app = await anotherApp({ slackSigningSecret: undefined });
    try {
      const id = await orderStuckAtNorth("cus_slack_unconfigured");
      const inc = await firstIncident(id);
      const post = await alertWithButtons(inc);
      const res = await stack.slack.click(post, "retry", alice, {
        incidentId: inc,
        to: `${app.url}/slack/interactions`,
      });
      expect(res.status).toBe(404);
      await settle();
      expect(await decisionOf(id)).toEqual([null]);
      await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "abandon", note: "test done" });
    } finally {
      await app.close();
    }
  });
});
