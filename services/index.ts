// Every Restate service postpay serves, built from its ports. Entry points bind these to an
// endpoint (src/runtime/endpoint.ts); nothing here starts a server.
import type { EscalationPolicy } from "./escalation.ts";
import { createOrderWorkflow } from "./order-workflow.ts";
import type { AlertPorts, OrderPorts, ShipmentPorts, StuckOrderPorts } from "./ports.ts";
import { createShipments, type ShipmentPolicy } from "./shipments.ts";
import { createSlackAlerts, type AlertOptions } from "./slack-alerts.ts";
import type { StepPolicy } from "./step-runner.ts";
import { createStuckOrders, type StuckOrderPolicy } from "./stuck-orders.ts";
import { createSupportDesk } from "./support-desk.ts";

export type ServiceOptions = {
  steps: StepPolicy;
  escalation: EscalationPolicy;
  alerts: AlertOptions;
  shipments: ShipmentPolicy;
  stuckOrders: StuckOrderPolicy;
};
export type { AlertOptions, EscalationPolicy, ShipmentPolicy, StepPolicy, StuckOrderPolicy };

export function createServices(
  ports: OrderPorts & AlertPorts & ShipmentPorts & StuckOrderPorts,
  options: ServiceOptions,
) {
  return [
    createOrderWorkflow(ports, options),
    createSlackAlerts(ports, options.alerts),
    createSupportDesk(ports),
    createShipments(ports, options),
    createStuckOrders(ports, options.stuckOrders),
  ];
}
