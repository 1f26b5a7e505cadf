// The read endpoints postpay calls after checkout, on Stripe's wire format: a PaymentIntent, a
// charge, a dispute, a charge's refunds (a list), and a Checkout Session with `expand[]=payment_intent`.
import type { Context, Hono } from "hono";
import { parseStripeForm } from "./form.ts";
import type { EmulatorState } from "./state.ts";

const missing = (c: Context, what: string, id: string) =>
  c.json(
    {
      error: {
        type: "invalid_request_error",
        message: `No such ${what}: '${id}'`,
        code: "resource_missing",
        param: "id",
      },
    },
    404,
  );

/** Stripe's `expand[0]=payment_intent` (stripe-node's encoding of `expand: ["payment_intent"]`). */
const expands = (c: Context, field: string) => {
  const query = new URL(c.req.url).search.slice(1);
  const expand = parseStripeForm(query).expand;
  return Array.isArray(expand) && expand.includes(field);
};

export function paymentApi(app: Hono, state: EmulatorState) {
  app.get("/v1/checkout/sessions/:id", (c) => {
    const session = state.session(c.req.param("id"));
    if (!session) return missing(c, "checkout.session", c.req.param("id"));
    const pi = typeof session.payment_intent === "string" ? state.payments.intent(session.payment_intent) : undefined;
    return c.json(pi && expands(c, "payment_intent") ? { ...session, payment_intent: pi } : session);
  });
  app.get("/v1/payment_intents/:id", (c) => {
    const pi = state.payments.intent(c.req.param("id"));
    return pi ? c.json(pi) : missing(c, "payment_intent", c.req.param("id"));
  });
  app.get("/v1/charges/:id", (c) => {
    const charge = state.payments.charge(c.req.param("id"));
    return charge ? c.json(charge) : missing(c, "charge", c.req.param("id"));
  });
  app.get("/v1/disputes/:id", (c) => {
    const dispute = state.payments.dispute(c.req.param("id"));
    return dispute ? c.json(dispute) : missing(c, "dispute", c.req.param("id"));
  });
  app.get("/v1/refunds", (c) => {
    const charge = c.req.query("charge") ?? "";
    const data = state.payments.refundsOf(charge);
    return c.json({ object: "list", data, has_more: false, url: "/v1/refunds" });
  });
}
