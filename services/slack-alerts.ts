// SlackAlerts: one virtual object per webhook ("default"), so its handlers run one at a time.
// It posts at most one message per interval; alerts that arrive in between wait in state and go
// out together in the next message (coalesced, never dropped). Slack being down delays alerts,
// it never touches an order: workflows reach this object by one-way send.
import * as restate from "@restatedev/restate-sdk";
import { slackMessage, type Alert } from "../src/domain/alerts.ts";
import { PermanentError } from "../src/domain/errors.ts";
import { SERVICE, STEP, type AlertState } from "./durable.ts";
import { asTerminalError, type AlertPorts } from "./ports.ts";

export type AlertOptions = {
  /** Minimum time between two posts to the same webhook (Slack allows one per second). */
  minIntervalMs: number;
  /** Longest wait between retries while Slack is failing. */
  maxBackoffMs: number;
};

const MAX_PENDING = 200;

export function createSlackAlerts(ports: AlertPorts, options: AlertOptions) {
  const self = { name: SERVICE.alerts } as SlackAlerts;

  return restate.object({
    name: SERVICE.alerts,
    description: "Rate-limited, coalescing Slack alerts for orders that need attention.",
    handlers: {
      notify: async (ctx: restate.ObjectContext<AlertState>, alert: Alert) => {
        const pending = (await ctx.get("pending")) ?? [];
        // While Slack is down, keep a bounded backlog: the oldest alerts are still incidents in
        // the database; the newest are the ones worth a message when Slack is back.
        ctx.set("pending", [...pending, alert].slice(-MAX_PENDING));
        if ((await ctx.get("flushAt")) != null) return; // a flush is already scheduled
        const now = await ctx.date.now();
        const at = Math.max(now, ((await ctx.get("lastPostAt")) ?? 0) + options.minIntervalMs);
        ctx.set("flushAt", at);
        ctx.objectSendClient(self, ctx.key).flush(restate.rpc.sendOpts({ delay: at - now }));
      },

      flush: async (ctx: restate.ObjectContext<AlertState>) => {
        const pending = (await ctx.get("pending")) ?? [];
        ctx.clear("flushAt");
        if (pending.length === 0) return { posted: 0 };
        try {
          // A rejection (4xx: bad payload, revoked webhook) is a journaled answer, not a retry:
          // resending the same message would loop forever and hold back every later alert.
          const rejected = await ctx.run(
            STEP.postToSlack,
            async () => {
              try {
                await ports.postToSlack(slackMessage(pending, new Date(), ports.signButton));
                return null;
              } catch (err) {
                if (err instanceof PermanentError) return err.message;
                throw err;
              }
            },
            { maxRetryAttempts: 3, initialRetryInterval: options.minIntervalMs },
          );
          if (rejected) {
            ctx.console.error(
              `Slack rejected an alert for ${pending.map((a) => a.orderId).join(", ")}: ${rejected}; the incidents stay under /admin/incidents`,
            );
          }
        } catch (err) {
          if (!(err instanceof restate.TerminalError)) throw err;
          // Keep every alert and try again later with backoff; the incidents are in the database.
          const failures = ((await ctx.get("failures")) ?? 0) + 1;
          const delay = Math.min(options.maxBackoffMs, options.minIntervalMs * 2 ** failures);
          ctx.console.error(
            `Slack post failed (${failures}x), ${pending.length} alerts kept: ${(err as Error).message}`,
          );
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
    // Only the order workflow posts alerts: nobody reaching the ingress can make Slack say things.
    options: { asTerminalError, ingressPrivate: true },
  });
}

export type SlackAlerts = ReturnType<typeof createSlackAlerts>;
