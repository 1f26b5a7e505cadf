// The HTTP app's way into Restate: submit order workflows, pass on payment events and operator
// decisions, read the live status. Restate being unreachable is its own error, so the webhook can
// answer 503 and let Stripe retry.
// POSTs of Restate's documented ingress API (/<service>/<key>/<handler>[/send]) sent with
// undici's request() over kept-alive connections, not @restatedev/restate-sdk-clients: its fetch()
// costs the webhook ~1.0 ms of CPU per submit against ~0.37 ms here (1000 submits each, caller
// side, the project's Node 22.23). Tests, the benchmark and dev tools still use the clients.
import { Agent, request } from "undici";
import type { Resolution } from "../../services/order-handlers.ts";
import type { OrderWorkflow } from "../../services/order-workflow.ts";
import type { EventRef, Shipments } from "../../services/shipments.ts";
import type { Decision } from "../domain/decision.ts";
import type { OrderStart } from "../domain/order.ts";
import type { OrderView } from "../domain/order-view.ts";
import type { PaymentEvent } from "../domain/stripe-events.ts";
import type { StripeEventRef } from "../domain/stripe-signals.ts";

/** The service's name in Restate; the type ties it to the workflow's definition. */
const WORKFLOW: OrderWorkflow["name"] = "OrderWorkflow";
const SHIPMENTS: Shipments["name"] = "Shipments";

export class RestateUnavailableError extends Error {
  override name = "RestateUnavailableError";
}

