// The whole system for one test file (dev/harness.ts): a spawned restate-server, real Postgres or
// PGlite, the service endpoint and HTTP app in this process, the Stripe emulator, fulfillment
// centers, a Slack sink and an SMTP server. Tests drive it through HTTP, like Stripe and customers do.
import { eq } from "drizzle-orm";
import { products } from "../../db/schema.ts";
import type { StepPolicy } from "../../services/index.ts";
import { parseEnv } from "../../src/config.ts";
import { stuckOrderPolicy } from "../../src/process-config.ts";
import { startHarness } from "../../dev/harness.ts";
import type { OrderStatus } from "../../src/domain/order.ts";
import type { AdminOrderView } from "../../src/domain/order-view.ts";

export const CENTERS = [
  { id: "fc-east", name: "East", leadTimeDays: 2 },
  { id: "fc-west", name: "West", leadTimeDays: 4 },
  { id: "fc-north", name: "North", leadTimeDays: 3 },
];

export const PRODUCTS = [
  { id: "sku-mug", name: "Mug", priceCents: 1200, fulfillmentCenterId: "fc-east", stock: 1000 },
  { id: "sku-tee", name: "T-shirt", priceCents: 2500, fulfillmentCenterId: "fc-west", stock: 1000 },
  { id: "sku-cap", name: "Cap", priceCents: 1800, fulfillmentCenterId: "fc-north", stock: 1000 },
  { id: "sku-pen", name: "Pen", priceCents: 300, fulfillmentCenterId: "fc-east", stock: 1000 },
];

/** Where the test stack emails every incident (SUPPORT_EMAIL). */
export const SUPPORT_EMAIL = "support@shop.test";

/** Come back quickly after an endpoint or server restart in tests. */
export const QUICK_RECOVERY = { RESTATE_DEFAULT_RETRY_POLICY__MAX_INTERVAL: "1s" };

export type StackOptions = {
  /** SHIPMENT_DEADLINE, in ms (default 1 h: no silent center during a test). */
  shipmentDeadlineMs?: number;
  /** INCIDENT_REMIND_AFTER, in ms (default 1 h: no reminder during a test). */
  remindAfterMs?: number;
  steps?: Partial<StepPolicy>;
  products?: typeof PRODUCTS;
  restateEnv?: Record<string, string>;
  httpTimeoutMs?: number;
  /** A PostgreSQL server of the test's own (the run gets a scratch database there); default DATABASE_URL, else PGlite. */
  postgres?: string;
  /** STUCK_ORDER_AFTER, in ms (default 1 h: no stuck-order alert during a test). */
  stuckAfterMs?: number;
  /** TRACE_URL_TEMPLATE: the console links each order to its trace. */
  traceUrlTemplate?: string;
};

