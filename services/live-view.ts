// The order's live view: the workflow's state that the `status` handler (and through it
// GET /orders/:id and the console) reads while the order runs. Steps are noted in memory and the
// view is written once per phase: every write is a journal entry.
import type * as restate from "@restatedev/restate-sdk";
import type { OrderStatus } from "../src/domain/order.ts";
import type { OrderResult, OrderView, StepView } from "../src/domain/order-view.ts";
import { writeView } from "./durable.ts";

export type LiveView = {
  readonly orderId: string;
  readonly customerId: string;
  readonly invocationId: string;
  /** When the order began (epoch ms), once it is loaded. */
  readonly orderedAt: number | undefined;
  /** Notes whose order this is and when it began; shown with the next publish. */
  noteOrder(order: { customerId: string; orderedAt: number }): void;
  /** Notes a step's outcome (and when its successful attempt started); it is shown with the next publish. */
  noteStep(name: string, status: StepView["status"], at: number, error?: string, startedAt?: number): void;
  /** Changes what the order shows, with the next publish. */
  note(changes: Partial<Pick<OrderView, "shipments" | "estimatedArrival">>): void;
  /** Changes what the order shows and publishes it. */
  show(changes: Partial<Pick<OrderView, "status" | "incident" | "shipments" | "estimatedArrival">>): void;
  publish(): void;
  /** Publishes the final status and gives the workflow's result. */
  finish(status: OrderStatus): OrderResult;
};

export function createLiveView(ctx: restate.WorkflowContext): LiveView {
  const view: OrderView = {
    orderId: ctx.key,
    customerId: "",
    status: "processing",
    steps: [],
    shipments: [],
    estimatedArrival: null,
    incident: null,
    invocationId: ctx.request().id,
  };
  const publish = () => writeView(ctx, view);
  let orderedAt: number | undefined;
  return {
    orderId: view.orderId,
    get customerId() {
      return view.customerId;
    },
    invocationId: ctx.request().id,
    get orderedAt() {
      return orderedAt;
    },
    noteOrder(order) {
      view.customerId = order.customerId;
      orderedAt = order.orderedAt;
    },
    noteStep(name, status, at, error, startedAt) {
      const started = startedAt === undefined ? {} : { startedAt: new Date(startedAt).toISOString() };
      view.steps.push({ name, status, ...started, at: new Date(at).toISOString(), ...(error && { error }) });
    },
    note(changes) {
      Object.assign(view, changes);
    },
    show(changes) {
      Object.assign(view, changes);
      publish();
    },
    publish,
    finish(status) {
      Object.assign(view, { status, incident: null });
      publish();
      return { orderId: view.orderId, status, estimatedArrival: view.estimatedArrival };
    },
  };
}
