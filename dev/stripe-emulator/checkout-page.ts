// The emulator's stand-in for Stripe's hosted checkout page (the `url` of a Checkout Session):
// the items and the total, the ship-to address when the session collects one, and two buttons. Pay completes the session paid; Decline completes it
// with a delayed payment method that then fails (checkout.session.async_payment_failed), which
// ends the order as payment_failed. Each sends its signed webhooks, as Stripe would.
import { Hono } from "hono";
import { html } from "hono/html";
import {
  EmulatorError,
  TEST_SHIPPING,
  type Delivery,
  type EmulatedSession,
  type EmulatorState,
  type PageLineItem,
  type ShippingDetails,
} from "./state.ts";

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;

const shell = (title: string, body: ReturnType<typeof html>) => html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Stripe emulator</title>
<style>
body { font:16px/1.5 system-ui,sans-serif; background:#f6f9fc; color:#1a1f36; margin:0; }
main { max-width:30rem; margin:2rem auto; background:#fff; padding:1.5rem; border-radius:10px; box-shadow:0 2px 8px #0001; }
table { width:100%; border-collapse:collapse; } td { padding:.35rem 0; border-bottom:1px solid #e6ebf1; } td.n { text-align:right; }
.total td { font-weight:700; border:none; } .muted { color:#697386; font-size:.9em; }
form { display:flex; gap:.6rem; margin-top:1.2rem; } button { flex:1; font:inherit; padding:.7rem; border-radius:6px; border:1px solid #cfd7df; cursor:pointer; }
button.pay { background:#635bff; color:#fff; border-color:#635bff; }
fieldset { border:1px solid #e6ebf1; border-radius:6px; margin:1rem 0 0; display:grid; gap:.4rem; flex-basis:100%; }
label { display:grid; font-size:.85em; color:#697386; } input, select { font:inherit; padding:.35rem; border:1px solid #cfd7df; border-radius:4px; }
form { flex-wrap:wrap; }
</style></head><body><main>${body}</main></body></html>`;

function checkoutPage(session: EmulatedSession, items: PageLineItem[]) {
  const currency = session.currency ?? "usd";
  return shell(
    "Checkout",
    html`<p class="muted">Stripe emulator · test mode</p>
<h1>Pay ${money(session.amount_total ?? 0, currency)}</h1>
${session.customer_email ? html`<p class="muted">${session.customer_email}</p>` : ""}
<table id="items">${items.map(
      (i) =>
        html`<tr><td>${i.name} × ${i.quantity}</td><td class="n">${money(i.unitAmount * i.quantity, currency)}</td></tr>`,
    )}<tr class="total"><td>Total</td><td class="n" id="total">${money(session.amount_total ?? 0, currency)}</td></tr></table>
<form method="post" action="/pay/${session.id}">
  ${session.shipping_address_collection ? addressFields(session.shipping_address_collection.allowed_countries) : ""}
  <button name="choice" value="decline" type="submit">Decline</button>
  <button class="pay" name="choice" value="pay" type="submit">Pay</button>
</form>`,
  );
}

// Prefilled with a test address, as a developer would type it; every field can be changed.
const addressFields = (countries: string[]) => {
  const a = TEST_SHIPPING.address;
  const field = (name: string, label: string, value: string | null, required = true) =>
    html`<label>${label}<input name="${name}" value="${value ?? ""}" ${required ? "required" : ""}></label>`;
  return html`<fieldset id="shipping"><legend>Shipping address</legend>
  ${field("name", "Name", TEST_SHIPPING.name)} ${field("line1", "Address line 1", a.line1)}
  ${field("line2", "Address line 2", a.line2, false)} ${field("city", "City", a.city)}
  ${field("state", "State", a.state, false)} ${field("postal_code", "Postal code", a.postal_code)}
  <label>Country<select name="country">${countries.map(
    (c) => html`<option value="${c}" ${c === a.country ? "selected" : ""}>${c}</option>`,
  )}</select></label></fieldset>`;
};

/** The address the page's form sent, in Stripe's shape; blank optional fields are null, as on Stripe. */
function shippingFrom(form: Record<string, unknown>): ShippingDetails {
  const text = (name: string) => (typeof form[name] === "string" && (form[name] as string).trim()) || null;
  return {
    name: text("name") ?? "",
    address: {
      line1: text("line1"),
      line2: text("line2"),
      city: text("city"),
      state: text("state"),
      postal_code: text("postal_code"),
      country: text("country"),
    },
  };
}

const resultPage = (session: EmulatedSession, outcome: string, deliveries: Delivery[]) =>
  shell(
    outcome,
    html`<h1 id="outcome">${outcome}</h1>
<p class="muted">Webhook deliveries: ${deliveries.map((d) => `${d.eventId} → ${d.status || "unreachable"}`).join(", ")}</p>
${session.success_url ? html`<p><a href="${session.success_url}">Back to the shop</a></p>` : ""}`,
  );

export function checkoutPageRoutes(state: EmulatorState): Hono {
  const app = new Hono();
  app.get("/pay/:id", (c) => {
    const session = state.session(c.req.param("id"));
    if (!session) return c.text(`Stripe emulator: no such checkout session ${c.req.param("id")}`, 404);
    if (session.status !== "open")
      return c.html(shell("Checkout", html`<h1>This checkout is ${session.status}.</h1>`), 409);
    return c.html(checkoutPage(session, state.lineItems(session.id)));
  });
  app.post("/pay/:id", async (c) => {
    const id = c.req.param("id");
    const form = await c.req.parseBody();
    const choice = form.choice;
    const shipping = state.session(id)?.shipping_address_collection ? { shippingDetails: shippingFrom(form) } : {};
    try {
      if (choice === "pay")
        return c.html(resultPage(state.session(id)!, "Payment succeeded", [await state.complete(id, shipping)]));
      if (choice !== "decline") return c.text("choice must be pay or decline", 400);
      const completed = await state.complete(id, { paymentStatus: "unpaid", ...shipping });
      const failed = await state.asyncResult(id, "failed");
      return c.html(resultPage(state.session(id)!, "Payment declined", [completed, failed]));
    } catch (err) {
      if (err instanceof EmulatorError) return c.text(err.message, err.status);
      throw err;
    }
  });
  return app;
}
