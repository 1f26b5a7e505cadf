// Restate's admin API, as `npm run register` (and the dev stack) use it: make the service endpoint
// a deployment. Restate may still be starting, so refusals and connection errors are retried
// until the deadline.
import type { StuckOrders } from "../../services/stuck-orders.ts";

const STUCK_ORDERS: StuckOrders["name"] = "StuckOrders";

/** Registers (or re-registers) a service endpoint as a Restate deployment. */
export async function registerDeployment(adminUrl: string, serviceUrl: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${adminUrl}/deployments`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ uri: serviceUrl, force: true }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = await res.text();
      if (res.ok) return (JSON.parse(body) as { id: string }).id;
      if (Date.now() > deadline) throw new Error(`registering ${serviceUrl} failed: ${res.status} ${body}`);
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
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
