// The whole system for one test file: a spawned restate-server, real Postgres or PGlite, the
// service endpoint and HTTP app in this process, the Stripe emulator, fulfillment centers, a
// Slack sink and an SMTP server. Tests drive it through HTTP, like Stripe and customers do.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { upsertCatalog, type CatalogFile } from "../../db/catalog.ts";
import type { StepPolicy } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { registerDeployment, startRestateServer } from "../../src/runtime/restate-server.ts";
import { serveHttpApp, serveServices, type SystemConfig } from "../../src/runtime/system.ts";
import { startFulfillmentCenters } from "../../dev/fulfillment-centers.ts";
import { startStripeEmulator } from "../../dev/stripe-emulator/index.ts";
import { startSlackSink } from "../../dev/slack-sink.ts";
import { startSmtpSink } from "../../dev/smtp-sink.ts";
import { testDatabase } from "./db.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

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

export type StackOptions = {
  steps?: Partial<StepPolicy>;
  products?: typeof PRODUCTS;
  restateEnv?: Record<string, string>;
  httpTimeoutMs?: number;
};

export async function startStack(options: StackOptions = {}) {
  const log = createLogger({ test: true });
  const baseDir = mkdtempSync(path.join(tmpdir(), "postpay-test-"));
  const database = await testDatabase();
  const restateOptions = {
    baseDir,
    configFile: path.join(root, "restate.toml"),
    // Come back quickly after an endpoint or server restart in tests.
    env: { RESTATE_DEFAULT_RETRY_POLICY__MAX_INTERVAL: "1s", ...options.restateEnv },
  };
  let restate = await startRestateServer(restateOptions);
  const stripe = await startStripeEmulator({});
  const centers = await startFulfillmentCenters({ centers: CENTERS });
  const smtp = await startSmtpSink();
  const slack = await startSlackSink();

  const catalog: CatalogFile = {
    centers: CENTERS.map((c) => ({ ...c, orderUrl: centers.orderUrl(c.id) })),
    products: (options.products ?? PRODUCTS).map((p) => ({ ...p, currency: "usd" })),
  };
  await upsertCatalog(database.db, catalog);

  const config: SystemConfig = {
    stripeSecretKey: stripe.secretKey,
    stripeApiBase: stripe.url,
    stripeWebhookSecret: stripe.webhookSecret,
    slackWebhookUrl: slack.url,
    smtpUrl: smtp.url,
    emailFrom: "postpay test <orders@postpay.test>",
    restateIngressUrl: restate.ingressUrl,
    restateAdminUrl: restate.adminUrl,
    adminToken: "test-admin-token",
    publicUrl: "http://127.0.0.1:3000",
    httpTimeoutMs: options.httpTimeoutMs ?? 5000,
    steps: { maxAttempts: 3, initialRetryMs: 50, maxRetryMs: 200, ...options.steps },
    alerts: { minIntervalMs: 1000, maxBackoffMs: 5000 },
  };
  let services = await serveServices(config, database.db, log, { port: 0 });
  await registerDeployment(restate.adminUrl, services.url);
  const http = await serveHttpApp(config, database.db, log, { port: 0 });
  config.publicUrl = http.url;
  stripe.setWebhookUrl(`${http.url}/webhooks/stripe`);

  const api = async (method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${http.url}${route}`, {
      method,
      headers: { ...(body !== undefined && { "content-type": "application/json" }), ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  return {
    db: database.db,
    database,
    get restate() {
      return restate;
    },
    stripe,
    centers,
    smtp,
    slack,
    http,
    config,
    api,
    admin: (method: string, route: string, body?: unknown) =>
      api(method, route, body, { authorization: `Bearer ${config.adminToken}` }),

    /** Stops restate-server (SIGKILL when `hard`), leaving it down until `startRestate`. */
    async stopRestate(hard = false) {
      await (hard ? restate.kill() : restate.stop());
    },
    async startRestate() {
      restate = await startRestateServer({ ...restateOptions, ports: restate.ports });
    },
    /** Restarts the in-process service endpoint on the same port (a deploy or a crash). */
    async restartServices() {
      const port = services.port;
      await services.close();
      services = await serveServices(config, database.db, log, { port });
    },

    /** Pays a session in the emulator; `deliver` redelivers until the webhook answers 200. */
    async pay(stripeCheckoutSessionId: string) {
      const delivery = await stripe.complete(stripeCheckoutSessionId);
      if (delivery.status !== 200) throw new Error(`webhook answered ${delivery.status}: ${delivery.body}`);
      return delivery;
    },

    /** POST /checkout as a shop front would. */
    async checkout(items: { productId: string; quantity: number }[], customerId = "cus_test") {
      const res = await api("POST", "/checkout", { customerId, email: `${customerId}@example.com`, items });
      if (res.status !== 201) throw new Error(`checkout failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { paymentSessionId: string; stripeCheckoutSessionId: string; url: string };
    },

    /** Polls GET /orders/:id until its status is one of `statuses` (and `where` holds, if given). */
    async waitForStatus(orderId: string, statuses: string[], timeoutMs = 30_000, where: (order: any) => boolean = () => true) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      while (Date.now() < deadline) {
        const res = await api("GET", `/orders/${orderId}`);
        last = res.body;
        if (res.status === 200 && statuses.includes(res.body.status) && where(res.body)) return res.body;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`order ${orderId} did not reach ${statuses.join("|")}: ${JSON.stringify(last)}`);
    },

    async close() {
      await http.close();
      await restate.stop(); // before the endpoint, so waiting invocations are not aborted noisily
      await services.close();
      await Promise.all([stripe.close(), centers.close(), smtp.close(), slack.close()]);
      await database.drop();
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;
