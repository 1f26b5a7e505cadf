// The Checkout Session endpoints postpay calls, on Stripe's wire format: API-key auth,
// form-encoded parameters, Stripe's error shapes and Idempotency-Key replay. stripe-node talks to
// it as it talks to Stripe. The reads after checkout (PaymentIntents, charges, disputes): payment-api.ts.
import { Hono, type Context, type MiddlewareHandler } from "hono";
import Stripe from "stripe";
import { z } from "zod";
import { bracketParam, formFingerprint, parseStripeForm } from "./form.ts";
import { paymentApi } from "./payment-api.ts";
import { randomId, type EmulatorState, type PageLineItem, type SessionRequest } from "./state.ts";

const integer = (min: number) =>
  z
    .string()
    .regex(/^-?\d+$/, "Invalid integer")
    .transform(Number)
    .pipe(z.number().int().min(min));

type AllowedCountry = Stripe.Checkout.Session.ShippingAddressCollection.AllowedCountry;

const LineItem = z.looseObject({
  quantity: integer(1),
  price_data: z.looseObject({
    currency: z.string().regex(/^[a-zA-Z]{3}$/, "Invalid currency"),
    unit_amount: integer(0),
    product_data: z.looseObject({ name: z.string().min(1) }).optional(),
    product: z.string().optional(),
  }),
});

const CreateSession = z.looseObject({
  mode: z.literal("payment", "The Stripe emulator supports mode=payment only"),
  line_items: z.array(LineItem).min(1),
  client_reference_id: z.string().max(200).optional(),
  customer_email: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  success_url: z.string().optional(),
  cancel_url: z.string().optional(),
  shipping_address_collection: z
    .looseObject({ allowed_countries: z.array(z.string().regex(/^[A-Z]{2}$/, "Invalid country")).min(1) })
    .optional(),
  payment_intent_data: z.looseObject({ metadata: z.record(z.string(), z.string()).optional() }).optional(),
});

/** The `error` object of Stripe's error responses. */
type StripeErrorBody = { type: string; message: string; code?: string; param?: string };
type Answer = { status: number; error: StripeErrorBody };

const stripeError = (c: Context, { status, error }: Answer) => c.json({ error }, status as 400);
const invalid = (message: string, more: Omit<StripeErrorBody, "type" | "message"> = {}): StripeErrorBody => ({
  type: "invalid_request_error",
  message,
  ...more,
});

export function stripeApi(state: EmulatorState, secretKey: string): Hono {
  const app = new Hono();
  app.use("/v1/*", authenticate(secretKey));

  app.post("/v1/checkout/sessions", async (c) => {
    const raw = await c.req.text();
    const idempotencyKey = c.req.header("idempotency-key");
    const fingerprint = `POST /v1/checkout/sessions?${formFingerprint(raw)}`;
    const prior = idempotencyKey ? state.idempotency.get(idempotencyKey) : undefined;
    if (prior && prior.request !== fingerprint) {
      return stripeError(c, {
        status: 400,
        error: {
          type: "idempotency_error",
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        },
      });
    }
    if (prior) {
      c.header("idempotent-replayed", "true");
      c.header("idempotency-key", idempotencyKey);
      return c.body(prior.body, prior.status as 200, { "content-type": "application/json" });
    }

    const request = sessionRequest(raw);
    if ("error" in request) return stripeError(c, request);
    const { lineItems, ...fields } = request;
    const body = JSON.stringify(state.openSession(fields, lineItems));
    // Like Stripe, only a request that got past validation pins its key.
    if (idempotencyKey) {
      state.idempotency.set(idempotencyKey, { request: fingerprint, status: 200, body });
      c.header("idempotency-key", idempotencyKey);
    }
    return c.body(body, 200, { "content-type": "application/json" });
  });

  paymentApi(app, state);

  app.all("/v1/*", (c) => {
    const message = `Unrecognized request URL (${c.req.method}: ${c.req.path}). The Stripe emulator serves POST /v1/checkout/sessions and GET /v1/checkout/sessions/:id, /v1/payment_intents/:id, /v1/charges/:id, /v1/disputes/:id, /v1/refunds.`;
    return stripeError(c, { status: 404, error: invalid(message) });
  });
  return app;
}

/** Stripe takes the secret key as a Bearer token or as the user of Basic auth. */
function authenticate(secretKey: string): MiddlewareHandler {
  return async (c, next) => {
    const auth = c.req.header("authorization") ?? "";
    const key = auth.startsWith("Bearer ")
      ? auth.slice(7).trim()
      : auth.startsWith("Basic ")
        ? Buffer.from(auth.slice(6), "base64").toString().split(":")[0]
        : undefined;
    if (!key) {
      const message =
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').";
      return stripeError(c, { status: 401, error: invalid(message) });
    }
    if (key !== secretKey) {
      return stripeError(c, {
        status: 401,
        error: invalid(`Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}`),
      });
    }
    c.header("request-id", randomId("req_", 14));
    c.header("stripe-version", c.req.header("stripe-version") ?? Stripe.API_VERSION);
    await next();
  };
}

/** A create request's form, validated and totalled, or the 400 Stripe would answer. */
function sessionRequest(raw: string): (SessionRequest & { lineItems: PageLineItem[] }) | Answer {
  const parsed = CreateSession.safeParse(parseStripeForm(raw), { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = bracketParam(issue.path);
    const missing = issue.code === "invalid_type" && issue.input === undefined;
    const message = missing ? `Missing required param: ${param}.` : `${issue.message}: ${param}`;
    return {
      status: 400,
      error: invalid(message, { code: missing ? "parameter_missing" : "parameter_invalid", param }),
    };
  }
  const input = parsed.data;
  const currencies = new Set(input.line_items.map((li) => li.price_data.currency.toLowerCase()));
  if (currencies.size > 1) {
    const error = invalid("All line items must use the same currency.", {
      code: "parameter_invalid",
      param: "line_items",
    });
    return { status: 400, error };
  }
  return {
    mode: input.mode,
    amount_total: input.line_items.reduce((sum, li) => sum + li.price_data.unit_amount * li.quantity, 0),
    currency: [...currencies][0]!,
    client_reference_id: input.client_reference_id ?? null,
    customer_email: input.customer_email ?? null,
    metadata: input.metadata ?? {},
    success_url: input.success_url ?? null,
    cancel_url: input.cancel_url ?? null,
    shipping_address_collection: input.shipping_address_collection
      ? { allowed_countries: input.shipping_address_collection.allowed_countries as AllowedCountry[] }
      : null,
    paymentIntentMetadata: input.payment_intent_data?.metadata ?? {},
    lineItems: input.line_items.map((li) => ({
      name: li.price_data.product_data?.name ?? li.price_data.product ?? "item",
      quantity: li.quantity,
      unitAmount: li.price_data.unit_amount,
    })),
  };
}
