// Probes for whoever runs the app (a load balancer, Kubernetes). /healthz is liveness: the process
// answers, whatever the database does (restarting the app would not bring the database back).
// /readyz is readiness: the database answers a trivial query within READY_TIMEOUT_MS; while it does
// not, 503 with Retry-After, as every route that needs the database answers then.
import { Hono } from "hono";
import { databaseAnswers, type Db } from "../../db/client.ts";
import { ApiError } from "./errors.ts";

/** Below the ~2 s in which every route answers while the database is down. */
export const READY_TIMEOUT_MS = 1_500;

export function healthRoutes(deps: { db: Db }) {
  const health = new Hono();
  health.get("/healthz", (c) => c.json({ ok: true }));
  health.get("/readyz", async (c) => {
    if (!(await databaseAnswers(deps.db, READY_TIMEOUT_MS)))
      throw new ApiError("database_unavailable", "the database is briefly unavailable; try again shortly");
    return c.json({ ok: true });
  });
  return health;
}
