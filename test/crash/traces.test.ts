// One trace per order, as deployed: the HTTP app and the service endpoint as their own processes
// (postpay-http, postpay-services) exporting OTLP over http/protobuf, restate-server exporting OTLP
// gRPC (its tracing-endpoint), all to an in-process receiver (dev/otlp-receiver.ts). A webhook that
// arrives with a W3C traceparent gets every span of its order in that trace: the app's request and
// its ingress call, Restate's invocation, the endpoint's attempts and one span per named step, the
// calls to Stripe, the centers and Postgres. The endpoint is SIGKILLed mid-order; after its restart
// the journaled steps replay without running, so no step has two spans. Log lines carry trace_id.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness } from "../../dev/harness.ts";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "../../dev/otlp-receiver.ts";
import { signWebhook } from "../../dev/stripe-emulator/sign-webhook.ts";
import { postgresServer } from "../support/postgres.ts";
import { QUICK_RECOVERY } from "../support/stack.ts";
import { until } from "../support/wait.ts";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN = "00f067aa0ba902b7";
const STEPS = [
  "load payment session",
  "verify payment",
  "update inventory fc-east",
  "send to fc-east",
  "update inventory fc-west",
  "send to fc-west",
  "email confirmation",
  "record history",
];

let rx: OtlpReceiver;
let pg: Awaited<ReturnType<typeof postgresServer>>;
let h: Awaited<ReturnType<typeof harness>>;

function harness(postgres: string, otlp: OtlpReceiver) {
  return startHarness({
    label: "traces",
    centers: [
      { id: "fc-east", name: "East", leadTimeDays: 2 },
      { id: "fc-west", name: "West", leadTimeDays: 4 },
    ],
    products: [
      { id: "sku-mug", name: "Mug", priceCents: 1200, currency: "usd", fulfillmentCenterId: "fc-east", stock: 100 },
      { id: "sku-tee", name: "T-shirt", priceCents: 2500, currency: "usd", fulfillmentCenterId: "fc-west", stock: 100 },
    ],
    postgres,
    restateEnv: { ...QUICK_RECOVERY, RESTATE_TRACING_ENDPOINT: otlp.grpcUrl, OTEL_BSP_SCHEDULE_DELAY: "200" },
    app: "two-processes",
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.httpUrl, OTEL_BSP_SCHEDULE_DELAY: "100" },
  });
}

beforeAll(async () => {
  rx = await startOtlpReceiver();
  pg = await postgresServer("traces");
  h = await harness(pg.url, rx);
});
afterAll(async () => {
  await h?.close();
  await pg?.close();
  await rx?.close();
});

const ofTrace = () => rx.spans.filter((s) => s.traceId === TRACE_ID);
const stepSpans = (name: string) => ofTrace().filter((s) => s.attributes["restate.run.name"] === name);
const byService = (service: string) => ofTrace().filter((s) => s.service === service);

