// The rest of an order's page: shipments per center, incidents with who decided what, the emails
// stored and sent, and where to read its Restate journal.
import { html } from "hono/html";
import { DEFAULT_ADMIN_URL } from "../../../config.ts";
import {
  journalCommand,
  journalUrl,
  type AdminOrderView,
  type IncidentView,
  type ShipmentView,
} from "../../../domain/order-view.ts";
import type { OrderPageData } from "../data.ts";
import { time } from "../format.ts";

export function shipmentsTable(shipments: ShipmentView[]) {
  if (!shipments.length) return html`<p class="muted">None yet.</p>`;
  return html`<table class="cards" id="shipments">
  <thead><tr><th>Center</th><th>Shipment</th><th>Status</th><th>Tracking</th><th>Shipped</th><th>Delivered</th><th>Estimated arrival</th></tr></thead>
  <tbody>${shipments.map(
    (s) => html`<tr data-center="${s.centerId}"><td data-label="Center">${s.centerId}</td>
    <td data-label="Shipment" class="id">${s.shipmentId ?? html`<span class="muted">done by hand</span>`}</td>
    <td data-label="Status" data-shipment-status="${s.status}">${s.status}</td>
    <td data-label="Tracking">${s.trackingNumber ? html`${s.carrier ?? ""} ${s.trackingUrl ? html`<a href="${s.trackingUrl}" rel="noreferrer noopener">${s.trackingNumber}</a>` : s.trackingNumber}` : "—"}</td>
    <td data-label="Shipped">${time(s.shippedAt)}</td><td data-label="Delivered">${time(s.deliveredAt)}</td>
    <td data-label="Estimated arrival">${s.estimatedArrival ?? "—"}</td></tr>`,
  )}</tbody>
</table>`;
}

const decisionCell = (i: IncidentView) =>
  i.decision
    ? html`<strong>${i.decision.action}</strong> by ${i.decision.decidedBy} via ${i.decision.via}<br>
      <span class="muted small">${time(i.decision.decidedAt)}</span>${i.decision.note ? html`<br>“${i.decision.note}”` : ""}`
    : html`<span class="muted">waiting</span>`;

export function incidentsTable(incidents: IncidentView[]) {
  if (!incidents.length) return html`<p class="muted">None.</p>`;
  return html`<table class="cards" id="incidents">
  <thead><tr><th>Opened</th><th>Step</th><th>Error</th><th>Status</th><th>Decision</th></tr></thead>
  <tbody>${incidents.map(
    (
      i,
    ) => html`<tr data-incident="${i.id}"><td data-label="Opened">${time(i.openedAt)}<br><span class="muted id">${i.id}</span></td>
    <td data-label="Step">${i.step}</td><td data-label="Error"><pre>${i.error}</pre></td>
    <td data-label="Status">${i.status}</td><td data-label="Decision">${decisionCell(i)}</td></tr>`,
  )}</tbody>
</table>`;
}

export function emailsTable(emails: OrderPageData["emails"]) {
  if (!emails.length) return html`<p class="muted">None.</p>`;
  return html`<table class="cards" id="emails">
  <thead><tr><th>Kind</th><th>To</th><th>Subject</th><th>Stored</th><th>Sent</th></tr></thead>
  <tbody>${emails.map(
    (
      e,
    ) => html`<tr><td data-label="Kind">${e.kind}</td><td data-label="To">${e.recipient}</td><td data-label="Subject">${e.subject}</td>
    <td data-label="Stored">${time(e.createdAt)}</td><td data-label="Sent">${e.sentAt ? time(e.sentAt) : html`<span class="muted">outbox only</span>`}</td></tr>`,
  )}</tbody>
</table>`;
}

export function journal(order: AdminOrderView, restateAdminUrl?: string) {
  if (!order.invocationId) {
    return html`<p class="muted">No live workflow: the order has not started, or it is past Restate's retention.</p>
<pre>npx restate invocations list --service OrderWorkflow --key ${order.orderId} --all</pre>`;
  }
  return html`<pre id="journal-command">${journalCommand(order.invocationId, restateAdminUrl)}</pre>
<p>Invocation <span class="id">${order.invocationId}</span> · <a href="${journalUrl(order.invocationId, restateAdminUrl ?? DEFAULT_ADMIN_URL)}">Restate UI</a>
<span class="muted small">(Restate's admin port: reachable from the operators' network only)</span></p>`;
}
