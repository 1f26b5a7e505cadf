// One order's page (/console/orders/:id, where Slack alerts link): status, what was bought, the
// open incident with its decision form, the step timeline, then its history (order-history.ts).
import { html } from "hono/html";
import { isFinal } from "../../../domain/order.ts";
import type { StepView } from "../../../domain/order-view.ts";
import type { ShipTo } from "../../../domain/ship-to.ts";
import type { OrderPageData } from "../data.ts";
import { clock, duration, money, statusBadge, time } from "../format.ts";
import { page } from "../layout.ts";
import type { Session } from "../session.ts";
import { decisionForm } from "./decide.ts";
import { emailsTable, incidentsTable, journal, shipmentsTable } from "./order-history.ts";
import { paymentFacts, stripeEventsTable } from "./stripe.ts";

const shipToLines = (to: ShipTo | null) =>
  to
    ? html`<address>${to.name}<br>${to.line1}${to.line2 ? html`<br>${to.line2}` : ""}<br>${to.postalCode} ${to.city}${to.state ? `, ${to.state}` : ""}<br>${to.country}</address>`
    : html`<span class="muted">none yet</span>`;

export type OrderPageOptions = { live?: string; decided?: string; restateAdminUrl?: string; traceUrl?: string };

const tookMs = (s: StepView) => (s.startedAt ? new Date(s.at).getTime() - new Date(s.startedAt).getTime() : undefined);

const stepRow = (s: StepView) => {
  const took = tookMs(s);
  return html`<tr data-step="${s.name}">
  <td data-label="Step">${s.name}</td>
  <td data-label="Status"><span class="badge ${s.status}">${s.status === "skipped" ? "done by hand" : s.status}</span></td>
  <td data-label="Started">${clock(s.startedAt)}</td>
  <td data-label="Finished">${clock(s.at)}</td>
  <td data-label="Took" class="nowrap">${took === undefined ? "—" : duration(took)}</td>
  <td data-label="Error">${s.error ? html`<pre>${s.error}</pre>` : ""}</td>
</tr>`;
};

function timeline(steps: StepView[]) {
  if (!steps.length)
    return html`<p class="muted">No steps yet: the order has not started, or its journal is past Restate's retention.</p>`;
  return html`<table class="cards" id="steps">
  <thead><tr><th>Step</th><th>Status</th><th>Started</th><th>Finished</th><th>Took</th><th>Error</th></tr></thead>
  <tbody>${steps.map(stepRow)}</tbody>
</table>`;
}

function bought({ bought }: OrderPageData) {
  if (!bought) return "";
  return html`<table class="cards" id="items">
  <thead><tr><th>Product</th><th>Quantity</th><th>Unit price</th><th>Center</th></tr></thead>
  <tbody>${bought.items.map(
    (
      i,
    ) => html`<tr><td data-label="Product">${i.name} <span class="muted id">${i.productId}</span></td><td data-label="Quantity">${i.quantity}</td>
    <td data-label="Unit price">${money(i.unitPriceCents, bought.currency)}</td><td data-label="Center">${i.fulfillmentCenterId}</td></tr>`,
  )}</tbody>
</table>`;
}

function openIncident(session: Session, data: OrderPageData) {
  const { order } = data;
  const open = order.incident && order.incidents.find((i) => i.id === order.incident!.id);
  if (!open) return "";
  return html`<div class="card" id="open-incident">
  <h2>Needs a decision: step “${open.step}” failed</h2>
  <pre>${open.error}</pre>
  ${
    open.decision
      ? html`<p class="notice">Decided: <strong>${open.decision.action}</strong> by ${open.decision.decidedBy} via ${open.decision.via} at ${time(open.decision.decidedAt)}. The order is taking it up.</p>`
      : decisionForm(session, { orderId: order.orderId, incidentId: open.id, step: open.step })
  }
</div>`;
}

export function orderPage(session: Session, data: OrderPageData, options: OrderPageOptions) {
  const { order, bought: b } = data;
  return page(
    {
      title: `Order ${order.orderId}`,
      session,
      section: "orders",
      live: isFinal(order.status) ? undefined : options.live,
    },
    html`<h1>Order <span class="id" id="order-id">${order.orderId}</span></h1>
${options.decided ? html`<p class="notice ok">Your decision (${options.decided}) is recorded; the order acts on it.</p>` : ""}
<div class="card">
  <dl class="facts">
    <dt>Status</dt><dd id="status">${statusBadge(order.status)}</dd>
    <dt>Started</dt><dd>${time(order.steps[0]?.startedAt ?? order.steps[0]?.at)}</dd>
    <dt>Customer</dt><dd><span class="id">${order.customer.id}</span> · ${order.customer.email}</dd>
    <dt>Ship to</dt><dd id="ship-to">${shipToLines(order.shipTo)}</dd>
    <dt>Total</dt><dd>${b ? money(b.amountTotal, b.currency) : "—"}</dd>
    <dt>Payment</dt><dd id="payment">${paymentFacts(order.payment)}</dd>
    <dt>Estimated arrival</dt><dd>${order.estimatedArrival ?? "—"}</dd>
    <dt>Fulfillment</dt><dd id="fulfillment">${order.fulfillment.replace("_", " ")}</dd>
    <dt>Ran on</dt><dd id="ran-on">${data.ranOn ? `services ${data.ranOn}` : html`<span class="muted">unknown</span>`}</dd>
  </dl>
</div>
${openIncident(session, data)}
<h2>Steps</h2>
${timeline(order.steps)}
<h2>Items</h2>
${bought(data)}
<h2>Shipments</h2>
${shipmentsTable(order.shipments)}
<h2>Incidents</h2>
${incidentsTable(order.incidents)}
<h2>Stripe: refunds, disputes, reviews</h2>
${stripeEventsTable(order.stripeEvents)}
<h2>Emails</h2>
${emailsTable(data.emails)}
<h2>Journal</h2>
${journal(order, options.restateAdminUrl)}
${options.traceUrl ? html`<p><a id="trace-link" href="${options.traceUrl}">The order's trace</a> (webhook, Restate, every step and call)</p>` : ""}`,
  );
}
