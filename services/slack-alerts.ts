// SlackAlerts: one virtual object per webhook ("default"), so its handlers run one at a time.
// It posts at most one message per interval; alerts that arrive in between wait in state and go
// out together in the next message (coalesced, never dropped). Slack being down delays alerts,
// it never touches an order: workflows reach this object by one-way send.
import * as restate from "@restatedev/restate-sdk";
import { slackMessage, type Alert } from "../src/domain/alerts.ts";
import type { AlertPorts } from "./ports.ts";
import { asTerminalError, errorText } from "./steps.ts";

export type AlertOptions = {
  /** Minimum time between two posts to the same webhook (Slack allows one per second). */
  minIntervalMs: number;
  /** Longest wait between retries while Slack is failing. */
  maxBackoffMs: number;
};

type State = { pending: Alert[]; flushAt: number | null; lastPostAt: number; failures: number };

export function createSlackAlerts(ports: AlertPorts, options: AlertOptions) {
  const self = { name: "SlackAlerts" } as SlackAlerts;

  return restate.object({
    name: "SlackAlerts",
    description: "Rate-limited, coalescing Slack alerts for orders that need attention.",
    handlers: {
      notify: async (ctx: restate.ObjectContext<State>, alert: Alert) => {
        const pending = (await ctx.get("pending")) ?? [];
        ctx.set("pending", [...pending, alert]);
        if ((await ctx.get("flushAt")) != null) return; // a flush is already scheduled
        const now = await ctx.date.now();
        const at = Math.max(now, ((await ctx.get("lastPostAt")) ?? 0) + options.minIntervalMs);
        ctx.set("flushAt", at);
        ctx.objectSendClient(self, ctx.key).flush(restate.rpc.sendOpts({ delay: at - now }));
      },

      flush: async (ctx: restate.ObjectContext<State>) => {
        const pending = (await ctx.get("pending")) ?? [];
        ctx.clear("flushAt");
        if (pending.length === 0) return { posted: 0 };
        try {
          await ctx.run("post to slack", () => ports.postToSlack(slackMessage(pending)), {
            maxRetryAttempts: 3,
            initialRetryInterval: options.minIntervalMs,
          });
        } catch (err) {
          if (!(err instanceof restate.TerminalError)) throw err;
          // Keep every alert and try again later with backoff; the incidents are in the database.
          const failures = ((await ctx.get("failures")) ?? 0) + 1;
          const delay = Math.min(options.maxBackoffMs, options.minIntervalMs * 2 ** failures);
          ctx.console.error(`Slack post failed (${failures}x), ${pending.length} alerts kept: ${errorText(err)}`);
          ctx.set("failures", failures);
          ctx.set("flushAt", (await ctx.date.now()) + delay);
          ctx.objectSendClient(self, ctx.key).flush(restate.rpc.sendOpts({ delay }));
          return { posted: 0 };
        }
        ctx.clear("pending");
        ctx.clear("failures");
        ctx.set("lastPostAt", await ctx.date.now());
        return { posted: pending.length };
      },
    },
    options: { asTerminalError },
  });
}

export type SlackAlerts = ReturnType<typeof createSlackAlerts>;
