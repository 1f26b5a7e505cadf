// The HTTP app's way into Restate: submit order workflows, pass on payment events and operator
// decisions, read the live status. Restate being unreachable is its own error, so the webhook can
// answer 503 and let Stripe retry.
import * as clients from "@restatedev/restate-sdk-clients";
import type { Resolution } from "../../services/order-handlers.ts";
import type { OrderWorkflow } from "../../services/order-workflow.ts";
import type { Decision } from "../domain/decision.ts";
import type { OrderStart } from "../domain/order.ts";
import type { OrderView } from "../domain/order-view.ts";
import type { PaymentEvent } from "../domain/stripe-events.ts";

const Workflow = { name: "OrderWorkflow" } as OrderWorkflow;

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
  start(orderId: string, start?: OrderStart): Promise<{ invocationId: string; status: "Accepted" | "PreviouslyAccepted" }>;
  paymentEvent(orderId: string, event: PaymentEvent): Promise<void>;
  status(orderId: string): Promise<OrderView | null>;
  resolve(orderId: string, decision: Decision): Promise<Resolution>;
};

/**
 * One or more ingress URLs (the nodes of a Restate cluster). A call goes to the node that answered
 * last; if that node refuses the connection, times out or answers as a gateway in trouble, the
 * same call goes to the next one. Retrying elsewhere never starts anything twice: a workflow runs
 * once per key, a payment event carries its event id as idempotency key, and a decision is
 * recorded once before any call. 503 only when no node takes it.
 */
export function createOrderClient({ ingressUrls, timeoutMs }: { ingressUrls: string[]; timeoutMs: number }): OrderClient {
  if (ingressUrls.length === 0) throw new Error("at least one Restate ingress URL is needed");
  const nodes = ingressUrls.map((url) => ({ url, ingress: clients.connect({ url }) }));
  let preferred = 0;
  const signal = () => AbortSignal.timeout(timeoutMs);

  async function call<T>(fn: (ingress: clients.Ingress) => PromiseLike<T>): Promise<T> {
    const failures: string[] = [];
    for (let tried = 0; tried < nodes.length; tried++) {
      const index = (preferred + tried) % nodes.length;
      try {
        const result = await attempt(() => fn(nodes[index]!.ingress));
        preferred = index;
        return result;
      } catch (err) {
        if (!(err instanceof RestateUnavailableError)) throw err;
        failures.push(`${nodes[index]!.url}: ${err.message}`);
      }
    }
    throw new RestateUnavailableError(failures.join("; "));
  }
  const wf = (ingress: clients.Ingress, key: string) => ingress.workflowClient(Workflow, key);

  return {
    start: (orderId, start = {}) =>
      call(async (ingress) => {
        const sub = await wf(ingress, orderId).workflowSubmit(start, clients.rpc.sendOpts({ signal: signal() }));
        return { invocationId: sub.invocationId, status: sub.status };
      }).catch((err) => {
        // 404 here means OrderWorkflow is not registered (yet): Restate cannot take the order.
        if (err instanceof RestateCallError && err.status === 404) throw new RestateUnavailableError(`Restate cannot start OrderWorkflow: ${err.message}`);
        throw err;
      }),
    paymentEvent: (orderId, event) =>
      call(async (ingress) => {
        // The event id as idempotency key: a redelivered event is answered from Restate's memory.
        await wf(ingress, orderId).paymentEvent(event, clients.rpc.opts({ idempotencyKey: event.eventId, signal: signal() }));
      }),
    status: (orderId) => call((ingress) => wf(ingress, orderId).status(clients.rpc.opts({ signal: signal() }))),
    resolve: (orderId, decision) => call((ingress) => wf(ingress, orderId).resolve(decision, clients.rpc.opts({ signal: signal() }))),
  };
}

/** One call to one node, its failure sorted: Restate unavailable (try elsewhere, later) or an answer. */
async function attempt<T>(fn: () => PromiseLike<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof clients.HttpCallError) {
      // A gateway-style status means Restate itself is in trouble: the caller should retry later.
      if ([502, 503, 504].includes(err.status)) throw new RestateUnavailableError(`Restate answered ${err.status}: ${err.message}`);
      throw new RestateCallError(err.status, restateMessage(err));
    }
    throw new RestateUnavailableError(`unreachable: ${(err as Error).message}`);
  }
}

function restateMessage(err: clients.HttpCallError): string {
  try {
    return (JSON.parse(err.responseText) as { message?: string }).message ?? err.message;
  } catch {
    return err.responseText || err.message;
  }
}
