// The HTTP app: thin routes that verify, map, hand off and answer. Built by a factory so tests
// and entry points wire it with the same real adapters.
import { createHash, timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { listInventory } from "../../db/catalog.ts";
import { listOpenIncidents } from "../../db/incidents.ts";
import { findStoredOrderView, listCustomerHistory } from "../../db/orders.ts";
import { findSessionForWebhook } from "../../db/sessions.ts";
import type { OrderClient } from "../adapters/restate-ingress.ts";
import { verifyWebhook, type StripeGateway } from "../adapters/stripe.ts";
import { placeCheckout } from "../checkout.ts";
import { CheckoutRequestSchema } from "../domain/checkout.ts";
import { DecisionSchema } from "../domain/decision.ts";
import { isFinal } from "../domain/order.ts";
import { intentOf } from "../domain/stripe-events.ts";
import type { Logger } from "../log.ts";
import { ApiError, ERROR_STATUS, errorBody, toApiError } from "./errors.ts";

/** Stripe's event payloads are far below this; anything larger is not from Stripe. */
export const WEBHOOK_MAX_BYTES = 256 * 1024;
const JSON_MAX_BYTES = 64 * 1024;

export type AppDeps = {
  db: Db;
  stripe: StripeGateway;
  orders: OrderClient;
  webhookSecret: string;
  adminToken: string;
  publicUrl: string;
  log: Logger;
};

export function createApp(deps: AppDeps) {
  const { db, log } = deps;
  const app = new Hono();

  app.onError((err, c) => {
    const apiError = toApiError(err);
    const status = ERROR_STATUS[apiError.code];
    if (status >= 500) log.error({ method: c.req.method, path: c.req.path, err }, "request failed");
    return c.json(errorBody(apiError), status);
  });
  app.notFound((c) => c.json(errorBody(new ApiError("not_found", `no route ${c.req.method} ${c.req.path}`)), 404));

  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError("payload_too_large", `request body over ${maxSize} bytes`);
      },
    });

  async function jsonBody<T>(c: { req: { json(): Promise<unknown> } }, schema: z.ZodType<T>): Promise<T> {
    const body = await c.req.json().catch(() => {
      throw new ApiError("invalid_request", "body must be JSON");
    });
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new ApiError("invalid_request", z.prettifyError(parsed.error));
    return parsed.data;
  }

  app.get("/healthz", (c) => c.json({ ok: true }));

  app.post("/checkout", limit(JSON_MAX_BYTES), async (c) => {
    const placed = await placeCheckout(deps, await jsonBody(c, CheckoutRequestSchema));
    log.info(placed, "checkout created");
    const { amountTotal: _, ...body } = placed;
    return c.json(body, 201);
  });

  app.post("/webhooks/stripe", limit(WEBHOOK_MAX_BYTES), async (c) => {
    const signature = c.req.header("stripe-signature");
    if (!signature) throw new ApiError("invalid_signature", "missing Stripe-Signature header");
    const payload = await c.req.text();
    let event;
    try {
      event = verifyWebhook(payload, signature, deps.webhookSecret);
    } catch (err) {
      if (err instanceof SyntaxError) throw new ApiError("invalid_request", "signed body is not valid JSON");
      throw new ApiError("invalid_signature", (err as Error).message);
    }
    const intent = intentOf(event);
    if (intent.kind === "ignore") return c.json({ received: true, ignored: intent.reason });

    const session = await findSessionForWebhook(db, intent.paymentSessionId);
    if (!session || session.stripeCheckoutSessionId !== intent.checkoutSessionId) {
      log.warn({ eventId: event.id, type: event.type, ...intent }, "webhook for an unknown payment session ignored");
      return c.json({ received: true, ignored: "unknown payment session" });
    }
    // A finished order stays finished: a late redelivery (after Restate's retention has dropped
    // the workflow) must not start it again.
    if (session.orderStatus && isFinal(session.orderStatus)) {
      return c.json({ received: true, ignored: `order already ${session.orderStatus}` });
    }
    // 200 only once Restate has durably accepted the work; if it cannot, Stripe retries.
    const submission = await deps.orders.start(intent.paymentSessionId);
    if (intent.asyncOutcome) {
      await deps.orders.paymentEvent(intent.paymentSessionId, { outcome: intent.asyncOutcome, eventId: event.id });
    }
    log.info({ eventId: event.id, type: event.type, orderId: intent.paymentSessionId, submission: submission.status }, "webhook accepted");
    return c.json({ received: true, orderId: intent.paymentSessionId, invocationId: submission.invocationId });
  });

  app.get("/orders/:id", async (c) => {
    const id = c.req.param("id");
    const view = await deps.orders.status(id).catch((err) => {
      // An unknown workflow key: fall through to the database (not started, or long finished).
      if ((err as { status?: number }).status === 404) return null;
      throw err;
    });
    const order = view ?? (await findStoredOrderView(db, id));
    if (!order) throw new ApiError("not_found", `no order ${id}`);
    return c.json(order);
  });

  app.get("/customers/:customerId/orders", async (c) => {
    const rows = await listCustomerHistory(db, c.req.param("customerId"));
    return c.json({ customerId: c.req.param("customerId"), orders: rows });
  });

  const admin = new Hono();
  const expected = digest(deps.adminToken);
  admin.use("*", async (c, next) => {
    const token = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? "";
    if (!timingSafeEqual(digest(token), expected)) throw new ApiError("unauthorized", "missing or wrong bearer token");
    await next();
  });
  admin.get("/incidents", async (c) => c.json({ incidents: await listOpenIncidents(db) }));
  admin.get("/inventory", async (c) => c.json({ products: await listInventory(db) }));
  admin.post("/orders/:id/resolution", limit(JSON_MAX_BYTES), async (c) => {
    const decision = await jsonBody(c, DecisionSchema);
    const result = await deps.orders.resolve(c.req.param("id"), decision);
    log.info({ orderId: c.req.param("id"), ...result }, "operator decision");
    return c.json(result);
  });
  app.route("/admin", admin);

  return app;
}

const digest = (s: string) => createHash("sha256").update(s).digest();
