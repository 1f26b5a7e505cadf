// Stands in for Slack, in Slack's own formats:
// - an incoming webhook: records each JSON post (giving each block a block_id where it has none,
//   as Slack does), and can be told to fail;
// - an operator clicking a button in a received post: a signed `block_actions` interaction,
//   form-encoded `payload=…` with X-Slack-Signature / X-Slack-Request-Timestamp computed as Slack
//   does (v0=HMAC-SHA256 of "v0:<ts>:<body>" with the signing secret, hex), POSTed to the app;
// - the click's response_url: records what the app answers there (message updates, ephemeral replies).
import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { BlockAction, ButtonAction } from "@slack/bolt";
import type { ActionsBlock, AnyBlock, Button } from "@slack/types";

export type SlackPost = {
  text: string;
  blocks?: AnyBlock[];
  receivedAt: number /** Slack's message id. */;
  ts: string;
};

/** What the app posted to a click's response_url. */
export type SlackReplyReceived = {
  /** The post whose button was clicked. */
  post: SlackPost;
  /** The click's response_url (`delivery.payload.response_url`). */
  responseUrl: string;
  body: { text?: string; blocks?: AnyBlock[]; replace_original?: boolean; response_type?: string };
  receivedAt: number;
};

export type SlackUser = { userId: string; userName: string };

/** An interaction as sent to the app: enough to send it again unchanged (Slack's retries). */
export type SlackDelivery = { body: string; headers: Record<string, string>; payload: BlockAction<ButtonAction> };

export type ClickOptions = {
  /** Which alert's button, in a digest (default: the first with that button). */
  incidentId?: string;
  /** When Slack sends it (default now): an old one is a replay. */
  at?: number;
  /** Sign with another secret (a forger's). */
  signingSecret?: string;
  /** Send to another app than the one set with setInteractionsUrl. */
  to?: string;
};

const WEBHOOK_PATH = "/services/T000/B000/XXXX";

/** Slack's request signature: "v0=" + hex HMAC-SHA256 of "v0:<timestamp>:<raw body>". */
export function slackSignature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

