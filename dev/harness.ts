// The whole system on free loopback ports, for tests and the benchmark: restate-server from
// node_modules, the stand-ins (Stripe emulator, fulfillment centers, SMTP server, Slack webhook),
// a fresh database holding a catalog (run-database.ts), and postpay itself, either in this process
// or as child processes (which a crash test can SIGKILL and the benchmark can measure). close()
// stops all it started; a start that fails stops what it had started.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Catalog } from "../src/domain/catalog.ts";
import { DEFAULT_SHIP_TO_COUNTRIES } from "../src/domain/ship-to.ts";
import type { Db } from "../db/client.ts";
import { registerDeployment, startStuckOrderWatch } from "../src/adapters/restate-admin.ts";
import { parseEnv } from "../src/config.ts";
import { createLogger } from "../src/log.ts";
import type { HttpConfig, ServicesConfig } from "../src/process-config.ts";
import { generateIdentityKeyPair, PRIVATE_KEY_ENV, writePrivateKey } from "../src/runtime/request-identity.ts";
import { serveHttpApp } from "../src/runtime/http-system.ts";
import { checkoutVersion } from "../src/runtime/service-version.ts";
import { serveServices } from "../src/runtime/services-system.ts";
import { startFulfillmentCenters, type CenterConfig, type FulfillmentCenters } from "./fulfillment-centers.ts";
import { httpReady, nodeProcess, type NodeProcess } from "./node-process.ts";
import { startObjectStore } from "./object-store.ts";
import { startRestateCluster, type RestateCluster } from "./restate-cluster.ts";
import { freePort, startRestateServer, type RestateServer } from "./restate-server.ts";
import { prepareDatabase, type RunDatabase } from "./run-database.ts";
import { startSlackSink, type SlackSink } from "./slack-sink.ts";
import { startSmtpSink, type SmtpSink } from "./smtp-sink.ts";
import { startStripeEmulator, type StripeEmulator } from "./stripe-emulator/index.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

export type HarnessOptions = {
  /** Names the temp directory (postpay-<label>-…) and the scratch database (postpay_<label>_…). */
  label: string;
  /** The fulfillment centers to stand in for; the catalog points at them. */
  centers: (CenterConfig & { name: string })[];
  products: Catalog["products"];
  /** A PostgreSQL server: the run gets a database of its own there, dropped at close. Else PGlite. */
  postgres?: string;
  /** Extra RESTATE_* environment for restate-server. */
  restateEnv?: Record<string, string>;
  /**
   * Restate as a replicated 3-node cluster (restate-cluster/cluster.toml, snapshots to a local
   * object store) instead of one restate-server; the app gets every node's ingress URL.
   */
  restateCluster?: boolean;
  progress?: (line: string) => void;
};

/** Both processes' configuration in one object (their common fields agree). */
export type AppConfig = ServicesConfig & HttpConfig;

/** The parts of the configuration that the stand-ins and restate-server do not decide. */
export type AppSettings = Pick<
  AppConfig,
  | "emailFrom"
  | "adminToken"
  | "shopApiKey"
  | "httpTimeoutMs"
  | "steps"
  | "escalation"
  | "alerts"
  | "rateLimit"
  | "supportEmail"
  | "shipments"
  | "stuckOrders"
  | "metricsPort"
  | "traceUrlTemplate"
>;

/** Secrets for app child processes: long enough for the start-up checks, and never printed. */
export const CHILD_SECRETS = {
  ADMIN_TOKEN: "harness-admin-token-0123456789",
  SHOP_API_KEY: "harness-shop-api-key-0123456789",
};

/** Service endpoint and HTTP app in this process. */
export type InProcessOptions = { app: "in-process"; settings: AppSettings };
/**
 * "one-process": dev/start.ts as one child process (endpoint + HTTP app, and PGlite without
 * PostgreSQL), as `npm start` runs them; "two-processes": src/main/services.ts and src/main/http.ts,
 * as deployed (PostgreSQL only). `env` is added to their environment.
 */
export type ChildProcessOptions = { app: "one-process" | "two-processes"; env?: Record<string, string> };

