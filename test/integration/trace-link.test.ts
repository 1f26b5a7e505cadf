// The console's order page links to the order's trace when TRACE_URL_TEMPLATE is set. The id is
// the one Restate recorded for the order's invocation: the trace of the webhook that started it,
// whose W3C traceparent the app (tracing on, in this test's process) passed on to Restate's ingress.
import { context, propagation, ROOT_CONTEXT } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOtlpReceiver, type OtlpReceiver } from "../../dev/otlp-receiver.ts";
import { signWebhook } from "../../dev/stripe-emulator/sign-webhook.ts";
import { startTracing, type Tracing } from "../../src/telemetry/tracing.ts";
import type { Stack } from "../support/stack.ts";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
let stack: Stack;
let rx: OtlpReceiver;
let tracing: Tracing | undefined;
beforeAll(async () => {
  rx = await startOtlpReceiver();
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = rx.httpUrl;
  tracing = await startTracing("postpay-http");
  // Loaded after tracing starts, as the entry points do: node:http is instrumented before the app uses it.
  const { startStack } = await import("../support/stack.ts");
  stack = await startStack({ traceUrlTemplate: "https://jaeger.test/trace/{traceId}?uiFind=order" });
});
afterAll(async () => {
  await stack?.close();
  await tracing?.shutdown();
  await rx?.close();
});

async function consolePage(id: string) {
  const signIn = await fetch(`${stack.http.url}/console/sign-in`, {
    method: "POST",
    headers: { origin: stack.http.url, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: stack.config.adminToken }),
    redirect: "manual",
  });
  const cookie = signIn.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  return (await fetch(`${stack.http.url}/console/orders/${encodeURIComponent(id)}`, { headers: { cookie } })).text();
}

describe("the console's order page", () => {
  it("links to the trace of the webhook that started the order", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout([
      { productId: "sku-mug", quantity: 1 },
    ]);
    stack.stripe.setWebhookUrl(undefined);
    await stack.stripe.complete(cs);
    stack.stripe.setWebhookUrl(`${stack.http.url}/webhooks/stripe`);
    const payload = JSON.stringify(stack.stripe.events().at(-1), null, 2);
    // Sent from inside the caller's trace: this process traces its own fetch too, as a child of it.
    const caller = propagation.extract(ROOT_CONTEXT, { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` });
    const res = await context.with(caller, () =>
      fetch(`${stack.http.url}/webhooks/stripe`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "stripe-signature": signWebhook(payload, stack.stripe.webhookSecret),
        },
        body: payload,
      }),
    );
    expect(res.status).toBe(200);
    await stack.waitForStatus(id, ["completed"]);

    const page = await consolePage(id);
    expect(page).toContain(`id="trace-link" href="https://jaeger.test/trace/${TRACE_ID}?uiFind=order"`);
  });
});
