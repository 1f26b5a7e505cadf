// Escalation to an operator: a failed step after payment becomes an incident (a row, a Slack
// alert, the order in needs_attention) and the order waits durably, for hours if need be, for a
// decision: retry, skip (done by hand) or abandon. Nothing is ever reversed here.
import { randomUUID } from "node:crypto";
import * as restate from "@restatedev/restate-sdk";
import type { Alert } from "../src/domain/alerts.ts";
import type { RecordedDecision } from "../src/domain/decision.ts";
import type { OpenIncident } from "../src/domain/order-view.ts";
import { ALERTS_KEY, decisionPromise, SERVICE, STEP, TIMER } from "./durable.ts";
import type { LiveView } from "./live-view.ts";
import type { OrderPorts } from "./ports.ts";
import type { SlackAlerts } from "./slack-alerts.ts";
import type { SupportDesk } from "./support-desk.ts";
import { recordStep, type AskOperator } from "./step-runner.ts";

/** An undecided incident is posted to Slack again after this long, then at the same interval. */
export type EscalationPolicy = { remindAfterMs: number };

export function createEscalation(
  ctx: restate.WorkflowContext,
  view: LiveView,
  ports: OrderPorts,
  policy: EscalationPolicy,
): AskOperator {
  let incidents = 0; // deterministic: incidents open one at a time, in the same order on replay
  const record = <T>(name: string, action: () => Promise<T>) => recordStep(ctx, view, name, action);
  // One-way: a slow or dead Slack never holds the order.
  const postToSlack = (alert: Alert) =>
    ctx.objectSendClient<SlackAlerts>({ name: SERVICE.alerts }, ALERTS_KEY).notify(alert);

  // The decision as recorded in the database. The `resolve` handler's nudge is the fast path; this
  // read catches a decision recorded while the incident was not yet shown, or whose nudge was lost.
  const recorded = async (incident: OpenIncident) =>
    (await ctx.run(STEP.findDecision, async () => (await ports.findDecision(incident.id)) ?? null)) ?? undefined;

  /** The decision, once someone makes it; until then a reminder after every `remindAfterMs`. */
  async function decisionOn(incident: OpenIncident, alert: Alert): Promise<RecordedDecision> {
    const early = await recorded(incident);
    if (early) return early;
    for (let count = 1; ; count++) {
      // A durable timer beside the durable promise: both survive restarts; a decision ends the wait.
      const next = await restate.RestatePromise.race([
        decisionPromise(ctx, incident.id)
          .get()
          .map((decision) => ({ decision })),
        ctx.sleep(policy.remindAfterMs, TIMER.remind).map(() => ({ decision: undefined })),
      ]);
      const decision = next.decision ?? (await recorded(incident));
      if (decision) return decision;
      const now = await ctx.date.now();
      postToSlack({
        ...alert,
        reminder: {
          count,
          incidentWaitingMs: now - Date.parse(alert.openedAt!),
          orderWaitingMs: now - (view.orderedAt ?? now),
        },
      });
    }
  }

  return async function askOperator(step, error) {
    const n = ++incidents;
    // The alert is built inside the step: its links come from configuration, which may differ
    // after a redeploy, and a replay must send exactly what the first execution sent.
    const alert = await record(STEP.recordIncident, async (): Promise<Alert> => {
      // Unique across runs of this order, not just within one: a run started again (after Restate
      // forgot the last one, or it was killed) counts from 1 again, under the same invocation id
      // (a workflow's is derived from its key, so ctx.rand repeats too), and must never find an
      // earlier run's recorded decision under its incident's id. Random here, inside the step: the
      // journal keeps it, and a retried step gets back the row its first attempt opened.
      const fresh = `${view.orderId}#${n}.${randomUUID().replaceAll("-", "").slice(0, 12)}`;
      const id = await ports.openIncident({
        id: fresh,
        orderId: view.orderId,
        customerId: view.customerId,
        step,
        error,
      });
      return {
        incidentId: id,
        orderId: view.orderId,
        customerId: view.customerId,
        step,
        error,
        openedAt: new Date().toISOString(), // inside the step: journaled with it
        ...ports.alertLinks(view.orderId, view.invocationId),
      };
    });
    // The id is the journaled one, never recomputed: an order in flight that opened its incident
    // under the old `${orderId}#${n}` ids replays that step's result, and goes on waiting on the
    // same decision promise and database row it did before this deployment.
    const incident: OpenIncident = { id: alert.incidentId, step, error };
    // Shown only now, so a decision can never arrive for an incident that is not recorded yet.
    view.show({ status: "needs_attention", incident });
    postToSlack(alert);
    // The support team's email, one per incident: also one-way, retried by Restate, never in the way.
    ctx.serviceSendClient<SupportDesk>({ name: SERVICE.support }).incident(alert);

    const decision = await decisionOn(incident, alert);
    await record(STEP.recordDecision, () => ports.resolveIncident(incident.id, decision));
    view.show({ status: decision.action === "abandon" ? "abandoned" : "processing", incident: null });
    return decision;
  };
}
