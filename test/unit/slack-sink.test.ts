// The Slack stand-in speaks Slack's formats: its signatures are Slack's (checked against Slack's
// documented example and Slack's own verifier), its clicks are block_actions payloads for a button
// in a post it received, and it records what arrives at each click's response_url.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { verifySlackRequest } from "@slack/bolt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slackSignature, startSlackSink, type SlackSink } from "../../dev/slack-sink.ts";
import { slackMessage } from "../../src/domain/alerts.ts";
import { buttonKey, buttonSigner } from "../../src/domain/decision-buttons.ts";
import { verifySlackSignature } from "../../src/adapters/slack-signature.ts";

describe("the Slack stand-in's signature", () => {
  it("is Slack's: v0= hex HMAC-SHA256 of v0:<timestamp>:<body> (the example in Slack's documentation)", () => {
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    expect(slackSignature("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body)).toBe(
      "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    );
  });
});

describe("the app's Slack verifier (node:crypto, Slack's documented algorithm)", () => {
  it("agrees with Slack's own verifySlackRequest (bolt, a development dependency only) on good, forged, altered and stale requests", () => {
    const secret = "8f742231b10e8888abcd99yyyzzz85a5";
    const now = Date.now();
    const ts = Math.floor(now / 1000);
    const body = "payload=%7B%22type%22%3A%22block_actions%22%7D";
    const cases = [
      { timestamp: ts, body, signature: slackSignature(secret, ts, body) },
      { timestamp: ts, body, signature: slackSignature("another secret", ts, body) },
      { timestamp: ts, body: `${body}x`, signature: slackSignature(secret, ts, body) },
      { timestamp: ts - 301, body, signature: slackSignature(secret, ts - 301, body) },
      { timestamp: ts + 200, body, signature: slackSignature(secret, ts + 200, body) },
      { timestamp: ts, body, signature: "" },
      { timestamp: ts, body, signature: `${slackSignature(secret, ts, body)}0` },
    ];
    const ours = cases.map(
      (c) =>
        verifySlackSignature({
          signingSecret: secret,
          body: c.body,
          timestamp: String(c.timestamp),
          signature: c.signature,
          nowMs: now,
        }).ok,
    );
    const slacks = cases.map((c) => {
      try {
        verifySlackRequest({
          signingSecret: secret,
          body: c.body,
          headers: { "x-slack-signature": c.signature, "x-slack-request-timestamp": c.timestamp },
        });
        return true;
      } catch {
        return false;
      }
    });
    expect(ours).toEqual(slacks);
    expect(ours).toEqual([true, false, false, false, true, false, false]);
  });
});

describe("the Slack stand-in", () => {
  let slack: SlackSink;
  let app: http.Server;
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    slack = await startSlackSink();
    app = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    slack.setInteractionsUrl(`http://127.0.0.1:${(app.address() as AddressInfo).port}/slack/interactions`);
  });
  afterAll(async () => {
    await slack?.close();
    await new Promise((resolve) => app?.close(resolve));
  });

  const alert = {
    incidentId: "ps_1#1",
    orderId: "ps_1",
    customerId: "cus_1",
    step: "send to fc-east",
    error: "422",
    orderUrl: "http://shop/orders/ps_1",
    journalCommand: "npx restate invocations describe inv_1",
  };
  const postAlert = async () => {
    const res = await fetch(slack.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(slackMessage([alert], undefined, buttonSigner(buttonKey("sink test secret")))),
    });
    expect(res.status).toBe(200);
    return slack.posts.at(-1)!;
  };

  it("gives every block of a webhook post a block_id, as Slack does", async () => {
    const post = await postAlert();
    expect(post.blocks!.length).toBeGreaterThan(0);
    for (const block of post.blocks!) expect(block.block_id).toMatch(/^\S+$/);
  });

  it("clicks a button as Slack delivers it: a form-encoded block_actions payload that Slack's own verifier accepts", async () => {
    const post = await postAlert();
    const before = received.length;
    const click = await slack.click(post, "skip", { userId: "U0ALICE", userName: "alice" });
    expect(click.status).toBe(200);
    const [request] = received.slice(before);
    expect(request!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const timestamp = Number(request!.headers["x-slack-request-timestamp"]);
    expect(() =>
      verifySlackRequest({
        signingSecret: slack.signingSecret,
        body: request!.body,
        headers: {
          "x-slack-signature": String(request!.headers["x-slack-signature"]),
          "x-slack-request-timestamp": timestamp,
        },
      }),
    ).not.toThrow();
    const payload = JSON.parse(new URLSearchParams(request!.body).get("payload")!);
    const actions = post.blocks!.find((b) => b.type === "actions")!;
    expect(payload).toMatchObject({
      type: "block_actions",
      user: { id: "U0ALICE", username: "alice" },
      message: { ts: post.ts, text: post.text, blocks: post.blocks },
      actions: [
        {
          type: "button",
          action_id: "skip",
          block_id: actions.block_id,
          // The button's own value, with our MAC, unchanged.
          value: expect.stringContaining(JSON.stringify({ orderId: "ps_1", incidentId: "ps_1#1" }).slice(0, -1)),
        },
      ],
    });
    expect(payload.response_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/actions\//);
    expect(payload.response_url.startsWith(slack.responseUrlPrefix)).toBe(true);

    // A forger's signature is not Slack's.
    const forged = slack.clickDelivery(
      post,
      "skip",
      { userId: "U0ALICE", userName: "alice" },
      { signingSecret: "guess" },
    );
    expect(() =>
      verifySlackRequest({
        signingSecret: slack.signingSecret,
        body: forged.body,
        headers: {
          "x-slack-signature": forged.headers["x-slack-signature"]!,
          "x-slack-request-timestamp": Number(forged.headers["x-slack-request-timestamp"]),
        },
      }),
    ).toThrow(/signature mismatch/);
  });

  it("records what the app posts to a click's response_url, and refuses unknown ones", async () => {
    const post = await postAlert();
    const { delivery } = await slack.click(post, "retry", { userId: "U0BOB", userName: "bob" });
    const reply = { replace_original: true, text: post.text, blocks: [] };
    expect((await fetch(delivery.payload.response_url, { method: "POST", body: JSON.stringify(reply) })).status).toBe(
      200,
    );
    expect(slack.replies.at(-1)).toMatchObject({ post, responseUrl: delivery.payload.response_url, body: reply });
    expect((await fetch(`${delivery.payload.response_url}x`, { method: "POST", body: "{}" })).status).toBe(404);
  });
});
