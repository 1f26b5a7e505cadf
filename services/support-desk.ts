// SupportDesk: every incident is also emailed to the support team (SUPPORT_EMAIL), beside Slack.
// Reached by one-way send, so a slow or failing mail server never holds an order; the handler
// is retried by Restate until the email is in the outbox and sent. One email per incident: the
// outbox keys it by the incident id, so a retry or a replay sends it once.
import * as restate from "@restatedev/restate-sdk";
import type { Alert } from "../src/domain/alerts.ts";
import { SERVICE, STEP } from "./durable.ts";
import { asTerminalError, type AlertPorts } from "./ports.ts";

export function createSupportDesk(ports: Pick<AlertPorts, "emailSupport">) {
  return restate.service({
    name: SERVICE.support,
    description: "Emails every incident to the support team.",
    handlers: {
      incident: async (ctx: restate.Context, alert: Alert) =>
        ctx.run(STEP.emailSupport, () => ports.emailSupport(alert)),
    },
    // Only postpay's own services send to it: nobody on the ingress can make it mail anyone.
    options: { asTerminalError, ingressPrivate: true },
  });
}

export type SupportDesk = ReturnType<typeof createSupportDesk>;