export type Harness = {
  readonly dir: string;
  /** The current restate-server (a new object after startRestate); in a cluster, the first node that is up. */
  readonly restate: RestateServer;
  /** The Restate cluster, when started with `restateCluster`. */
  readonly cluster: RestateCluster | undefined;
  stripe: StripeEmulator;
  centers: FulfillmentCenters;
  smtp: SmtpSink;
  slack: SlackSink;
  /** The HTTP app's base URL. */
  url: string;
  /** The scratch PostgreSQL database, when there is one. */
  postgresUrl: string | undefined;
  /** Stops restate-server (SIGKILL when `hard`), leaving it down until startRestate; in a cluster, every node. */
  stopRestate(hard?: boolean): Promise<void>;
  /** Starts restate-server again on the same ports and data (a cluster: the nodes that are down, until it is ready). */
  startRestate(): Promise<void>;
  /** The database, for this process. PGlite files an app process owns: stops the app processes first. */
  database(): Promise<Db>;
  close(): Promise<void>;
};

export type InProcessApp = {
  config: AppConfig;
  http: Awaited<ReturnType<typeof serveHttpApp>>;
  /** Restarts the service endpoint on the same port (a deploy or a crash). */
  restartServices(): Promise<void>;
  /** The Restate service endpoint's URL (HTTP/2), which only restate-server may call. */
  readonly endpointUrl: string;
  /** The service endpoint's own metrics (its METRICS_PORT), when settings ask for them. */
  readonly servicesMetricsUrl: string | undefined;
};

/** The app's child processes, in start order. */
export type AppProcesses = {
  processes: NodeProcess[];
  /** The environment they were started with (ports, stand-ins, database), for another process put in their place. */
  appEnv: Record<string, string>;
};

export function startHarness(options: HarnessOptions & InProcessOptions): Promise<Harness & InProcessApp>;
export function startHarness(options: HarnessOptions & ChildProcessOptions): Promise<Harness & AppProcesses>;
export async function startHarness(options: HarnessOptions & (InProcessOptions | ChildProcessOptions)) {
  const cleanup = cleanupStack();
  try {
    return await assemble(options, cleanup);
  } catch (err) {
    // A start that fails leaves no process, database or temp directory behind.
    await cleanup.run().catch(() => {});
    throw err;
  }
}

async function assemble(
  options: HarnessOptions & (InProcessOptions | ChildProcessOptions),
  cleanup: Cleanup,
): Promise<Harness & (InProcessApp | AppProcesses)> {
  const progress = options.progress ?? (() => {});
  const dir = mkdtempSync(path.join(tmpdir(), `postpay-${options.label}-`));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  // Each stand-in center signs its shipment events with a secret of its own, as postpay is told.
  const centerSecrets = Object.fromEntries(
    options.centers.map((c) => [c.id, `whcenter_${randomBytes(18).toString("base64url")}`]),
  );
  const standIns = await startStandIns(options.centers, centerSecrets, cleanup);
  progress(options.restateCluster ? "starting a 3-node Restate cluster" : "starting restate-server");
  // restate-server signs every call to the endpoint; the endpoint accepts only its key (every
  // node of a cluster signs with the same one).
  const identity = generateIdentityKeyPair();
  const identityEnv = { [PRIVATE_KEY_ENV]: writePrivateKey(path.join(dir, "keys"), identity) };
  const restateEnv = { ...identityEnv, ...options.restateEnv };
  const restate = options.restateCluster
    ? await startCluster(dir, restateEnv, cleanup)
    : await startRestate(dir, restateEnv, cleanup);
  const catalog: Catalog = {
    centers: options.centers.map((c) => ({ ...c, orderUrl: standIns.centers.orderUrl(c.id) })),
    products: options.products,
  };
  const database = await prepareDatabase(
    { postgres: options.postgres, label: options.label, dir, inMemory: options.app === "in-process" },
    catalog,
    cleanup.add,
  );

  const parts: Parts = {
    ...standIns,
    restate,
    database,
    dir,
    cleanup,
    progress,
    identityKey: identity.publicKey,
    centerSecrets,
  };
  const app =
    options.app === "in-process" ? await runInProcess(parts, options.settings) : await spawnApp(parts, options);
  standIns.stripe.setWebhookUrl(`${app.url}/webhooks/stripe`);
  standIns.centers.setAppUrl(app.url);
  standIns.slack.setInteractionsUrl(`${app.url}/slack/interactions`);
  return {
    ...standIns,
    ...app,
    dir,
    get restate() {
      return restate.server;
    },
    cluster: restate.cluster,
    postgresUrl: database.postgresUrl,
    stopRestate: restate.stop,
    startRestate: restate.start,
    async database() {
      // PGlite has one owner process: the app's, until it stops.
      if (database.ownedByApp && "processes" in app) for (const proc of app.processes) await proc.stop();
      return database.open();
    },
    close: cleanup.run,
  };
}

