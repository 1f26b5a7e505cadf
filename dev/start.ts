// `npm start`: the whole system on this machine. It starts restate-server from node_modules
// (unless RESTATE_ADMIN_URL is set), the embedded database (unless DATABASE_URL is set), local
// stand-ins for whatever is not configured (Stripe, fulfillment centers), the service endpoint
// and the HTTP app; registers the deployment and prints how to use it. Ctrl-C stops it all.
//
// `npm run start:cluster` (--cluster): the same on a replicated 3-node Restate cluster
// (restate-cluster/cluster.toml, dev/restate-cluster.ts) with a local S3-compatible store
// for its snapshots; Restate's data, the snapshots and PGlite under <data dir>/cluster/.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { countProducts, upsertCatalog } from "../db/catalog.ts";
import { centers as centersTable } from "../db/schema.ts";
import { DEMO_CATALOG_FILE, readCatalog } from "../db/seed.ts";
import { registerDeployment, startStuckOrderWatch } from "../src/adapters/restate-admin.ts";
import { ConfigError, DEFAULT_ADMIN_URL, required } from "../src/config.ts";
import { boot, fail, onShutdown, openConfiguredDatabase } from "../src/main/common.ts";
import { httpConfig, servicesConfig } from "../src/process-config.ts";
import { PRIVATE_KEY_ENV } from "../src/runtime/request-identity.ts";
import { serveHttpApp } from "../src/runtime/http-system.ts";
import { serveServices } from "../src/runtime/services-system.ts";
import { startFulfillmentCenters } from "./fulfillment-centers.ts";
import { localPorts } from "./local-ports.ts";
import { localCenterSecrets, localSecrets } from "./local-secrets.ts";
import { startObjectStore } from "./object-store.ts";
import { LOCAL_CLUSTER_PORTS, startRestateCluster, type RestateCluster } from "./restate-cluster.ts";
import { startRestateServer, type RestateServer } from "./restate-server.ts";
import { startStripeEmulator } from "./stripe-emulator/index.ts";

const { env: given, log } = boot();
// POSTPAY_PORT_OFFSET moves every port npm start picks by default (dev/local-ports.ts).
const ports = (() => {
  try {
    return localPorts();
  } catch (err) {
    return fail(log, err);
  }
})();
const STRIPE_EMULATOR_PORT = ports.stripeEmulator;
const CENTERS_PORT = ports.centers;
const CENTERS_URL = `http://127.0.0.1:${CENTERS_PORT}/`;
/** Where db/demo-catalog.json points its centers: moved with the offset when seeded. */
const DEMO_CENTERS_URL = "http://127.0.0.1:4001/";
/** The snapshot store restate-cluster/cluster.toml points at. */
const SNAPSHOT_STORE_PORT = 9000;
const CLUSTER = process.argv.includes("--cluster");
const root = fileURLToPath(new URL("..", import.meta.url));
const stops: (() => Promise<unknown>)[] = [];
const progress = (msg: string) => process.stdout.write(`▸ ${msg}\n`);

