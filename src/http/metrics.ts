// GET /metrics behind the admin bearer (Prometheus sends it): the business gauges, read from the
// database at scrape time (db/metrics.ts), and this process's own counters (webhook deliveries by
// outcome, process metrics). The gauge names postpay_orders{status} and postpay_incidents_open are
// part of the external contract. If the database does not answer, the scrape still succeeds with
// postpay_database_up 0 and no business gauges: Prometheus then alerts on that, not on a gap.
import { Hono, type MiddlewareHandler } from "hono";
import { Gauge, Registry } from "prom-client";
import type { Db } from "../../db/client.ts";
import {
  countOrdersByStatus,
  countUnfinishedOrdersOlderThan,
  openIncidentsByStep,
  outboxBacklog,
} from "../../db/metrics.ts";
import { ORDER_STATUSES } from "../domain/order.ts";
import type { HttpMetrics } from "../telemetry/metrics.ts";
import { type FailureCounter, requireBearer } from "./middleware.ts";

/** Age thresholds of the unfinished-orders gauge: 1m, 5m, 15m, 30m, 1h, 6h, 1d. */
const AGES = [60, 300, 900, 1800, 3600, 21_600, 86_400];
const ageLabel = (s: number) => (s % 86_400 === 0 ? `${s / 86_400}d` : s % 3600 === 0 ? `${s / 3600}h` : `${s / 60}m`);

function businessRegistry(db: Db): Registry {
  const registry = new Registry();
  // prom-client reads every gauge at once: they share one snapshot of the database per scrape.
  let snapshot: Promise<void> | undefined;
  const refresh = () =>
    (snapshot ??= load().finally(() => {
      snapshot = undefined;
    }));
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry], collect: refresh });
  const up = gauge("postpay_database_up", "1 when the database answered this scrape's queries, else 0.");
  const orders = gauge("postpay_orders", "Orders by status.", ["status"]);
  const unfinished = gauge(
    "postpay_orders_unfinished",
    "Paid orders not final (processing, needs_attention) older than `older_than`, per status (cumulative).",
    ["status", "older_than"],
  );
  const incidents = gauge("postpay_incidents_open", "Open incidents.");
  const byStep = gauge("postpay_incidents_open_by_step", "Open incidents per step.", ["step"]);
  const oldestByStep = gauge("postpay_incident_oldest_open_seconds", "Age of the oldest open incident, per step.", [
    "step",
  ]);
  const decision = gauge(
    "postpay_decision_oldest_wait_seconds",
    "How long the oldest undecided incident has waited (0: none).",
  );
  const outbox = gauge("postpay_outbox_backlog", "Emails stored in the outbox and not sent yet.");
  const outboxOldest = gauge("postpay_outbox_oldest_unsent_seconds", "Age of the oldest unsent email (0: none).");

  const load = async () => {
    for (const g of [up, orders, unfinished, incidents, byStep, oldestByStep, decision, outbox, outboxOldest])
      g.reset();
    try {
      const [statuses, ages, steps, backlog] = [
        await countOrdersByStatus(db),
        await countUnfinishedOrdersOlderThan(db, AGES),
        await openIncidentsByStep(db),
        await outboxBacklog(db),
      ];
      for (const status of ORDER_STATUSES)
        orders.set({ status }, statuses.find((s) => s.status === status)?.count ?? 0);
      for (const status of ["processing", "needs_attention"])
        for (const t of AGES)
          unfinished.set(
            { status, older_than: ageLabel(t) },
            ages.find((a) => a.status === status && a.olderThan === t)?.count ?? 0,
          );
      for (const s of steps) {
        byStep.set({ step: s.step }, s.count);
        oldestByStep.set({ step: s.step }, s.oldestSeconds);
      }
      incidents.set(steps.reduce((sum, s) => sum + s.count, 0));
      decision.set(Math.max(0, ...steps.map((s) => s.oldestUndecidedSeconds ?? 0)));
      outbox.set(backlog.count);
      outboxOldest.set(backlog.oldestSeconds);
      up.set(1);
    } catch {
      up.set(0);
    }
  };
  return registry;
}

export function metricsRoutes({
  db,
  adminToken,
  metrics,
  tokenFailures,
}: {
  db: Db;
  adminToken: string;
  metrics: HttpMetrics;
  tokenFailures: FailureCounter;
}) {
  const routes = new Hono();
  const registry = Registry.merge([businessRegistry(db), metrics.registry]);
  routes.get("/metrics", requireBearer(adminToken, "admin token", tokenFailures), async (c) =>
    c.body(await registry.metrics(), 200, { "content-type": registry.contentType }),
  );
  return routes;
}

/** Counts each webhook delivery by its answer (after the error table has mapped any failure). */
export const countWebhooks =
  (metrics: HttpMetrics): MiddlewareHandler =>
  async (c, next) => {
    await next();
    metrics.webhook(c.req.path.startsWith("/webhooks/stripe") ? "stripe" : "centers", c.res.status);
  };
