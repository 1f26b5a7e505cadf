// StuckOrders: one virtual object ("default") that watches for paid orders whose run has made no
// progress for STUCK_ORDER_AFTER while Restate keeps retrying it: failures that never become an
// incident (a bookkeeping step that cannot reach the database, the service endpoint down or
// failing). Each such order gets one Slack alert, through SlackAlerts (rate limited, coalesced),
// naming the step it is stuck on; the same order is alerted again only after it moved and stuck
// anew. Orders that wait on a person (an incident's decision, an async payment) are suspended in
// Restate, not retrying, so they are never "stuck". The sweep is a delayed call to itself, held
// by Restate: restarts and deploys keep it going; `start` (idempotent) begins it.
import * as restate from "@restatedev/restate-sdk";
import type { Alert } from "../src/domain/alerts.ts";
import { ALERTS_KEY, SERVICE, STEP, type StuckState } from "./durable.ts";
import type { StuckOrderPorts } from "./ports.ts";
import type { SlackAlerts } from "./slack-alerts.ts";

export type StuckOrderPolicy = { stuckAfterMs: number; sweepEveryMs: number };

export function createStuckOrders(ports: StuckOrderPorts, policy: StuckOrderPolicy) {
  const self = { name: SERVICE.stuck } as StuckOrders;
  const notify = (ctx: restate.ObjectContext<StuckState>, alert: Alert) =>
    ctx.objectSendClient<SlackAlerts>({ name: SERVICE.alerts }, ALERTS_KEY).notify(alert);

  return restate.object({
    name: SERVICE.stuck,
    description: "Alerts once per paid order that makes no progress while Restate retries it.",
    handlers: {
      /** Begins the sweeps unless they are already going (called after each registration). */
      start: async (ctx: restate.ObjectContext<StuckState>) => {
        const now = await ctx.date.now();
        const next = await ctx.get("nextSweepAt");
        if (next != null && next > now - 2 * policy.sweepEveryMs) return { started: false };
        ctx.set("nextSweepAt", now);
        ctx.objectSendClient(self, ctx.key).sweep();
        return { started: true };
      },
      sweep: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext<StuckState>) => {
          const stuck = await ctx.run(STEP.findStuckOrders, () => ports.findStuckOrders(policy.stuckAfterMs));
          const alerted = (await ctx.get("alerted")) ?? {};
          const still: Record<string, string> = {};
          for (const alert of stuck) {
            const key = alert.orderId;
            const since = alert.stuck?.since ?? "";
            if (alerted[key] !== since) notify(ctx, alert);
            still[key] = since;
          }
          ctx.set("alerted", still);
          ctx.set("nextSweepAt", (await ctx.date.now()) + policy.sweepEveryMs);
          ctx.objectSendClient(self, ctx.key).sweep(restate.rpc.sendOpts({ delay: policy.sweepEveryMs }));
          return { stuck: stuck.length };
        },
      ),
    },
  });
}

export type StuckOrders = ReturnType<typeof createStuckOrders>;
