// A local Stripe: the two Checkout Session endpoints postpay uses, on Stripe's wire format (form-encoded
// requests, Stripe error shapes, Idempotency-Key replay), plus the controls the Stripe CLI/dashboard
// would give (pay a session, settle an async payment, redeliver an event) as methods and HTTP.
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import type { Context } from "hono";
import Stripe from "stripe";
import { z } from "zod";

export type CheckoutSession = {
  id: string;
  object: "checkout.session";
  mode: "payment";
  status: "open" | "complete" | "expired";
  payment_status: "paid" | "unpaid";
  amount_subtotal: number;
  amount_total: number;
  currency: string;
  client_reference_id: string | null;
  customer_email: string | null;
  metadata: Record<string, string>;
  success_url: string | null;
  cancel_url: string | null;
  url: string | null;
  payment_intent: string | null;
  created: number;
  expires_at: number;
  livemode: false;
};

export type EmulatorEvent = {
  id: string;
  object: "event";
  api_version: string;
  created: number;
  livemode: false;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  type:
    | "checkout.session.completed"
    | "checkout.session.async_payment_succeeded"
    | "checkout.session.async_payment_failed";
  data: { object: CheckoutSession };
};

/** What the webhook endpoint answered; status 0 means it could not be reached (body = the error). */
export type Delivery = { eventId: string; status: number; body: string };
export type CompleteOptions = { paymentStatus?: "paid" | "unpaid"; amountTotal?: number; currency?: string };
export type AsyncOutcome = "succeeded" | "failed";

export type StripeEmulatorOptions = {
  port?: number;
  host?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  secretKey?: string;
};

export type StripeEmulator = {
  url: string;
  secretKey: string;
  webhookSecret: string;
  setWebhookUrl(url: string | undefined): void;
  session(id: string): CheckoutSession | undefined;
  complete(id: string, opts?: CompleteOptions): Promise<Delivery>;
  asyncResult(id: string, outcome: AsyncOutcome): Promise<Delivery>;
  resend(eventId: string): Promise<Delivery>;
  events(): EmulatorEvent[];
  close(): Promise<void>;
};

/** A control call that cannot proceed; `status` is what the HTTP control endpoint answers. */
export class EmulatorError extends Error {
  override name = "EmulatorError";
  constructor(readonly status: 400 | 404 | 409, message: string) {
    super(message);
  }
}

const DELIVERY_TIMEOUT_MS = 10_000;
const ALNUM = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const randomId = (prefix: string, length = 24) =>
  prefix + Array.from(randomBytes(length), (b) => ALNUM[b % ALNUM.length]).join("");
const nowSecs = () => Math.floor(Date.now() / 1000);

const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Parses Stripe's bracket notation (`line_items[0][price_data][unit_amount]=1999`) into nested
 * objects and arrays, the way Stripe's API reads what stripe-node's encoder writes. Values stay strings.
 */
export function parseStripeForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!match) continue;
    const path = [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!)];
    if (path.some((p) => UNSAFE_KEYS.has(p))) continue;
    let node = root as Record<string | number, unknown>;
    path.forEach((segment, i) => {
      // `items[]=a&items[]=b` appends, as Stripe (and qs) read it.
      const key = segment === "" && Array.isArray(node) ? node.length : segment;
      if (i === path.length - 1) {
        node[key] = value;
        return;
      }
      const existing = node[key];
      if (existing === null || typeof existing !== "object") node[key] = /^\d*$/.test(path[i + 1]!) ? [] : {};
      node = node[key] as Record<string | number, unknown>;
    });
  }
  return compact(root) as Record<string, unknown>;
}

// `a[0]=x&a[2]=y` is a two-element array to Stripe, not one with a hole.
function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compact);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compact(v)]));
  }
  return value;
}

const integer = (min: number) =>
  z
    .string()
    .regex(/^-?\d+$/, "Invalid integer")
    .transform(Number)
    .pipe(z.number().int().min(min));

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
});

// Stripe names the offending parameter in bracket notation.
const bracketParam = (path: PropertyKey[]) =>
  path.map((p, i) => (i === 0 ? String(p) : `[${String(p)}]`)).join("");

type StripeErrorBody = { type: string; message: string; code?: string; param?: string };