/** Pays the checkout and delivers Stripe's event as Stripe would, but with a traceparent. */
async function payWithTraceparent(cs: string) {
  h.stripe.setWebhookUrl(undefined);
  await h.stripe.complete(cs);
  h.stripe.setWebhookUrl(`${h.url}/webhooks/stripe`);
  const event = h.stripe.events().at(-1)!;
  const payload = JSON.stringify(event, null, 2);
  const res = await fetch(`${h.url}/webhooks/stripe`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "stripe-signature": signWebhook(payload, h.stripe.webhookSecret),
      traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01`,
    },
    body: payload,
  });
  expect(res.status).toBe(200);
}

describe("one order, one trace", () => {
  it("spans the app, restate-server and the endpoint, a span per step, none twice after a SIGKILL", async () => {
    const checkout = await fetch(`${h.url}/checkout`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer harness-shop-api-key-0123456789" },
      body: JSON.stringify({
        customerId: "cus_traced",
        email: "traced@example.com",
        items: [
          { productId: "sku-mug", quantity: 1 },
          { productId: "sku-tee", quantity: 1 },
        ],
      }),
    });
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = (await checkout.json()) as Record<string, string>;
    // fc-west fails once (a logged retry), then hangs: the endpoint dies inside "send to fc-west".
    h.centers.script("fc-west", [{ status: 500 }, { status: 200, delayMs: 5_000 }]);
    await payWithTraceparent(cs!);

    const finishedBeforeKill = STEPS.filter(
      (s) => !["send to fc-west", "email confirmation", "record history"].includes(s),
    );
    await until(() => h.centers.deliveriesFor(`${id}:fc-west`) === 2, { timeoutMs: 30_000, what: "the hanging call" });
    await until(() => finishedBeforeKill.every((s) => stepSpans(s).length === 1), {
      timeoutMs: 30_000,
      what: "the finished steps' spans exported",
    });
    const services = h.processes.find((p) => p.name === "services")!;
    await services.kill();
    await services.start();

    await until(
      async () =>
        ((await fetch(`${h.url}/orders/${id}`).then((r) => r.json())) as { status: string }).status === "completed",
      {
        timeoutMs: 60_000,
        what: "the order completed",
      },
    );
    // restate-server batches its exports (every few seconds): wait for the attempt that finished.
    const attemptUnderRestate = () => {
      const restateSpans = new Set(byService("Restate").map((s) => s.spanId));
      return byService("postpay-services").some(
        (s) => String(s.name).startsWith("attempt OrderWorkflow/") && restateSpans.has(s.parentSpanId),
      );
    };
    await until(() => STEPS.every((s) => stepSpans(s).length >= 1) && attemptUnderRestate(), {
      timeoutMs: 30_000,
      what: "every step's span, and restate-server's span of the attempt that finished",
    });

    // Every named step: exactly one span, ended OK, from the endpoint, in this order's trace.
    for (const step of STEPS) {
      const spans = stepSpans(step);
      expect(spans, step).toHaveLength(1);
      expect(spans[0]!.service).toBe("postpay-services");
      expect(spans[0]!.statusCode).toBe(1);
    }
    // The app continued the webhook's traceparent and passed it on to Restate's ingress.
    const server = byService("postpay-http").find((s) => s.parentSpanId === PARENT_SPAN);
    expect(server?.attributes["http.route"] ?? server?.attributes["url.path"] ?? server?.name).toBeTruthy();
    expect(byService("postpay-http").some((s) => s.scope.includes("undici"))).toBe(true);
    // restate-server's invocation spans (gRPC) sit between the app's ingress call and the endpoint's attempts.
    const ingressCall = byService("postpay-http").find((s) => s.scope.includes("undici"))!;
    expect(byService("Restate").some((s) => s.parentSpanId === ingressCall.spanId)).toBe(true);
    expect(byService("Restate").every((s) => s.via === "grpc")).toBe(true);
    const attempts = byService("postpay-services").filter((s) => s.attributes["restate.invocation.target"]);
    // The killed attempt's span never ended, so it was never exported; the one after the restart was.
    expect(attempts.filter((s) => String(s.name).includes("OrderWorkflow/")).length).toBeGreaterThanOrEqual(1);
    expect(services.starts).toBe(2);
    expect(h.centers.deliveriesFor(`${id}:fc-west`)).toBe(3); // the step in flight ran again, once
    // Calls out of the endpoint: Stripe (node:http), the centers (undici), Postgres (Drizzle).
    const outbound = (predicate: (s: ReceivedSpan) => boolean) => byService("postpay-services").some(predicate);
    expect(outbound((s) => String(s.attributes["url.full"] ?? "").includes("/v1/checkout/sessions/"))).toBe(true);
    expect(outbound((s) => s.scope.includes("undici") && String(s.attributes["url.full"]).includes("/orders"))).toBe(
      true,
    );
    expect(outbound((s) => s.scope.includes("drizzle"))).toBe(true);

    // The endpoint's warning about fc-west's failed attempt carries the trace id.
    const log = readFileSync(path.join(h.dir, "services.log"), "utf8");
    const lines = log.split("\n").filter((l) => l.includes("send to fc-west") && l.includes("retrying"));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => JSON.parse(l).trace_id === TRACE_ID)).toBe(true);
  });
});
