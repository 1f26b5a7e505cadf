// An order's payment on its console page: the PaymentIntent and charge with the Dashboard link, and
// Stripe's news after checkout (refunds, disputes, early fraud warnings, reviews) as recorded.
import { html } from "hono/html";
import type { AdminOrderView } from "../../../domain/order-view.ts";
import { signalNotice } from "../../../domain/stripe-signals.ts";
import { time } from "../format.ts";

export function paymentFacts(payment: AdminOrderView["payment"]) {
  if (!payment) return html`<span class="muted">not verified yet</span>`;
  return html`<span class="id" id="payment-intent">${payment.paymentIntentId}</span>${
    payment.chargeId ? html` · charge <span class="id" id="charge">${payment.chargeId}</span>` : ""
  } · <a id="dashboard-link" href="${payment.dashboardUrl}" rel="noreferrer noopener">Stripe Dashboard</a>`;
}

export function stripeEventsTable(events: AdminOrderView["stripeEvents"]) {
  if (!events.length) return html`<p class="muted">None.</p>`;
  return html`<table class="cards" id="stripe-events">
  <thead><tr><th>Received</th><th>Event</th><th>What</th><th>Hand-off</th></tr></thead>
  <tbody>${events.map((e) => {
    const { title, details } = signalNotice(e);
    return html`<tr data-event="${e.eventId}" data-type="${e.type}"><td data-label="Received">${time(e.receivedAt)}<br><span class="muted id">${e.eventId}</span></td>
    <td data-label="Event">${title}<br><span class="muted id">${e.objectId}</span></td>
    <td data-label="What">${details}</td><td data-label="Hand-off">${e.afterHandOff ? "after" : "before"}</td></tr>`;
  })}</tbody>
</table>`;
}
