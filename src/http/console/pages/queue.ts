// The home page: open incidents, oldest first, each with what failed and the three decisions.
import { html } from "hono/html";
import type { QueueData } from "../data.ts";
import { age, orderLink, time } from "../format.ts";
import { page } from "../layout.ts";
import type { Session } from "../session.ts";
import { decisionForm } from "./decide.ts";

type Incident = QueueData["incidents"][number];

const clip = (s: string, n = 400) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const row = (session: Session, i: Incident) => html`<tr data-incident="${i.id}">
  <td data-label="Waiting"><span title="${time(i.createdAt)}">${age(i.createdAt)}</span></td>
  <td data-label="Order" class="id">${orderLink(i.orderId)}</td>
  <td data-label="Step">${i.step}</td>
  <td data-label="Error"><pre>${clip(i.error)}</pre></td>
  <td data-label="Customer" class="id">${i.customerId}</td>
  <td data-label="Decision">${
    i.resolution
      ? html`<span class="badge processing">${i.resolution}</span> <span class="muted small">by ${i.decidedBy} via ${i.decidedVia}; the order is taking it up</span>`
      : decisionForm(session, { orderId: i.orderId, incidentId: i.id, step: i.step })
  }</td>
</tr>`;

export function queuePage(session: Session, data: QueueData, live: string) {
  const { incidents } = data;
  return page(
    { title: "Incidents", session, section: "queue", live },
    html`<h1>Incidents <span class="muted">(${incidents.length} open)</span></h1>
${
  incidents.length
    ? html`<table class="cards" id="queue">
  <thead><tr><th>Waiting</th><th>Order</th><th>Step</th><th>Error</th><th>Customer</th><th>Decision</th></tr></thead>
  <tbody>${incidents.map((i) => row(session, i))}</tbody>
</table>
<p class="muted small">Retry runs the failed step again; Mark done by hand lets the order go on as if it had succeeded; Abandon ends the order. Every decision is recorded with who made it.</p>`
    : html`<p class="notice ok">No open incidents. A step that fails after payment shows up here (and in Slack).</p>`
}`,
  );
}
