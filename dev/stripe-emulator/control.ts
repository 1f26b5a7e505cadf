// What the Stripe CLI or dashboard lets a developer do, over HTTP (`npm run demo` pays through
// these): pay a session, settle a delayed payment, let a session expire, refund (all or part),
// open and close a dispute, raise an early fraud warning, open and close a Radar review, redeliver
// or list events. The hosted checkout page a person pays on is checkout-page.ts.
import { Hono, type Context } from "hono";
import { z } from "zod";
import { EmulatorError, type EmulatorState } from "./state.ts";

const CompleteBody = z.object({
  paymentStatus: z.enum(["paid", "unpaid"]).optional(),
  amountTotal: z.number().int().nonnegative().optional(),
  currency: z
    .string()
    .regex(/^[a-zA-Z]{3}$/)
    .optional(),
  // Stripe's shape; null: the customer gave none (what a session that collects none looks like).
  shippingDetails: z
    .object({
      name: z.string().min(1),
      address: z.object({
        line1: z.string().nullable(),
        line2: z.string().nullable().default(null),
        city: z.string().nullable(),
        state: z.string().nullable().default(null),
        postal_code: z.string().nullable(),
        country: z.string().nullable(),
      }),
    })
    .nullable()
    .optional(),
});
const AsyncBody = z.object({ outcome: z.enum(["succeeded", "failed"]) });
const RefundBody = z.object({ amount: z.number().int().positive().optional() });
const ReasonBody = z.object({ reason: z.string().min(1).optional() });
const WarningBody = z.object({ fraudType: z.string().min(1).optional() });
const DisputeCloseBody = z.object({ status: z.enum(["won", "lost"]) });
const ReviewCloseBody = z.object({
  reason: z.enum(["approved", "refunded", "refunded_as_fraud", "disputed", "redacted", "acknowledged", "canceled"]),
});

const ERROR_CODES = { 400: "bad_request", 404: "not_found", 409: "conflict" } as const;

// Control endpoints answer in postpay's own error shape: they are not Stripe's API.
async function control(c: Context, run: (body: unknown) => Promise<unknown>) {
  const text = await c.req.text();
  try {
    return c.json(await run(text.trim() ? JSON.parse(text) : {}));
  } catch (err) {
    const status = err instanceof EmulatorError ? err.status : 400;
    const message = err instanceof z.ZodError ? z.prettifyError(err) : (err as Error).message;
    return c.json({ error: { code: ERROR_CODES[status], message } }, status);
  }
}

export function emulatorControls(state: EmulatorState): Hono {
  const app = new Hono();

  app.post("/_emulator/checkout/sessions/:id/complete", (c) =>
    control(c, (body) => state.complete(c.req.param("id"), CompleteBody.parse(body))),
  );
  app.post("/_emulator/checkout/sessions/:id/async-result", (c) =>
    control(c, (body) => state.asyncResult(c.req.param("id"), AsyncBody.parse(body).outcome)),
  );
  const session = "/_emulator/checkout/sessions/:id";
  app.post(`${session}/expire`, (c) => control(c, () => state.expire(c.req.param("id"))));
  app.post(`${session}/refund`, (c) =>
    control(c, (body) => state.payments.refund(c.req.param("id"), RefundBody.parse(body).amount)),
  );
  app.post(`${session}/dispute`, (c) =>
    control(c, (body) => state.payments.openDispute(c.req.param("id"), ReasonBody.parse(body).reason)),
  );
  app.post(`${session}/early-fraud-warning`, (c) =>
    control(c, (body) => state.payments.earlyFraudWarning(c.req.param("id"), WarningBody.parse(body).fraudType)),
  );
  app.post(`${session}/review`, (c) =>
    control(c, (body) => state.payments.openReview(c.req.param("id"), ReasonBody.parse(body).reason)),
  );
  app.post("/_emulator/refunds/:id/fail", (c) => control(c, () => state.payments.failRefund(c.req.param("id"))));
  app.post("/_emulator/disputes/:id/close", (c) =>
    control(c, (body) => state.payments.closeDispute(c.req.param("id"), DisputeCloseBody.parse(body).status)),
  );
  app.post("/_emulator/reviews/:id/close", (c) =>
    control(c, (body) => state.payments.closeReview(c.req.param("id"), ReviewCloseBody.parse(body).reason)),
  );
  app.post("/_emulator/events/:id/resend", (c) => control(c, () => state.resend(c.req.param("id"))));
  app.get("/_emulator/events", (c) => c.json(state.events()));

  return app;
}