export async function startSlackSink() {
  const signingSecret = randomBytes(16).toString("hex"); // Slack's are 32 hex characters too
  const posts: SlackPost[] = [];
  const replies: SlackReplyReceived[] = [];
  const responseUrls = new Map<string, SlackPost>(); // path → the post clicked
  const failures: number[] = []; // statuses to answer webhook posts with, one per request, before succeeding
  let attempts = 0;
  let interactionsUrl: string | undefined;
  let messages = 0;

  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const answer = (status: number, text: string) =>
        res.writeHead(status, { "content-type": "text/plain" }).end(text);
      if (req.method !== "POST") return answer(405, "method_not_allowed");
      const clicked = responseUrls.get(req.url ?? "");
      if (clicked) {
        replies.push({
          post: clicked,
          responseUrl: `${base}${req.url}`,
          body: JSON.parse(body) as SlackReplyReceived["body"],
          receivedAt: Date.now(),
        });
        return answer(200, "ok");
      }
      if (req.url !== WEBHOOK_PATH) return answer(404, "no_service");
      attempts++;
      const failWith = failures.shift();
      if (failWith) return answer(failWith, "service_unavailable");
      const message = JSON.parse(body) as { text: string; blocks?: AnyBlock[] };
      posts.push({
        ...message,
        ...(message.blocks && {
          blocks: message.blocks.map((b) => ({ ...b, block_id: b.block_id ?? randomBytes(3).toString("base64url") })),
        }),
        receivedAt: Date.now(),
        ts: `${Math.floor(Date.now() / 1000)}.${String(++messages).padStart(6, "0")}`,
      });
      answer(200, "ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** Sends an interaction to the app, as Slack does. */
  async function deliver(delivery: SlackDelivery, to = interactionsUrl) {
    if (!to) throw new Error("the Slack stand-in does not know the app's interactions URL (setInteractionsUrl)");
    const res = await fetch(to, { method: "POST", headers: delivery.headers, body: delivery.body });
    return { status: res.status, text: await res.text() };
  }

  /** Signs a payload the way Slack does, at `at` (ms). */
  function signed(payload: unknown, options: Pick<ClickOptions, "at" | "signingSecret"> = {}) {
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const timestamp = Math.floor((options.at ?? Date.now()) / 1000);
    return {
      body,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": slackSignature(options.signingSecret ?? signingSecret, timestamp, body),
      },
    };
  }

  return {
    url: `${base}${WEBHOOK_PATH}`,
    /** The Slack app's signing secret: give it to postpay as SLACK_SIGNING_SECRET. */
    signingSecret,
    /** Where this stand-in's response_urls live: give it to postpay as SLACK_RESPONSE_URL_PREFIX. */
    responseUrlPrefix: `${base}/actions/`,
    posts,
    /** Everything the app posted to response_urls, oldest first. */
    replies,
    attempts: () => attempts,
    failNext: (...statuses: number[]) => failures.push(...statuses),
    /** Where the Slack app's "Interactivity Request URL" points. */
    setInteractionsUrl: (url: string) => {
      interactionsUrl = url;
    },

    clickDelivery,

    /** An operator clicks `action`'s button in `post`: Slack delivers the signed interaction to the app. */
    async click(post: SlackPost, action: string, user: SlackUser, options: ClickOptions = {}) {
      const delivery = clickDelivery(post, action, user, options);
      return { ...(await deliver(delivery, options.to)), delivery };
    },

    /** Sends an interaction again, byte for byte (as Slack retries a delivery). */
    redeliver: (delivery: SlackDelivery, to?: string) => deliver(delivery, to),

    /** Signs and sends any body, as Slack would (for payloads no button makes). */
    sendSigned: (payload: unknown, options: Pick<ClickOptions, "at" | "signingSecret" | "to"> = {}) => {
      const { body, headers } = signed(payload, options);
      return deliver({ body, headers, payload: payload as BlockAction<ButtonAction> }, options.to);
    },

    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  /** The block_actions payload of a click on `action`'s button in `post`, signed like Slack signs it. */
  function clickDelivery(post: SlackPost, action: string, user: SlackUser, options: ClickOptions = {}): SlackDelivery {
    const found = findButton(post, action, options.incidentId);
    if (!found)
      throw new Error(
        `no ${action} button${options.incidentId ? ` for ${options.incidentId}` : ""} in the post "${post.text.slice(0, 80)}"`,
      );
    const responsePath = `/actions/T000/${responseUrls.size + 1}/${randomBytes(12).toString("hex")}`;
    responseUrls.set(responsePath, post);
    const at = options.at ?? Date.now();
    const payload: BlockAction<ButtonAction> = {
      type: "block_actions",
      user: { id: user.userId, username: user.userName, name: user.userName, team_id: "T000" },
      api_app_id: "A000",
      token: "verification-token-unused",
      container: { type: "message", message_ts: post.ts, channel_id: "C000", is_ephemeral: false },
      trigger_id: `${Math.floor(at / 1000)}.${randomBytes(4).toString("hex")}`,
      team: { id: "T000", domain: "postpay-dev" },
      channel: { id: "C000", name: "orders" },
      message: { type: "message", ts: post.ts, text: post.text, blocks: post.blocks, bot_id: "B000" },
      response_url: `${base}${responsePath}`,
      actions: [
        {
          type: "button",
          action_id: found.button.action_id!,
          block_id: found.block.block_id!,
          text: found.button.text,
          ...(found.button.value !== undefined && { value: found.button.value }),
          action_ts: (at / 1000).toFixed(6),
        },
      ],
    };
    return { ...signed(payload, options), payload };
  }
}
export type SlackSink = Awaited<ReturnType<typeof startSlackSink>>;

function findButton(
  post: SlackPost,
  action: string,
  incidentId?: string,
): { block: ActionsBlock; button: Button } | undefined {
  for (const block of post.blocks ?? []) {
    if (block.type !== "actions") continue;
    for (const element of (block as ActionsBlock).elements) {
      if (element.type !== "button" || element.action_id !== action) continue;
      if (incidentId && !element.value?.includes(JSON.stringify(incidentId))) continue;
      return { block: block as ActionsBlock, button: element };
    }
  }
  return undefined;
}
