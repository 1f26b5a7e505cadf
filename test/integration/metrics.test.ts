// GET /metrics as Prometheus reads it: Prometheus text (parsed by a parser of the format, not by
// regexes), behind the admin bearer, and the business gauges move by exactly what happened — one
// order, one incident — when a center rejects an order. The service endpoint's own metrics (its
// METRICS_PORT) count the calls to the centers and time the workflow's steps.
import { readFileSync } from "node:fs";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../support/stack.ts";

type Family = {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; count?: string }[];
};

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Family[]> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  const text = await res.text();
  const families = parsePrometheusTextFormat(text) as Family[];
  // The parser folds a histogram's labelled series into one: read their counts as counters.
  const counts = families
    .filter((f) => f.type === "HISTOGRAM")
    .map(
      (f) =>
        `# TYPE ${f.name}_count counter\n${text
          .split("\n")
          .filter((l) => l.startsWith(`${f.name}_count{`))
          .join("\n")}`,
    );
  return [...families, ...(parsePrometheusTextFormat(counts.join("\n")) as Family[])];
}

const appMetrics = () => scrape(`${stack.http.url}/metrics`, { authorization: `Bearer ${stack.config.adminToken}` });

/** The value of one series (labels must match exactly those given); undefined when absent. */
function value(families: Family[], name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.find((f) => f.name === name);
  const series = family?.metrics.find(
    (m) =>
      Object.entries(labels).every(([k, v]) => m.labels?.[k] === v) &&
      Object.keys(m.labels ?? {}).length === Object.keys(labels).length,
  );
  return series?.value === undefined
    ? series?.count === undefined
      ? undefined
      : Number(series.count)
    : Number(series.value);
}

const ordersTotal = (f: Family[]) =>
  f.find((x) => x.name === "postpay_orders")!.metrics.reduce((sum, m) => sum + Number(m.value), 0);

describe("GET /metrics", () => {
  it("is refused to anonymous callers and to a wrong token", async () => {
    expect((await fetch(`${stack.http.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${stack.http.url}/metrics`, {
      headers: { authorization: "Bearer not-the-admin-token-000000" },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain("postpay_orders");
  });

  it("moves by exactly one order and one incident when a center rejects an order", async () => {
    const before = await appMetrics();
    expect(value(before, "postpay_database_up")).toBe(1);
    const id = await stack.orderStuckAtNorth("cus_metrics");
    const after = await appMetrics();

    expect(ordersTotal(after) - ordersTotal(before)).toBe(1);
    expect(
      value(after, "postpay_orders", { status: "needs_attention" })! -
        value(before, "postpay_orders", { status: "needs_attention" })!,
    ).toBe(1);
    expect(value(after, "postpay_incidents_open")! - value(before, "postpay_incidents_open")!).toBe(1);
    expect(value(after, "postpay_incidents_open_by_step", { step: "send to fc-north" })).toBeGreaterThanOrEqual(1);
    expect(value(after, "postpay_decision_oldest_wait_seconds")).toBeGreaterThanOrEqual(0);
    // The webhook that started it was accepted, and counted once.
    const accepted = (f: Family[]) =>
      value(f, "postpay_webhook_deliveries_total", { source: "stripe", outcome: "accepted" })!;
    expect(accepted(after) - accepted(before)).toBe(1);

    // The endpoint's own metrics: the rejection counted as a rejected call to a center, the
    // failed step timed under its name.
    const services = await scrape(stack.servicesMetricsUrl!);
    expect(
      value(services, "postpay_outbound_call_duration_seconds_count", { target: "center", outcome: "rejected" }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(services, "postpay_step_duration_seconds_count", {
        service: "OrderWorkflow",
        step: "send to fc-north",
        outcome: "failed",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(services, "postpay_step_duration_seconds_count", {
        service: "OrderWorkflow",
        step: "load payment session",
        outcome: "ok",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(id).toBeTruthy();
  });

  it("counts a refused webhook as refused", async () => {
    const before = await appMetrics();
    const res = await fetch(`${stack.http.url}/webhooks/stripe`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": "t=1,v1=bad" },
      body: "{}",
    });
    expect(res.status).toBe(400);
    const after = await appMetrics();
    const refused = (f: Family[]) =>
      value(f, "postpay_webhook_deliveries_total", { source: "stripe", outcome: "refused" })!;
    expect(refused(after) - refused(before)).toBe(1);
  });

  it("restate-server serves every restate_* metric the alert rules and the dashboard query", async () => {
    // Restate's own metrics are on its node (fabric) port in 1.7, not on the admin port.
    const restate = await scrape(`http://127.0.0.1:${stack.restate.ports.fabric}/metrics`);
    const served = new Set(restate.map((f) => f.name));
    const queried = ["observability/prometheus/rules.yml", "observability/grafana/dashboards/postpay.json"]
      .map((f) => readFileSync(new URL(`../../${f}`, import.meta.url), "utf8"))
      .flatMap((text) => [...text.matchAll(/\brestate_[a-z0-9_]+/g)].map((m) => m[0]));
    expect(queried.length).toBeGreaterThan(0);
    for (const name of queried) expect(served, name).toContain(name);
  });
});
