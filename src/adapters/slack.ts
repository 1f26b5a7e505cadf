// Slack incoming webhook, through @slack/webhook. Rate limiting and coalescing live in the
// SlackAlerts service; this only posts one message and says whether a retry can help.
import { IncomingWebhook } from "@slack/webhook";
import { upstreamError } from "./http-status.ts";
import type { SlackMessage } from "../domain/alerts.ts";
import type { Logger } from "../log.ts";

export type SlackPoster = { post(message: SlackMessage): Promise<"posted" | "logged"> };

export function createSlackPoster({ url, timeoutMs, log }: { url?: string; timeoutMs: number; log: Logger }): SlackPoster {
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
