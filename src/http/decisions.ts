// The one path every operator decision takes, from the admin API, the console or Slack: record it
// on the incident with who decided and through which door (the first decision wins), then tell the
// waiting order, which acts only on what was recorded.
import type { Db } from "../../db/client.ts";
import { decideIncident, findOpenIncident } from "../../db/incidents.ts";
import type { OrderClient } from "../adapters/restate-ingress.ts";
import type { Decision, DecisionAuthor } from "../domain/decision.ts";
import { ApiError } from "./errors.ts";

export async function decide(deps: { db: Db; orders: OrderClient }, orderId: string, decision: Decision, author: DecisionAuthor) {
  const incidentId = decision.incidentId ?? (await findOpenIncident(deps.db, orderId))?.id;
  if (!incidentId) throw new ApiError("conflict", `order ${orderId} has no open incident`);
  const recorded = await decideIncident(deps.db, { incidentId, orderId }, decision, author);
  if (!recorded.decided) {
    const prior = recorded.incident;
    if (!prior || prior.status !== "open") throw new ApiError("conflict", `incident ${incidentId} is not the open one`);
    if (prior.decision && prior.decision.action !== decision.action) {
      throw new ApiError("conflict", `incident ${incidentId} was already decided: ${prior.decision.action} by ${prior.decision.decidedBy}`);
    }
    // The same decision again (a resend, a double click): passing it on again is harmless.
  }
  return deps.orders.resolve(orderId, { ...decision, incidentId });
}