type Parts = {
  stripe: StripeEmulator;
  smtp: SmtpSink;
  slack: SlackSink;
  restate: Restate;
  database: RunDatabase;
  dir: string;
  cleanup: Cleanup;
  progress: (line: string) => void;
  /** The public key of restate-server's request identity. */
  identityKey: string;
  /** CENTER_WEBHOOK_SECRETS: the secret each stand-in center signs its shipment events with. */
  centerSecrets: Record<string, string>;
};

/** The outside world postpay talks to, in this process. */
async function startStandIns(centers: CenterConfig[], eventSecrets: Record<string, string>, cleanup: Cleanup) {
  const keep = <T extends { close(): Promise<unknown> }>(part: T) => {
    cleanup.add(() => part.close());
    return part;
  };
  return {
    stripe: keep(await startStripeEmulator({})),
    centers: keep(await startFulfillmentCenters({ centers, eventSecrets })),
    smtp: keep(await startSmtpSink()),
    slack: keep(await startSlackSink()),
  };
}

/** restate-server on free ports with its data under `dir`; it can be stopped and started again on both. */
async function startRestate(dir: string, env: Record<string, string> | undefined, cleanup: Cleanup) {
  const options = { baseDir: path.join(dir, "restate"), configFile: path.join(root, "restate.toml"), env };
  let server = await startRestateServer(options);
  cleanup.add(() => server.stop());
  return {
    get server() {
      return server;
    },
    get ingressUrls() {
      return [server.ingressUrl];
    },
    get adminUrl() {
      return server.adminUrl;
    },
    cluster: undefined as RestateCluster | undefined,
    stop: (hard = false) => (hard ? server.kill() : server.stop()),
    async start() {
      server = await startRestateServer({ ...options, ports: server.ports });
    },
  };
}
type Restate = Awaited<ReturnType<typeof startRestate>>;

/** Three restate-server nodes on free ports, data and snapshots under `dir`; stop and start act on all nodes. */
async function startCluster(dir: string, env: Record<string, string>, cleanup: Cleanup): Promise<Restate> {
  const snapshots = await startObjectStore({ dir: path.join(dir, "snapshots") });
  cleanup.add(() => snapshots.close());
  const cluster = await startRestateCluster({
    baseDir: path.join(dir, "restate"),
    configFile: path.join(root, "restate-cluster", "cluster.toml"),
    env: { RESTATE_WORKER__SNAPSHOTS__AWS_ENDPOINT_URL: snapshots.url, ...env },
  });
  cleanup.add(() => cluster.close());
  return {
    get server() {
      const up = cluster.nodes.find((n) => n.server)?.server;
      if (!up) throw new Error("every node of the Restate cluster is down");
      return up;
    },
    ingressUrls: cluster.ingressUrls,
    get adminUrl() {
      return cluster.adminUrl;
    },
    cluster,
    async stop(hard = false) {
      await Promise.all(cluster.nodes.map((n) => (hard ? cluster.kill(n.id) : cluster.stop(n.id))));
    },
    async start() {
      await Promise.all(cluster.nodes.filter((n) => !n.server).map((n) => cluster.start(n.id)));
      await cluster.waitReady();
    },
  };
}

async function runInProcess(parts: Parts, settings: AppSettings): Promise<InProcessApp & { url: string }> {
  const { stripe, slack, smtp, restate } = parts;
  const log = createLogger({ level: parseEnv().LOG_LEVEL, bindings: { harness: true } });
  const db = await parts.database.open();
  // The HTTP app's port is chosen first, so that links the services build point at it.
  const httpPort = await freePort();
  const config: AppConfig = {
    version: checkoutVersion(),
    identityKeys: [parts.identityKey],
    stripe: { secretKey: stripe.secretKey, apiBase: stripe.url, shipToCountries: DEFAULT_SHIP_TO_COUNTRIES },
    stripeWebhookSecret: stripe.webhookSecret,
    slackWebhookUrl: slack.url,
    slackSigningSecret: slack.signingSecret,
    slackOperatorIds: "*",
    slackResponseUrlPrefix: slack.responseUrlPrefix,
    trustedProxies: [],
    operators: [],
    identityOptOut: false,
    smtpUrl: smtp.url,
    restateIngressUrls: restate.ingressUrls,
    restateAdminUrl: restate.adminUrl,
    publicUrl: `http://127.0.0.1:${httpPort}`,
    centerWebhookSecrets: parts.centerSecrets,
    ...settings,
  };
  let services = await serveServices(config, db, log, { port: 0 });
  parts.cleanup.add(() => services.close());
  // At close, restate-server stops before the endpoint, so waiting invocations are not aborted noisily.
  parts.cleanup.add(() => restate.stop());
  await registerDeployment(restate.adminUrl, services.url);
  await startStuckOrderWatch(restate.ingressUrls[0]!);
  const http = await serveHttpApp(config, db, log, { port: httpPort });
  parts.cleanup.add(() => http.close());
  return {
    url: http.url,
    config,
    http,
    get endpointUrl() {
      return services.url;
    },
    get servicesMetricsUrl() {
      return services.metricsUrl;
    },
    async restartServices() {
      const port = services.port;
      await services.close();
      services = await serveServices(config, db, log, { port });
    },
  };
}