export async function startStack(options: StackOptions = {}) {
  const h = await startHarness({
    label: "test",
    centers: CENTERS,
    products: (options.products ?? PRODUCTS).map((p) => ({ ...p, currency: "usd" })),
    postgres: options.postgres ?? parseEnv().DATABASE_URL,
    restateEnv: { ...QUICK_RECOVERY, ...options.restateEnv },
    app: "in-process",
    settings: {
      emailFrom: "postpay test <orders@postpay.test>",
      supportEmail: SUPPORT_EMAIL,
      adminToken: "test-admin-token-0123456789",
      shopApiKey: "test-shop-api-key-0123456789",
      // Tests poll the order page far faster than a person: the limit has its own test.
      rateLimit: { limit: 100_000, windowMs: 60_000 },
      httpTimeoutMs: options.httpTimeoutMs ?? 5000,
      steps: { maxAttempts: 3, initialRetryMs: 50, maxRetryMs: 200, ...options.steps },
      escalation: { remindAfterMs: options.remindAfterMs ?? 3_600_000 },
      shipments: { deadlineMs: options.shipmentDeadlineMs ?? 3_600_000 },
      alerts: { minIntervalMs: 1000, maxBackoffMs: 5000 },
      stuckOrders: stuckOrderPolicy(options.stuckAfterMs ?? 3_600_000),
      // The service endpoint's own metrics on a free port (the HTTP app's are on GET /metrics).
      metricsPort: 0,
      traceUrlTemplate: options.traceUrlTemplate,
    },
  });
  const { stripe, http, config } = h;

  const api = async (method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${http.url}${route}`, {
      method,
      headers: { ...(body !== undefined && { "content-type": "application/json" }), ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  const db = await h.database();
  return {
    db,
    /** The harness's temp directory (logs, restate-server's data, its request identity key under keys/). */
    dir: h.dir,
    get restate() {
      return h.restate;
    },
    stripe,
    centers: h.centers,
    smtp: h.smtp,
    /** What reached the customer over SMTP about the order (not the support team's copies of incidents). */
    mailsToCustomer: (orderId: string) => h.smtp.for(orderId).filter((m) => !m.to.includes(SUPPORT_EMAIL)),
    slack: h.slack,
    http,
    config,
    api,
    /** As an operator: the admin API with its bearer token. */
    admin: (method: string, route: string, body?: unknown) =>
      api(method, route, body, { authorization: `Bearer ${config.adminToken}` }),
    /** As the shop's backend: with its API key. */
    shop: (method: string, route: string, body?: unknown) =>
      api(method, route, body, { authorization: `Bearer ${config.shopApiKey}` }),
    /** A product's stock as the database has it now. */
    stockOf: async (productId: string) =>
      (await db.select({ stock: products.stock }).from(products).where(eq(products.id, productId)))[0]!.stock,
    /** The requests the fulfillment centers accepted for an order (a replay of one counts once). */
    acceptedFor: (orderId: string) => h.centers.accepted().filter((a) => a.order.orderId === orderId),
    stopRestate: h.stopRestate,
    startRestate: h.startRestate,
    restartServices: h.restartServices,
    get endpointUrl() {
      return h.endpointUrl;
    },
    /** The service endpoint's own metrics (METRICS_PORT). */
    get servicesMetricsUrl() {
      return h.servicesMetricsUrl;
    },

    /** Pays a session in the emulator; `deliver` redelivers until the webhook answers 200. */
    async pay(stripeCheckoutSessionId: string) {
      const delivery = await stripe.complete(stripeCheckoutSessionId);
      if (delivery.status !== 200) throw new Error(`webhook answered ${delivery.status}: ${delivery.body}`);
      return delivery;
    },

    /** An order whose fc-north shipment is rejected once (422), waiting for an operator. */
    async orderStuckAtNorth(customerId: string) {
      const { paymentSessionId: id, stripeCheckoutSessionId } = await this.checkout(
        [
          { productId: "sku-mug", quantity: 1 },
          { productId: "sku-cap", quantity: 1 },
        ],
        customerId,
      );
      h.centers.script("fc-north", [{ status: 422, body: { error: "address not serviceable" } }]);
      await this.pay(stripeCheckoutSessionId);
      await this.waitForStatus(id, ["needs_attention"]);
      return id;
    },

    /** POST /checkout as a shop front would. */
    async checkout(items: { productId: string; quantity: number }[], customerId = "cus_test") {
      const res = await api(
        "POST",
        "/checkout",
        { customerId, email: `${customerId}@example.com`, items },
        { authorization: `Bearer ${config.shopApiKey}` },
      );
      if (res.status !== 201) throw new Error(`checkout failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { paymentSessionId: string; stripeCheckoutSessionId: string; url: string };
    },

    /**
     * Polls the operators' view of the order (GET /admin/orders/:id: steps, incidents, customer)
     * until its status is one of `statuses` (and `where` holds, if given).
     */
    async waitForStatus(
      orderId: string,
      statuses: OrderStatus[],
      timeoutMs = 30_000,
      where: (order: AdminOrderView) => boolean = () => true,
    ): Promise<AdminOrderView> {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      while (Date.now() < deadline) {
        const res = await api("GET", `/admin/orders/${orderId}`, undefined, {
          authorization: `Bearer ${config.adminToken}`,
        });
        last = res.body;
        if (res.status === 200 && statuses.includes(res.body.status) && where(res.body))
          return res.body as AdminOrderView;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`order ${orderId} did not reach ${statuses.join("|")}: ${JSON.stringify(last)}`);
    },

    close: h.close,
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;
