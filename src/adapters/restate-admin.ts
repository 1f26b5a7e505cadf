// Restate's admin API: deployments (register, discover, list, remove) and SQL introspection. Restate
// may still be starting, so registerDeployment retries refusals and connection errors until its
// deadline; the rest answers at once or fails with what Restate said.
import type { StuckOrders } from "../../services/stuck-orders.ts";
import { VERSION_METADATA_KEY, type Deployment } from "../domain/deployment.ts";

const STUCK_ORDERS: StuckOrders["name"] = "StuckOrders";

/**
 * Registers the service endpoint, overwriting whatever Restate knew at that URL (`force`): for
 * `npm start` and the tests, whose endpoint is their own. Deploys use `npm run register`.
 */
export async function registerDeployment(adminUrl: string, serviceUrl: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return (await createRestateAdmin(adminUrl).register(serviceUrl, { force: true })).id;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

type ServiceJson = { name: string; handlers?: { name: string }[]; metadata?: Record<string, string> | null };
type DeploymentJson = { id: string; uri: string; created_at: string; services: ServiceJson[] };

const toDeployment = (d: DeploymentJson): Deployment => ({
  id: d.id,
  uri: d.uri,
  createdAt: d.created_at,
  services: d.services.map((s) => ({
    name: s.name,
    handlers: (s.handlers ?? []).map((h) => h.name),
    version: s.metadata?.[VERSION_METADATA_KEY],
  })),
});

export class RestateAdminError extends Error {
  override name = "RestateAdminError";
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

export type RestateAdmin = ReturnType<typeof createRestateAdmin>;

export function createRestateAdmin(adminUrl: string, timeoutMs = 10_000) {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${adminUrl}${path}`, {
      method,
      headers: { "content-type": "application/json", accept: "application/json" },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) throw new RestateAdminError(`${method} ${path}: ${res.status} ${text}`, res.status);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  return {
    /** Every deployment with its services, their handlers and the version they report. */
    async deployments(): Promise<Deployment[]> {
      const { deployments } = await call<{ deployments: { id: string }[] }>("GET", "/deployments");
      const full = await Promise.all(deployments.map((d) => call<DeploymentJson>("GET", `/deployments/${d.id}`)));
      return full.map(toDeployment).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },
    /**
     * What the endpoint at `uri` serves now, asked by Restate (a dry run, so nothing changes; forced,
     * because without force Restate answers with what it recorded for a known URL, not what is there).
     */
    async discover(uri: string): Promise<Pick<Deployment, "services">> {
      return toDeployment(await call<DeploymentJson>("POST", "/deployments", { uri, force: true, dry_run: true }));
    },
    /** Registers `uri`; without force Restate keeps what it knew for a URL it knows (it does not look again). */
    async register(uri: string, { force }: { force: boolean }): Promise<{ id: string }> {
      return call<{ id: string }>("POST", "/deployments", { uri, force });
    },
    /** Removes a deployment (Restate 1.7 supports only the forced removal: callers check first). */
    async remove(id: string): Promise<void> {
      await call("DELETE", `/deployments/${encodeURIComponent(id)}?force=true`);
    },
    /** An SQL query over Restate's introspection tables (sys_invocation, sys_journal, …). */
    async query<Row>(sql: string): Promise<Row[]> {
      return (await call<{ rows: Row[] }>("POST", "/query", { query: sql })).rows;
    },
  };
}

/**
 * Starts the stuck-order sweeper (services/stuck-orders.ts) through Restate's ingress, once the
 * deployment is registered. Idempotent: sweeps already going are left alone.
 */
export async function startStuckOrderWatch(ingressUrl: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${ingressUrl}/${STUCK_ORDERS}/default/start`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        signal: AbortSignal.timeout(10_000),
      });
      await res.text();
      if (res.ok) return;
      if (Date.now() > deadline) throw new Error(`starting the stuck-order sweeper failed: ${res.status}`);
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
