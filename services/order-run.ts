// The mechanics under the order workflow: the live view that shared handlers read, parallel
// steps, and escalation to an operator. services/order-workflow.ts reads as the business process.
import * as restate from "@restatedev/restate-sdk";
import type { StepPolicy } from "../src/config.ts";
import type { Alert } from "../src/domain/alerts.ts";
import type { OrderStatus, ShipmentRecord } from "../src/domain/order.ts";
import type { Decision, OrderPorts } from "./ports.ts";
import type { SlackAlerts } from "./slack-alerts.ts";
import { errorText, timedRun } from "./steps.ts";

export type StepView = { name: string; status: "done" | "failed" | "skipped"; at: string; error?: string };
export type OpenIncident = { id: string; step: string; error: string; promise: string };
export type OrderView = {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  steps: StepView[];
  shipments: ShipmentRecord[];
  estimatedArrival: string | null;
  incident: OpenIncident | null;
  invocationId: string;
};

export const VIEW = "view";

/** Thrown when an operator abandons the order; the workflow ends as "abandoned". */
export class Abandoned extends Error {}

export type Step<T> = { name: string; action: () => Promise<T> };
export type Outcome<T> = { skipped: false; value: T } | { skipped: true };

export class OrderRun {
  readonly view: OrderView;
  /** Incidents opened so far; also tells whether the order row's status needs a final write. */
  incidents = 0;

  constructor(
    readonly ctx: restate.WorkflowContext,
    private readonly ports: OrderPorts,
    private readonly policy: StepPolicy,
  ) {
    this.view = {
      orderId: ctx.key,
      customerId: "",
      status: "processing",
      steps: [],
      shipments: [],
      estimatedArrival: null,
      incident: null,
      invocationId: ctx.request().id,
    };
  }

  /** Publishes the view to the workflow's state, where the status handler reads it. */
  publish(changes: Partial<OrderView> = {}) {
    Object.assign(this.view, changes);
    this.ctx.set(VIEW, this.view);
  }

  private record(name: string, status: StepView["status"], at: number, error?: string) {
    this.view.steps.push({ name, status, at: new Date(at).toISOString(), ...(error && { error }) });
  }

  /** A bookkeeping step: retried until it succeeds (an outage waits, it does not escalate). */
  async bookkeeping<T>(name: string, action: () => Promise<T>): Promise<T> {
    const { value, at } = await timedRun(this.ctx, name, action);
    this.record(name, "done", at);
    return value;
  }

  /** A step after payment: bounded retries, then an operator decides. */
  async step<T>(name: string, action: () => Promise<T>): Promise<Outcome<T>> {
    const [outcome] = await this.all([{ name, action }]);
    return outcome!;
  }

  /**
   * Runs steps concurrently. Every step gets its chance before any failure is escalated, so one
   * center's rejection never holds back the others; failures then go to the operator one by one.
   */
  async all<T>(steps: Step<T>[]): Promise<Outcome<T>[]> {
    const settled = await restate.RestatePromise.allSettled(
      steps.map((s) => timedRun(this.ctx, s.name, s.action, this.policy)),
    );
    const outcomes: Outcome<T>[] = [];
    for (const [i, result] of settled.entries()) {
      const step = steps[i]!;
      if (result.status === "fulfilled") {
        this.record(step.name, "done", result.value.at);
        outcomes.push({ skipped: false, value: result.value.value });
      } else {
        outcomes.push(await this.escalate(step, result.reason));
      }
    }
    // No publish here: the workflow publishes once per phase (each publish is a journal entry).
    return outcomes;
  }

  /** Hands a failed step to an operator until it succeeds, is skipped, or the order is abandoned. */
  async escalate<T>(step: Step<T>, failure: unknown): Promise<Outcome<T>> {
    let error = failure;
    for (;;) {
      if (!(error instanceof restate.TerminalError)) throw error; // cancellation and the like
      const decision = await this.askOperator(step.name, errorText(error));
      if (decision.action === "abandon") throw new Abandoned(decision.note ?? "abandoned by an operator");
      if (decision.action === "skip") {
        this.record(step.name, "skipped", await this.ctx.date.now());
        return { skipped: true };
      }
      try {
        const { value, at } = await timedRun(this.ctx, step.name, step.action, this.policy);
        this.record(step.name, "done", at);
        return { skipped: false, value };
      } catch (err) {
        error = err;
      }
    }
  }

  /** Records an incident, alerts Slack (one-way, never blocking) and waits durably for a decision. */
  async askOperator(stepName: string, error: string): Promise<Decision> {
    const seq = ++this.incidents;
    const incident: OpenIncident = { id: `${this.view.orderId}#${seq}`, step: stepName, error, promise: `decision-${seq}` };
    this.record(stepName, "failed", await this.ctx.date.now(), error); // never Date.now(): replays must match
    this.publish({ status: "needs_attention", incident });
    // The alert is built inside the step: its links come from configuration, which may differ
    // after a redeploy, and a replay must send exactly what the first execution sent.
    const alert = await this.bookkeeping("record incident", async (): Promise<Alert> => {
      await this.ports.openIncident({ id: incident.id, orderId: this.view.orderId, customerId: this.view.customerId, step: stepName, error });
      return {
        incidentId: incident.id,
        orderId: this.view.orderId,
        customerId: this.view.customerId,
        step: stepName,
        error,
        ...this.ports.alertLinks(this.view.orderId, this.view.invocationId),
      };
    });
    this.ctx.objectSendClient<SlackAlerts>({ name: "SlackAlerts" }, "default").notify(alert);

    const decision = await this.ctx.promise<Decision>(incident.promise);
    await this.bookkeeping("record decision", () => this.ports.resolveIncident(incident.id, decision));
    this.publish({ status: decision.action === "abandon" ? "abandoned" : "processing", incident: null });
    return decision;
  }
}
