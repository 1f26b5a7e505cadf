// The one path every operator decision takes, from the admin API, the console or Slack: record it
// on the incident with who decided and through which door (the first decision wins), then tell the
// waiting order, which acts only on what was recorded.
import type { Db } from "../../db/client.ts";
import { decideIncident, findOpenIncident } from "../../db/incidents.ts";
import { findIncident } from "../../db/shipment-incidents.ts";
import { RestateCallError, type OrderClient, type ShipmentClient } from "../adapters/restate-ingress.ts";
import type { Decision, DecisionAuthor, RecordedDecision } from "../domain/decision.ts";
import { ApiError } from "./errors.ts";

/** 409: the decision was not recorded; `prior` is the one that was, when there is one. */
export class DecisionConflict extends ApiError {
  readonly prior?: RecordedDecision;
  constructor(message: string, prior?: RecordedDecision) {
    super("conflict", message);
    this.prior = prior;
  }
}

/** An incident about one shipment (center_id set) is taken up by the order's Shipments object, any other by its workflow. */
export async function decide(
  deps: { db: Db; orders: OrderClient; shipments?: ShipmentClient },
  orderId: string,
  decision: Decision,
  author: DecisionAuthor,
) {
  const incidentId = decision.incidentId ?? (await findOpenIncident(deps.db, orderId))?.id;
  if (!incidentId) throw new DecisionConflict(`order ${orderId} has no open incident`);
  const aboutShipment = (await findIncident(deps.db, incidentId))?.centerId != null;
  if (aboutShipment && !deps.shipments) throw new Error("this app has no Shipments client to pass the decision on");
  const orders = aboutShipment ? { resolve: deps.shipments!.resolveShipment } : deps.orders;
  const recorded = await decideIncident(deps.db, { incidentId, orderId }, decision, author);
  if (!recorded.decided) {
    const prior = recorded.incident;
    if (prior?.status !== "open")
      throw new DecisionConflict(`incident ${incidentId} is not the open one`, prior?.decision);
    if (prior.decision && prior.decision.action !== decision.action) {
      throw new DecisionConflict(
        `incident ${incidentId} was already decided: ${prior.decision.action} by ${prior.decision.decidedBy}`,
        prior.decision,
      );
    }
    // The same decision again (a resend, a double click): passing it on again is harmless, and
    // heals a first attempt that was recorded but never reached the order. If it had, the order
    // answers 409.
    return orders.resolve(orderId, { ...decision, incidentId }).catch((err) => {
      if (err instanceof RestateCallError && err.status === 409)
        throw new DecisionConflict(err.message, prior.decision);
      throw err;
    });
  }
  return orders.resolve(orderId, { ...decision, incidentId });
}
