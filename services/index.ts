// Every Restate service postpay serves, built from its ports. Entry points bind these to an
// endpoint (src/runtime/endpoint.ts); nothing here starts a server.
import { createOrderWorkflow } from "./order-workflow.ts";
import type { AlertPorts, OrderPorts } from "./ports.ts";
import { createSlackAlerts, type AlertOptions } from "./slack-alerts.ts";
import type { StepPolicy } from "./step-runner.ts";

export type ServiceOptions = { steps: StepPolicy; alerts: AlertOptions };
export type { AlertOptions, StepPolicy };

export function createServices(ports: OrderPorts & AlertPorts, options: ServiceOptions) {
  return [createOrderWorkflow(ports, options.steps), createSlackAlerts(ports, options.alerts)];
}
