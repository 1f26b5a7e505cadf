// The order as its workflow shows it while it runs: what GET /orders/:id answers, what the
// console renders and what tests read. One type for all of them.
import type { OrderStatus, ShipmentRecord } from "./order.ts";

export type StepView = { name: string; status: "done" | "failed" | "skipped"; at: string; error?: string };

/** The failed step an operator is asked to decide on. */
export type OpenIncident = { id: string; step: string; error: string };

export type OrderView = {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  steps: StepView[];
  shipments: ShipmentRecord[];
  estimatedArrival: string | null;
  incident: OpenIncident | null;
  /** Restate's invocation id of the order's run: `npx restate invocations describe <id>`. */
  invocationId: string | null;
};

export type OrderResult = Pick<OrderView, "orderId" | "status" | "estimatedArrival">;