/** A Restate answer with an HTTP status, e.g. 404 unknown workflow or 409 no open incident. */
export class RestateCallError extends Error {
  override name = "RestateCallError";
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export type OrderClient = {
  /** Starts the order's run once; `start` names the checkout the webhook verified (a hint, see OrderStart). */
  start(
    orderId: string,
    start?: OrderStart,
  ): Promise<{ invocationId: string; status: "Accepted" | "PreviouslyAccepted" }>;
  paymentEvent(orderId: string, event: PaymentEvent): Promise<void>;
  status(orderId: string): Promise<OrderView | null>;
  resolve(orderId: string, decision: Decision): Promise<Resolution>;
  /** Tells an order held by a Radar review that a recorded review.closed is there to read. */
  reviewClosed(orderId: string, ref: StripeEventRef): Promise<void>;
};

/** The way to an order's Shipments object (the same connections and fail-over as OrderClient). */
export type ShipmentClient = {
  /** Hands a recorded center event to the order's Shipments object; resolves once Restate durably accepted it. */
  shipmentEvent(orderId: string, ref: EventRef): Promise<void>;
  /** Passes an operator's recorded decision on a shipment incident to the order's Shipments object. */
  resolveShipment(orderId: string, decision: Decision): Promise<Resolution>;
  /** Hands a recorded Stripe event (refund after hand-off, dispute, warning, review) to the order's Shipments object. */
  stripeEvent(orderId: string, ref: StripeEventRef): Promise<void>;
};

/**
 * One or more ingress URLs (the nodes of a Restate cluster). A call goes to the node that answered
 * last; if that node refuses the connection, times out or answers as a gateway in trouble, the
 * same call goes to the next one. Retrying elsewhere never starts anything twice: a workflow runs
 * once per key, a payment event carries its event id as idempotency key, and a decision is
 * recorded once before any call. 503 only when no node takes it.
 */
export function createOrderClient({
  ingressUrls,
  timeoutMs,
}: {
  ingressUrls: string[];
  timeoutMs: number;
}): OrderClient & ShipmentClient {
  if (ingressUrls.length === 0) throw new Error("at least one Restate ingress URL is needed");
  const nodes = ingressUrls.map((url) => url.replace(/\/+$/, ""));
  const connections = new Agent({ keepAliveTimeout: 30_000 });
  let preferred = 0;

  /** One handler call on the first node that takes it (see above). */
  async function call<T>(
    orderId: string,
    handler: string,
    input: unknown,
    headers: Record<string, string> = {},
    service: string = WORKFLOW,
  ): Promise<T> {
    const path = `/${service}/${encodeURIComponent(orderId)}/${handler}`;
    const body = input === undefined ? undefined : JSON.stringify(input);
    const failures: string[] = [];
    for (let tried = 0; tried < nodes.length; tried++) {
      const index = (preferred + tried) % nodes.length;
      try {
        const result = await attempt<T>(`${nodes[index]}${path}`, body, headers);
        preferred = index;
        return result;
      } catch (err) {
        if (!(err instanceof RestateUnavailableError)) throw err;
        failures.push(`${nodes[index]}: ${err.message}`);
      }
    }
    throw new RestateUnavailableError(failures.join("; "));
  }

  /** One call to one node, its failure sorted: Restate unavailable (try elsewhere, later) or an answer. */
  async function attempt<T>(url: string, body: string | undefined, headers: Record<string, string>): Promise<T> {
    let status: number;
    let text: string;
    try {
      const res = await request(url, {
        method: "POST",
        headers: { ...(body !== undefined && { "content-type": "application/json" }), ...headers },
        body,
        dispatcher: connections,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      throw new RestateUnavailableError(`unreachable: ${(err as Error).message}`);
    }
    if (status < 300) return (text ? JSON.parse(text) : undefined) as T;
    // A gateway-style status means Restate itself is in trouble: the caller should retry later.
    if ([502, 503, 504].includes(status))
      throw new RestateUnavailableError(`Restate answered ${status}: ${restateMessage(text)}`);
    throw new RestateCallError(status, restateMessage(text));
  }

  return {
    start: (orderId, start = {}) =>
      // Started once per key: a repeat answers PreviouslyAccepted with the same invocation.
      call<{ invocationId: string; status: "Accepted" | "PreviouslyAccepted" }>(orderId, "run/send", start).catch(
        (err) => {
          // 404 here means OrderWorkflow is not registered (yet): Restate cannot take the order.
          if (err instanceof RestateCallError && err.status === 404)
            throw new RestateUnavailableError(`Restate cannot start OrderWorkflow: ${err.message}`);
          throw err;
        },
      ),
    // The event id as idempotency key: a redelivered event is answered from Restate's memory.
    paymentEvent: (orderId, event) => call<void>(orderId, "paymentEvent", event, { "idempotency-key": event.eventId }),
    status: (orderId) => call<OrderView | null>(orderId, "status", undefined),
    resolve: (orderId, decision) => call<Resolution>(orderId, "resolve", decision),
    reviewClosed: (orderId, ref) =>
      call<void>(orderId, "reviewClosed", ref, { "idempotency-key": `stripe-event:${ref.eventId}` }),
    // One-way, keyed by the event: a redelivery (or the same event from another app replica) is
    // the same invocation, answered from Restate's memory.
    shipmentEvent: (orderId, ref) =>
      call<void>(
        orderId,
        "event/send",
        ref,
        { "idempotency-key": `center-event:${ref.centerId}:${ref.eventId}` },
        SHIPMENTS,
      ).catch((err) => {
        // 404: Shipments is not registered (yet); Restate cannot take the event, the center retries.
        if (err instanceof RestateCallError && err.status === 404)
          throw new RestateUnavailableError(`Restate cannot take shipment events: ${err.message}`);
        throw err;
      }),
    resolveShipment: (orderId, decision) => call<Resolution>(orderId, "resolve", decision, {}, SHIPMENTS),
    // One-way, keyed by the event: a redelivery is the same invocation.
    stripeEvent: (orderId, ref) =>
      call<void>(orderId, "stripeEvent/send", ref, { "idempotency-key": `stripe-event:${ref.eventId}` }, SHIPMENTS),
  };
}

function restateMessage(text: string): string {
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    return text;
  }
}
