// The benchmark's baseline: "the same deployment without durability". The same HTTP app as
// `npm run start:http` (createApp: the same routes, middleware, shop API key, rate limits, webhook
// signature check, the same database and the same worker count), started the same way, except that
// the webhook's OrderClient does not hand the order to Restate: it processes it inline with the real
// ports (bench/baseline.ts) and answers once the order is done. What a shop would write without a
// workflow engine. Bench-only, not product code; started as a child process by bench/bench.ts with
// the app's environment (dev/harness.ts appEnv).
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Db } from "../db/client.ts";
import type { OrderClient } from "../src/adapters/restate-ingress.ts";
import { createSlackResponder } from "../src/adapters/slack.ts";
import type { Env } from "../src/config.ts";
import { createApp } from "../src/http/app.ts";
import type { Logger } from "../src/log.ts";
import { boot, fail, onShutdown, openConfiguredDatabase } from "../src/main/common.ts";
import { runWorkers } from "../src/main/workers.ts";
import { httpConfig, servicesConfig } from "../src/process-config.ts";
import { createSystemPorts } from "../src/runtime/services-system.ts";
import { createStripe } from "../src/runtime/stripe.ts";
import { processOrderWithoutRestate } from "./baseline.ts";

/** Typed against the real OrderClient, so a change to its interface breaks this build too. */
export function inlineOrderClient(process: (orderId: string) => Promise<unknown>): OrderClient {
  const unsupported = (what: string) => () =>
    Promise.reject(new Error(`${what} is not supported by the inline baseline`));
  return {
    // The webhook answers 200 only after this returns: the order is done by then.
    start: async (orderId) => {
      await process(orderId);
      return { invocationId: "inline", status: "Accepted" };
    },
    paymentEvent: unsupported("paymentEvent (async payments)"),
    // No workflow holds a live view: GET /orders/:id answers from the database, as such a shop would.
    status: async () => null,
    resolve: unsupported("resolve (operator decisions)"),
    reviewClosed: unsupported("reviewClosed (Radar reviews)"),
  };
}

/** As src/runtime/http-system.ts serveHttpApp builds and serves the app, but with the inline OrderClient. */
async function serveInlineApp(env: Env, db: Db, log: Logger) {
  const config = httpConfig(env);
  const ports = createSystemPorts(servicesConfig(env), db, log);
  const orders = inlineOrderClient((orderId) => processOrderWithoutRestate(ports, orderId));
  const app = createApp({
    db,
    stripe: createStripe(config),
    orders,
    restateAdminUrl: config.restateAdminUrl,
    webhookSecret: config.stripeWebhookSecret,
    adminToken: config.adminToken,
    shopApiKey: config.shopApiKey,
    rateLimit: config.rateLimit,
    publicUrl: config.publicUrl,
    log,
    ...(config.slackSigningSecret && {
      slack: {
        signingSecret: config.slackSigningSecret,
        operatorIds: config.slackOperatorIds,
        respond: createSlackResponder({
          timeoutMs: config.httpTimeoutMs,
          log,
          allowedPrefix: config.slackResponseUrlPrefix,
        }),
      },
    }),
  });
  const host = env.HTTP_HOST;
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: env.HTTP_PORT, hostname: host }, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

// As src/main/common.ts runServer, except that PGlite is allowed (this process is then its only
// owner). The harness has migrated and seeded the database.
const { env, log } = boot();
await runWorkers(env.HTTP_WORKERS, log, async () => {
  try {
    const database = await openConfiguredDatabase(env, log, { migrate: false });
    const server = await serveInlineApp(env, database.db, log);
    log.info({ url: server.url }, "inline baseline app listening");
    onShutdown(log, async () => {
      await server.close();
      await database.close();
    });
  } catch (err) {
    fail(log, err);
  }
});
