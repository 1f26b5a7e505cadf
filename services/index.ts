// Every Restate service postpay serves, built from its ports. Entry points bind these to an
// endpoint (src/runtime/endpoint.ts); nothing here starts a server.
import type { EscalationPolicy } from "./escalation.ts";
import { createOrderWorkflow } from "./order-workflow.ts";
import type { AlertPorts, OrderPorts, ShipmentPorts } from "./ports.ts";
import { createShipments } from "./shipments.ts";
import { createSlackAlerts, type AlertOptions } from "./slack-alerts.ts";
import type { StepPolicy } from "./step-runner.ts";
import { createSupportDesk } from "./support-desk.ts";

export type ServiceOptions = { steps: StepPolicy; escalation: EscalationPolicy; alerts: AlertOptions };
export type { AlertOptions, EscalationPolicy, StepPolicy };

/** Shipments is served when its ports are given (the real wiring always gives them; workflow tests' fakes need not). */
export function createServices(ports: OrderPorts & AlertPorts & Partial<ShipmentPorts>, options: ServiceOptions) {
  const withShipments = (p: typeof ports): p is OrderPorts & AlertPorts & ShipmentPorts =>
    typeof p.applyShipmentEvent === "function";
  return [
    createOrderWorkflow(ports, options),
    createSlackAlerts(ports, options.alerts),
    createSupportDesk(ports),
    ...(withShipments(ports) ? [createShipments(ports, options)] : []),
  ];
}