export async function startStripeEmulator(options: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const secretKey = options.secretKey ?? "sk_test_postpay_emulator";
  const webhookSecret = options.webhookSecret ?? `whsec_${randomBytes(24).toString("hex")}`;
  let webhookUrl = options.webhookUrl;
  let baseUrl = "";
  const sessions = new Map<string, CheckoutSession>();
  const events = new Map<string, EmulatorEvent>();
  // Idempotency-Key → the request it was first used with and the exact response Stripe would replay.
  const idempotent = new Map<string, { request: string; status: number; body: string }>();
  const closing = new AbortController();

  const stripeError = (c: Context, status: number, error: StripeErrorBody) =>
    c.json({ error }, status as 400);

  const deliver = async (event: EmulatorEvent): Promise<Delivery> => {
    if (!webhookUrl) return { eventId: event.id, status: 0, body: "no webhook URL configured" };
    // Stripe sends the same payload on every attempt; only the signature's timestamp is new.
    const payload = JSON.stringify(event, null, 2);
    try {
      const res = await fetch(webhookUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json; charset=utf-8",
          "stripe-signature": Stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret }),
          "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        },
        body: payload,
        signal: AbortSignal.any([AbortSignal.timeout(DELIVERY_TIMEOUT_MS), closing.signal]),
      });
      return { eventId: event.id, status: res.status, body: await res.text() };
    } catch (err) {
      return { eventId: event.id, status: 0, body: (err as Error).message };
    }
  };

  const emit = (type: EmulatorEvent["type"], session: CheckoutSession) => {
    const event: EmulatorEvent = {
      id: randomId("evt_"),
      object: "event",
      api_version: Stripe.API_VERSION,
      created: nowSecs(),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
      data: { object: structuredClone(session) },
    };
    events.set(event.id, event);
    return deliver(event);
  };

  const mustGet = (id: string) => {
    const session = sessions.get(id);
    if (!session) throw new EmulatorError(404, `No such checkout.session: '${id}'`);
    return session;
  };

  const complete = (id: string, opts: CompleteOptions = {}) => {
    const session = mustGet(id);
    if (session.status !== "open") throw new EmulatorError(409, `checkout.session ${id} is ${session.status}, not open`);
    session.status = "complete";
    session.payment_status = opts.paymentStatus ?? "paid";
    session.url = null; // Stripe drops the hosted page URL once the session is over.
    session.payment_intent = randomId("pi_");
    if (opts.amountTotal !== undefined) session.amount_total = opts.amountTotal;
    if (opts.currency !== undefined) session.currency = opts.currency.toLowerCase();
    return emit("checkout.session.completed", session);
  };

  const asyncResult = (id: string, outcome: AsyncOutcome) => {
    const session = mustGet(id);
    if (session.status !== "complete" || session.payment_status !== "unpaid") {
      throw new EmulatorError(409, `checkout.session ${id} has no pending async payment (status ${session.status}, payment_status ${session.payment_status})`);
    }
    if (outcome === "succeeded") session.payment_status = "paid";
    return emit(`checkout.session.async_payment_${outcome}`, session);
  };

  const resend = (eventId: string) => {
    const event = events.get(eventId);
    if (!event) throw new EmulatorError(404, `No such event: '${eventId}'`);
    return deliver(event);
  };

  const app = new Hono();

  app.use("/v1/*", async (c, next) => {
    const auth = c.req.header("authorization") ?? "";
    const key = auth.startsWith("Bearer ")
      ? auth.slice(7).trim()
      : auth.startsWith("Basic ")
        ? Buffer.from(auth.slice(6), "base64").toString().split(":")[0]
        : undefined;
    if (!key) {
      return stripeError(c, 401, {
        type: "invalid_request_error",
        message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      });
    }
    if (key !== secretKey) {
      return stripeError(c, 401, { type: "invalid_request_error", message: `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}` });
    }
    c.header("request-id", randomId("req_", 14));
    c.header("stripe-version", c.req.header("stripe-version") ?? Stripe.API_VERSION);
    await next();
  });

  app.post("/v1/checkout/sessions", async (c) => {
    const raw = await c.req.text();
    const idempotencyKey = c.req.header("idempotency-key");
    // Parameter order does not matter to Stripe when it compares a reused key's request.
    const fingerprint = `POST /v1/checkout/sessions?${[...new URLSearchParams(raw)].map((p) => p.join("=")).sort().join("&")}`;
    if (idempotencyKey) {
      const prior = idempotent.get(idempotencyKey);
      if (prior && prior.request !== fingerprint) {
        return stripeError(c, 400, {
          type: "idempotency_error",
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        });
      }
      if (prior) {
        c.header("idempotent-replayed", "true");
        c.header("idempotency-key", idempotencyKey);
        return c.body(prior.body, prior.status as 200, { "content-type": "application/json" });
      }
    }

    const parsed = CreateSession.safeParse(parseStripeForm(raw), { reportInput: true });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const missing = issue.code === "invalid_type" && issue.input === undefined;
      return stripeError(c, 400, {
        type: "invalid_request_error",
        code: missing ? "parameter_missing" : "parameter_invalid",
        param: bracketParam(issue.path),
        message: missing ? `Missing required param: ${bracketParam(issue.path)}.` : `${issue.message}: ${bracketParam(issue.path)}`,
      });
    }
    const input = parsed.data;
    const currencies = new Set(input.line_items.map((li) => li.price_data.currency.toLowerCase()));
    if (currencies.size > 1) {
      return stripeError(c, 400, {
        type: "invalid_request_error",
        code: "parameter_invalid",
        param: "line_items",
        message: "All line items must use the same currency.",
      });
    }
    const subtotal = input.line_items.reduce((sum, li) => sum + li.price_data.unit_amount * li.quantity, 0);
    const id = randomId("cs_test_", 58);
    const created = nowSecs();
    const session: CheckoutSession = {
      id,
      object: "checkout.session",
      mode: input.mode,
      status: "open",
      payment_status: "unpaid",
      amount_subtotal: subtotal,
      amount_total: subtotal,
      currency: [...currencies][0]!,
      client_reference_id: input.client_reference_id ?? null,
      customer_email: input.customer_email ?? null,
      metadata: input.metadata ?? {},
      success_url: input.success_url ?? null,
      cancel_url: input.cancel_url ?? null,
      url: `${baseUrl}/pay/${id}`,
      payment_intent: null,
      created,
      expires_at: created + 24 * 3600,
      livemode: false,
    };
    sessions.set(id, session);
    const body = JSON.stringify(session);
    // Like Stripe, only a request that got past validation pins its key.
    if (idempotencyKey) {
      idempotent.set(idempotencyKey, { request: fingerprint, status: 200, body });
      c.header("idempotency-key", idempotencyKey);
    }
    return c.body(body, 200, { "content-type": "application/json" });
  });

  app.get("/v1/checkout/sessions/:id", (c) => {
    const session = sessions.get(c.req.param("id"));
    if (!session) {
      return stripeError(c, 404, {
        type: "invalid_request_error",
        code: "resource_missing",
        param: "id",
        message: `No such checkout.session: '${c.req.param("id")}'`,
      });
    }
    return c.json(session);
  });

  app.all("/v1/*", (c) =>
    stripeError(c, 404, {
      type: "invalid_request_error",
      message: `Unrecognized request URL (${c.req.method}: ${c.req.path}). The Stripe emulator serves only POST /v1/checkout/sessions and GET /v1/checkout/sessions/:id.`,
    }),
  );

  app.get("/pay/:id", (c) => {
    const id = c.req.param("id");
    if (!sessions.has(id)) return c.text(`Stripe emulator: no such checkout session ${id}`, 404);
    return c.html(
      `<!doctype html><title>Stripe emulator</title><p>Stripe emulator: POST /_emulator/checkout/sessions/${id}/complete to pay</p>`,
    );
  });

  const CompleteBody = z.object({
    paymentStatus: z.enum(["paid", "unpaid"]).optional(),
    amountTotal: z.number().int().nonnegative().optional(),
    currency: z.string().regex(/^[a-zA-Z]{3}$/).optional(),
  });
  const AsyncBody = z.object({ outcome: z.enum(["succeeded", "failed"]) });

  // Control endpoints answer in postpay's own error shape, they are not Stripe's API.
  const control = async (c: Context, run: (body: unknown) => Promise<Delivery>) => {
    const text = await c.req.text();
    try {
      return c.json(await run(text.trim() ? JSON.parse(text) : {}));
    } catch (err) {
      const status = err instanceof EmulatorError ? err.status : 400;
      const message = err instanceof z.ZodError ? z.prettifyError(err) : (err as Error).message;
      return c.json({ error: { code: status === 404 ? "not_found" : status === 409 ? "conflict" : "bad_request", message } }, status);
    }
  };
  app.post("/_emulator/checkout/sessions/:id/complete", (c) =>
    control(c, (body) => complete(c.req.param("id")!, CompleteBody.parse(body))),
  );
  app.post("/_emulator/checkout/sessions/:id/async-result", (c) =>
    control(c, (body) => asyncResult(c.req.param("id")!, AsyncBody.parse(body).outcome)),
  );
  app.post("/_emulator/events/:id/resend", (c) => control(c, () => resend(c.req.param("id")!)));
  app.get("/_emulator/events", (c) => c.json([...events.values()]));

  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    secretKey,
    webhookSecret,
    setWebhookUrl: (url) => {
      webhookUrl = url;
    },
    session: (id) => {
      const s = sessions.get(id);
      return s && structuredClone(s);
    },
    // Thrown synchronously by the state checks, but callers always get a promise.
    complete: async (id, opts) => complete(id, opts),
    asyncResult: async (id, outcome) => asyncResult(id, outcome),
    resend: async (eventId) => resend(eventId),
    events: () => [...events.values()].map((e) => structuredClone(e)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort(new Error("Stripe emulator closed"));
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
