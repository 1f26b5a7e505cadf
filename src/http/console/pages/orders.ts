// Orders, newest first: filter by status, search by order id or customer id (prefix), paginated.
import { html } from "hono/html";
import { ORDER_STATUSES } from "../../../domain/order.ts";
import type { OrdersData } from "../data.ts";
import { age, money, orderLink, statusBadge, time } from "../format.ts";
import { page } from "../layout.ts";
import type { Session } from "../session.ts";

type Order = OrdersData["orders"][number];

const row = (o: Order) => html`<tr data-order="${o.id}">
  <td data-label="Placed"><span title="${time(o.createdAt)}">${age(o.createdAt)} ago</span></td>
  <td data-label="Order" class="id">${orderLink(o.id)}</td>
  <td data-label="Customer" class="id">${o.customerId}</td>
  <td data-label="Status">${statusBadge(o.status)}${o.failedStep ? html` <span class="muted small">${o.failedStep}</span>` : ""}</td>
  <td data-label="Total">${money(o.amountTotal, o.currency)}</td>
</tr>`;

function filters({ filter }: OrdersData) {
  const option = (value: string, label: string) =>
    html`<option value="${value}"${(filter.status ?? "") === value ? html` selected` : ""}>${label}</option>`;
  return html`<form class="filters" method="get" action="/console/orders">
  <select name="status" aria-label="Status">${option("", "any status")}${ORDER_STATUSES.map((s) => option(s, s.replace("_", " ")))}</select>
  <input type="search" name="q" value="${filter.q ?? ""}" placeholder="Order id or customer id" aria-label="Search">
  <button type="submit">Filter</button>
</form>`;
}

function pager({ filter, nextCursor }: OrdersData) {
  const query = (after?: string) =>
    new URLSearchParams({
      ...(filter.status && { status: filter.status }),
      ...(filter.q && { q: filter.q }),
      ...(after && { after }),
    }).toString();
  return html`<p class="pager">
  ${filter.after ? html`<a href="/console/orders?${query()}">« Newest</a>` : ""}
  ${nextCursor ? html`<a href="/console/orders?${query(nextCursor)}" rel="next">Older »</a>` : ""}
</p>`;
}

export function ordersPage(session: Session, data: OrdersData) {
  return page(
    { title: "Orders", session, section: "orders" },
    html`<h1>Orders</h1>
${filters(data)}
${
  data.orders.length
    ? html`<table class="cards" id="orders">
  <thead><tr><th>Placed</th><th>Order</th><th>Customer</th><th>Status</th><th>Total</th></tr></thead>
  <tbody>${data.orders.map(row)}</tbody>
</table>`
    : html`<p class="notice">No orders match.</p>`
}
${pager(data)}`,
  );
}
