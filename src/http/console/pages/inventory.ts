// Stock per product; low stock (below LOW_STOCK) is highlighted.
import { html } from "hono/html";
import type { InventoryData } from "../data.ts";
import { page } from "../layout.ts";
import type { Session } from "../session.ts";

export function inventoryPage(session: Session, { products, lowStock }: InventoryData) {
  const low = products.filter((p) => p.stock < lowStock).length;
  return page(
    { title: "Inventory", session, section: "inventory" },
    html`<h1>Inventory</h1>
${low ? html`<p class="notice bad">${low} product${low > 1 ? "s are" : " is"} below ${lowStock} in stock.</p>` : ""}
<table class="cards" id="inventory">
  <thead><tr><th>Product</th><th>Name</th><th>Center</th><th>Stock</th></tr></thead>
  <tbody>${products.map(
    (p) => html`<tr${p.stock < lowStock ? html` class="low"` : ""} data-product="${p.productId}">
    <td data-label="Product" class="id">${p.productId}</td>
    <td data-label="Name">${p.name}</td>
    <td data-label="Center">${p.fulfillmentCenterId}</td>
    <td data-label="Stock"><strong>${p.stock}</strong>${p.stock < lowStock ? html` <span class="badge failed">low</span>` : ""}</td>
  </tr>`,
  )}</tbody>
</table>`,
  );
}