async function spawnApp(parts: Parts, options: ChildProcessOptions): Promise<AppProcesses & { url: string }> {
  const [httpPort, servicePort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${httpPort}`;
  const env = { ...appEnvironment(parts, httpPort, servicePort), LOG_LEVEL: "warn", ...options.env };
  const start = async (name: string, script: string, ready: () => Promise<boolean>) => {
    const proc = nodeProcess({ name, script, env, logFile: path.join(parts.dir, `${name}.log`), ready });
    parts.cleanup.add(() => proc.stop());
    await proc.start();
    return proc;
  };

  if (options.app === "one-process") {
    const name = parts.database.postgresUrl ? "services+app" : "services+app+PGlite";
    parts.progress(`starting the app process (${name})`);
    // dev/start.ts registers the deployment itself.
    return { url, appEnv: env, processes: [await start(name, "dev/start.ts", httpReady(`${url}/healthz`))] };
  }
  if (!parts.database.postgresUrl) throw new Error("two app processes need PostgreSQL: PGlite has one owner process");
  parts.progress("starting the service endpoint and the HTTP app (separate processes)");
  // The endpoint is ready once restate-server accepts it as a deployment.
  const services = await start("services", "src/main/services.ts", async () => {
    await registerDeployment(parts.restate.adminUrl, `http://127.0.0.1:${servicePort}`, 1000);
    return true;
  });
  await startStuckOrderWatch(parts.restate.ingressUrls[0]!);
  const app = await start("app", "src/main/http.ts", httpReady(`${url}/healthz`));
  return { url, appEnv: env, processes: [services, app] };
}

/** The environment that wires an app child process to this harness's restate-server, stand-ins and database. */
function appEnvironment(parts: Parts, httpPort: number, servicePort: number): Record<string, string> {
  const { restate, stripe } = parts;
  return {
    RESTATE_ADMIN_URL: restate.adminUrl,
    // Every node's ingress in a cluster: the app fails over between them.
    RESTATE_INGRESS_URL: restate.ingressUrls.join(","),
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_API_BASE: stripe.url,
    STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    SMTP_URL: parts.smtp.url,
    SLACK_WEBHOOK_URL: parts.slack.url,
    SLACK_SIGNING_SECRET: parts.slack.signingSecret,
    SLACK_OPERATOR_IDS: "*",
    SLACK_RESPONSE_URL_PREFIX: parts.slack.responseUrlPrefix,
    ...CHILD_SECRETS,
    CENTER_WEBHOOK_SECRETS: Object.entries(parts.centerSecrets)
      .map(([id, secret]) => `${id}=${secret}`)
      .join(","),
    RESTATE_IDENTITY_KEYS: parts.identityKey,
    HTTP_PORT: String(httpPort),
    SERVICE_PORT: String(servicePort),
    // dev/start.ts keeps local state (generated secrets) under the data dir: the run's, not the repo's .data.
    POSTPAY_DATA_DIR: path.join(parts.dir, "data"),
    ...parts.database.env,
  };
}

/** Stops what was started, last first. Every step runs even if one fails; the first error is thrown. */
type Cleanup = { add(step: () => unknown): void; run(): Promise<void> };

function cleanupStack(): Cleanup {
  const steps: (() => unknown)[] = [];
  return {
    add: (step) => {
      steps.push(step);
    },
    run: async () => {
      let failure: unknown;
      for (let step = steps.pop(); step; step = steps.pop()) {
        try {
          await step();
        } catch (err) {
          failure ??= err;
        }
      }
      if (failure !== undefined) throw failure;
    },
  };
}
