// Slack incoming webhook, through @slack/webhook. Rate limiting and coalescing live in the
// SlackAlerts service; this only posts one message and says whether a retry can help. And the
// replies to operators' button clicks, posted to the response_url each click comes with.
import type { AnyBlock } from "@slack/types";
import { IncomingWebhook } from "@slack/webhook";
import { upstreamError } from "./http-status.ts";
import type { SlackMessage } from "../domain/alerts.ts";
import type { Logger } from "../log.ts";

export type SlackPoster = { post(message: SlackMessage): Promise<"posted" | "logged"> };

export function createSlackPoster({
  url,
  timeoutMs,
  log,
}: {
  url?: string;
  timeoutMs: number;
  log: Logger;
}): SlackPoster {
  if (!url) {
    return {
      async post(message) {
        log.warn({ text: message.text }, "alert (SLACK_WEBHOOK_URL not set)");
        return "logged";
      },
    };
  }
  const webhook = new IncomingWebhook(url, { timeout: timeoutMs });
  return {
    async post(message) {
      try {
        await webhook.send({ text: message.text, blocks: message.blocks as never });
        return "posted";
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        // 400/403/404 mean a bad payload or a revoked webhook: retrying the same post cannot help.
        throw upstreamError(status, `Slack ${status ?? "unreachable"}: ${(err as Error).message}`);
      }
    },
  };
}

/** A reply to a Slack interaction, posted to its `response_url`. */
export type SlackReply = {
  text: string;
  blocks?: AnyBlock[];
  /** true: the message the button sat in becomes this one; false: a new message. */
  replace_original: boolean;
  /** "ephemeral": only the user who clicked sees it. */
  response_type?: "ephemeral" | "in_channel";
};

/** Posts a reply to an interaction's response_url; true when Slack took it. Never throws. */
export type SlackResponder = (responseUrl: string, reply: SlackReply) => Promise<boolean>;

/**
 * Only URLs starting with `allowedPrefix` (SLACK_RESPONSE_URL_PREFIX, Slack's own host by default)
 * are ever called, and a redirect is refused, not followed: a payload naming another URL cannot
 * make this app, which sits next to Restate's admin API, POST anywhere else.
 */
export function createSlackResponder({
  timeoutMs,
  log,
  allowedPrefix,
}: {
  timeoutMs: number;
  log: Logger;
  allowedPrefix: string;
}): SlackResponder {
  return async (responseUrl, reply) => {
    // Both as written and as fetch will read it (no tricks with userinfo, dots or backslashes).
    if (!responseUrl.startsWith(allowedPrefix) || !URL.parse(responseUrl)?.href.startsWith(allowedPrefix)) {
      log.warn({ allowedPrefix }, "response_url outside SLACK_RESPONSE_URL_PREFIX: not called");
      return false;
    }
    // The response_url itself is never logged: for 30 minutes it can post into the channel.
    try {
      const res = await fetch(responseUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(reply),
        redirect: "error",
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.ok) return true;
      log.warn(
        { status: res.status, answer: (await res.text()).slice(0, 200) },
        "Slack refused a reply to an interaction",
      );
    } catch (err) {
      log.warn({ err }, "Slack's response_url unreachable");
    }
    return false;
  };
}