// Secrets stay in the data dir either way (`npm run demo` finds the shop key there); a cluster keeps
// its state (Restate, snapshots, PGlite) apart, since orders in a database belong with their journals.
const DATA_DIR = given.POSTPAY_DATA_DIR;
const STATE_DIR = CLUSTER ? path.join(DATA_DIR, "cluster") : DATA_DIR;
const ownRestate = !CLUSTER && !given.RESTATE_ADMIN_URL;
const env = {
  ...given,
  POSTPAY_DATA_DIR: STATE_DIR,
  HTTP_PORT: process.env.HTTP_PORT?.trim() ? given.HTTP_PORT : ports.http,
  SERVICE_PORT: process.env.SERVICE_PORT?.trim() ? given.SERVICE_PORT : ports.service,
  ...(ownRestate &&
    !process.env.RESTATE_INGRESS_URL?.trim() && { RESTATE_INGRESS_URL: [`http://127.0.0.1:${ports.restateIngress}`] }),
  ...(CLUSTER && { RESTATE_INGRESS_URL: LOCAL_CLUSTER_PORTS.map((p) => `http://127.0.0.1:${p.ingress}`) }),
};
try {
  const secrets = localSecrets(DATA_DIR);

  let restate: RestateServer | undefined;
  let cluster: RestateCluster | undefined;
  if (CLUSTER) {
    if (given.RESTATE_ADMIN_URL)
      throw new ConfigError("npm run start:cluster runs its own Restate cluster: unset RESTATE_ADMIN_URL");
    progress(
      `starting the snapshot store (S3 API) on :${SNAPSHOT_STORE_PORT} (data in ${path.join(STATE_DIR, "snapshots")})`,
    );
    const snapshots = await startObjectStore({ dir: path.join(STATE_DIR, "snapshots"), port: SNAPSHOT_STORE_PORT });
    stops.push(() => snapshots.close());
    progress(
      `starting a 3-node Restate cluster (data in ${path.join(STATE_DIR, "restate")}); it is ready when every partition has a leader`,
    );
    cluster = await startRestateCluster({
      baseDir: path.join(STATE_DIR, "restate"),
      configFile: path.join(root, "restate-cluster", "cluster.toml"),
      ports: LOCAL_CLUSTER_PORTS,
      logDir: STATE_DIR,
      // Every node signs requests to the service endpoint with the same key.
      env: { [PRIVATE_KEY_ENV]: secrets.identityKeyFile },
      readyTimeoutMs: 120_000,
    });
    stops.push(() => cluster!.close());
  } else if (ownRestate) {
    progress(`starting restate-server (data in ${path.join(DATA_DIR, "restate")})`);
    restate = await startRestateServer({
      baseDir: path.join(DATA_DIR, "restate"),
      configFile: path.join(root, "restate.toml"),
      ports: { ingress: ports.restateIngress, admin: ports.restateAdmin, fabric: ports.restateFabric },
      logFile: path.join(DATA_DIR, "restate-server.log"),
      // It signs every request to the service endpoint, which accepts only this key.
      env: { [PRIVATE_KEY_ENV]: secrets.identityKeyFile },
    });
    stops.push(() => restate!.stop());
  }
  const adminUrl = cluster?.adminUrl ?? restate?.adminUrl ?? env.RESTATE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const ingressUrl = env.RESTATE_INGRESS_URL.join(", ");

  progress(
    env.DATABASE_URL
      ? "connecting to PostgreSQL (DATABASE_URL) and migrating"
      : "opening embedded PGlite and migrating",
  );
  const database = await openConfiguredDatabase(env, log);
  stops.push(() => database.close());
  if ((await countProducts(database.db)) === 0) {
    progress("seeding the demo catalog");
    const catalog = await readCatalog(DEMO_CATALOG_FILE);
    const centers = catalog.centers.map((c) => ({ ...c, orderUrl: c.orderUrl.replace(DEMO_CENTERS_URL, CENTERS_URL) }));
    await upsertCatalog(database.db, { ...catalog, centers });
  }

  let stripe: Awaited<ReturnType<typeof startStripeEmulator>> | undefined;
  if (!env.STRIPE_SECRET_KEY) {
    progress(`starting the Stripe API emulator on :${STRIPE_EMULATOR_PORT}`);
    stripe = await startStripeEmulator({ port: STRIPE_EMULATOR_PORT, webhookSecret: env.STRIPE_WEBHOOK_SECRET });
    stops.push(() => stripe!.close());
  }

  const localCenters = (await database.db.select().from(centersTable)).filter((c) =>
    c.orderUrl.startsWith(CENTERS_URL),
  );
  // The local centers sign their shipment events; a secret the environment gives wins over a generated one.
  const centerSecrets = {
    ...localCenterSecrets(
      DATA_DIR,
      localCenters.map((c) => c.id),
    ),
    ...env.CENTER_WEBHOOK_SECRETS,
  };
  let fcs: Awaited<ReturnType<typeof startFulfillmentCenters>> | undefined;
  if (localCenters.length) {
    progress(`starting ${localCenters.length} local fulfillment centers on :${CENTERS_PORT}`);
    fcs = await startFulfillmentCenters({ port: CENTERS_PORT, centers: localCenters, eventSecrets: centerSecrets });
    stops.push(() => fcs!.close());
  }

  // Secrets from the environment are used and never printed; generated ones are printed once here.
  const generated = { adminToken: !env.ADMIN_TOKEN, shopApiKey: !env.SHOP_API_KEY };
  // What npm start provides for itself stands in for the environment's missing values.
  const local = {
    ...env,
    ...(stripe && {
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_API_BASE: stripe.url,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    }),
    ADMIN_TOKEN: env.ADMIN_TOKEN ?? secrets.adminToken,
    // Journal links and commands name our restate-server when it is not on the CLI's default port.
    ...(restate && adminUrl !== DEFAULT_ADMIN_URL && { RESTATE_ADMIN_URL: adminUrl }),
    CENTER_WEBHOOK_SECRETS: centerSecrets,
    SHOP_API_KEY: env.SHOP_API_KEY ?? secrets.shopApiKey,
    // Our own restate-server signs with the local key; another one with the keys configured.
    RESTATE_IDENTITY_KEYS: restate || cluster ? [secrets.identityPublicKey] : env.RESTATE_IDENTITY_KEYS,
  };
  if (!stripe)
    required(
      env.STRIPE_WEBHOOK_SECRET,
      "STRIPE_WEBHOOK_SECRET",
      "STRIPE_SECRET_KEY is set, so webhooks come from Stripe",
    );

  progress(`starting the Restate service endpoint on :${env.SERVICE_PORT} (HTTP/2)`);
  const endpoint = await serveServices(servicesConfig(local), database.db, log, {
    port: env.SERVICE_PORT,
    host: env.SERVICE_HOST,
  });
  stops.push(() => endpoint.close());
  // Once, on one node: the cluster shares its metadata, and every node reaches the endpoint.
  progress("registering the deployment with Restate");
  await registerDeployment(adminUrl, endpoint.url);
  await startStuckOrderWatch(env.RESTATE_INGRESS_URL[0]!);

  progress(`starting the HTTP app on :${env.HTTP_PORT}`);
  const http = await serveHttpApp(httpConfig(local), database.db, log, { port: env.HTTP_PORT, host: env.HTTP_HOST });
  stops.push(() => http.close());
  stripe?.setWebhookUrl(`${http.url}/webhooks/stripe`);
  fcs?.setAppUrl(http.url);

  // The demo finds this copy through the same variables.
  const demoEnv = ["POSTPAY_PORT_OFFSET", "POSTPAY_DATA_DIR", "HTTP_PORT"]
    .filter((name) => process.env[name]?.trim())
    .map((name) => `${name}=${process.env[name]} `)
    .join("");
  onShutdown(log, async () => {
    for (const stop of stops.reverse()) await stop();
  });

  process.stdout.write(`
postpay is running. Ctrl-C stops everything it started.

  HTTP app          ${http.url}            (POST /checkout, POST /webhooks/stripe, GET /orders/:id)
  Operator console  ${http.url}/console    (sign in with the admin token below)
  Restate UI        ${adminUrl}/ui/
  Restate ingress   ${ingressUrl}
${cluster ? clusterLines(cluster) : ""}  Stripe            ${stripe ? `${stripe.url}  (local emulator; webhooks go to ${http.url}/webhooks/stripe)` : "api.stripe.com (STRIPE_SECRET_KEY)"}
  Centers           ${localCenters.length ? `${CENTERS_URL}  (break a center, then fix it; report shipped / delivered / exception)` : "as configured in the catalog"}
  Database          ${database.kind === "pglite" ? `PGlite in ${path.join(STATE_DIR, "pglite")}` : "PostgreSQL (DATABASE_URL)"}
  Admin token       ${generated.adminToken ? `${local.ADMIN_TOKEN}  (generated, kept in ${path.join(DATA_DIR, "secrets")})` : "ADMIN_TOKEN"}
  Shop API key      ${generated.shopApiKey ? `${local.SHOP_API_KEY}  (generated, kept in ${path.join(DATA_DIR, "secrets")})` : "SHOP_API_KEY"}

Place a demo order (checkout, pay, follow it to completion, then as the centers: shipped, delivered):

  ${demoEnv}npm run demo
  ${demoEnv}npm run demo -- --pay-in-browser    # or: pay (or decline) it yourself on the checkout page

Follow orders:  curl ${http.url}/orders/<paymentSessionId>
Journals:       npx restate invocations list --all    /    npx restate invocations describe <id>
`);
} catch (err) {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  fail(log, err);
}

function clusterLines(cluster: RestateCluster): string {
  const nodes = cluster.nodes.map(
    (n, i) =>
      `  ${i === 0 ? "Restate nodes" : ""}`.padEnd(20) +
      `${n.name}  ingress ${n.ingressUrl}  admin ${n.adminUrl}  fabric ${n.fabricUrl}  (log ${path.join(STATE_DIR, `restate-${n.name}.log`)})`,
  );
  return `${nodes.join("\n")}
  Snapshots         ${path.join(STATE_DIR, "snapshots")}  (S3 API on :${SNAPSHOT_STORE_PORT})
  Cluster status    npx restatectl status --address ${cluster.nodes[0]!.fabricUrl}
`;
}
