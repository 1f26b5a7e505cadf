// The HTTP app's way into Restate: submit order workflows, pass on payment events and operator
// decisions, read the live status. Restate being unreachable is its own error, so the webhook can
// answer 503 and let Stripe retry.
import * as clients from "@restatedev/restate-sdk-clients";
import type { Resolution } from "../../services/order-handlers.ts";
import type { OrderWorkflow } from "../../services/order-workflow.ts";
import type { Decision } from "../domain/decision.ts";
import type { OrderView } from "../domain/order-view.ts";
import type { PaymentEvent } from "../domain/stripe-events.ts";

const Workflow = { name: "OrderWorkflow" } as OrderWorkflow;

export class RestateUnavailableError extends Error {
  override name = "RestateUnavailableError";
}

/** A Restate answer with an HTTP status, e.g. 404 unknown workflow or 409 no open incident. */
export class RestateCallError extends Error {
  override name = "RestateCallError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type OrderClient = {
  start(orderId: string): Promise<{ invocationId: string; status: "Accepted" | "PreviouslyAccepted" }>;
  paymentEvent(orderId: string, event: PaymentEvent): Promise<void>;
  status(orderId: string): Promise<OrderView | null>;
  resolve(orderId: string, decision: Decision): Promise<Resolution>;
};

export function createOrderClient({ ingressUrl, timeoutMs }: { ingressUrl: string; timeoutMs: number }): OrderClient {
  const ingress = clients.connect({ url: ingressUrl });
  const wf = (key: string) => ingress.workflowClient(Workflow, key);
  const opts = <I, O>() => clients.rpc.opts<I, O>({ signal: AbortSignal.timeout(timeoutMs) });

  return {
    start: (orderId) =>
      call(async () => {
        const sub = await wf(orderId).workflowSubmit(clients.rpc.sendOpts({ signal: AbortSignal.timeout(timeoutMs) }));
        return { invocationId: sub.invocationId, status: sub.status };
      }).catch((err) => {
        // 404 here means OrderWorkflow is not registered (yet): Restate cannot take the order.
        if (err instanceof RestateCallError && err.status === 404) throw new RestateUnavailableError(`Restate cannot start OrderWorkflow: ${err.message}`);
        throw err;
      }),
    paymentEvent: (orderId, event) =>
      call(async () => {
        // The event id as idempotency key: a redelivered event is answered from Restate's memory.
        await wf(orderId).paymentEvent(event, clients.rpc.opts({ idempotencyKey: event.eventId, signal: AbortSignal.timeout(timeoutMs) }));
      }),
    status: (orderId) => call(() => wf(orderId).status(opts())),
    resolve: (orderId, decision) => call(() => wf(orderId).resolve(decision, opts())),
  };
}

async function call<T>(fn: () => PromiseLike<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof clients.HttpCallError) {
      // A gateway-style status means Restate itself is in trouble: the caller should retry later.
      if ([502, 503, 504].includes(err.status)) throw new RestateUnavailableError(`Restate answered ${err.status}: ${err.message}`);
      throw new RestateCallError(err.status, restateMessage(err));
    }
    throw new RestateUnavailableError(`Restate ingress unreachable: ${(err as Error).message}`);
  }
}

function restateMessage(err: clients.HttpCallError): string {
  try {
    return (JSON.parse(err.responseText) as { message?: string }).message ?? err.message;
  } catch {
    return err.responseText || err.message;
  }
}
