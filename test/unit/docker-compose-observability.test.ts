// The observability profile (docker-compose.observability.yml, on top of docker-compose.yml) and
// what it mounts: checked like the other compose files (dclint, then a parse pinning the contract),
// since no Docker engine runs here. Its Prometheus scrapes what postpay serves, its alert rules and
// the Grafana dashboard query only metrics postpay exports (restate-server's names are checked
// against a live restate-server in test/integration/metrics.test.ts), and every alert has a runbook.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DCLinter } from "dclint";
import { collectDefaultMetrics, Registry } from "prom-client";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const file = (p: string) => readFileSync(`${root}${p}`, "utf8");
const yaml = <T>(p: string) => parse(file(p), { merge: true }) as T;

type Service = {
  image?: string;
  profiles?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  networks?: string[];
  volumes?: string[];
  secrets?: string[];
};
type Compose = {
  services: Record<string, Service>;
  networks?: Record<string, { internal?: boolean } | null>;
  secrets?: Record<string, { environment?: string; file?: string }>;
};
const overlay = yaml<Compose>("docker-compose.observability.yml");
const base = yaml<Compose>("docker-compose.yml");
const added = Object.entries(overlay.services).filter(([name]) => !(name in base.services));

/** Metric names a text refers to (PromQL, dashboards). */
const metricNames = (text: string, prefix: string) =>
  new Set([...text.matchAll(new RegExp(`\\b${prefix}_[a-z0-9_]+`, "g"))].map((m) => m[0]));

/** Every postpay_* series postpay serves: the names registered in its sources, process metrics, histogram series. */
function postpayMetrics(): Set<string> {
  const declared = [file("src/http/metrics.ts"), file("src/telemetry/metrics.ts")].flatMap((src) => [
    ...metricNames(src, "postpay"),
  ]);
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults, prefix: "postpay_" });
  const names = [...declared, ...defaults.getMetricsAsArray().map((m) => m.name)];
  return new Set(names.flatMap((n) => [n, `${n}_bucket`, `${n}_count`, `${n}_sum`]));
}

describe("docker-compose.observability.yml passes dclint", () => {
  it("has no dclint errors or warnings (Node API, .dclintrc rules)", () => {
    const rc = parse(file(".dclintrc")) as { rules: Record<string, unknown> };
    const linter = new DCLinter({ rules: rc.rules, quiet: false, debug: false, exclude: [] } as never);
    const results = linter.lintFiles([`${root}docker-compose.observability.yml`], false) as {
      messages: { message: string; rule: string }[];
    }[];
    expect(results.flatMap((r) => r.messages.map((m) => `${m.message} [${m.rule}]`))).toEqual([]);
  });

  it("passes the `dclint docker-compose.observability.yml` command", async () => {
    const bin = `${root}node_modules/dclint/bin/dclint.cjs`;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, "docker-compose.observability.yml"], {
      cwd: root,
    });
    expect(`${stdout}\n${stderr}`).not.toMatch(/\b(error|warning)\b/i);
  });
});

describe("the observability profile", () => {
  it("adds a collector, Jaeger, Prometheus and Grafana, only under the observability profile, with pinned images", () => {
    expect(added.map(([name]) => name).sort()).toEqual(["grafana", "jaeger", "otel-collector", "prometheus"]);
    for (const [name, s] of added) {
      expect({ name, profiles: s.profiles }).toEqual({ name, profiles: ["observability"] });
      expect(s.image, name).toMatch(/:[0-9v][\w.-]*$/);
    }
  });

  it("publishes the UIs on loopback only, and keeps the collector on the internal network", () => {
    for (const [name, s] of added)
      for (const port of s.ports ?? [])
        expect({ name, port }).toEqual({ name, port: expect.stringMatching(/^127\.0\.0\.1:/) });
    expect(overlay.services["otel-collector"]!.ports).toBeUndefined();
    expect(overlay.services["otel-collector"]!.networks).toEqual(["private"]);
    expect(base.networks!.private!.internal).toBe(true);
    expect(overlay.networks).toHaveProperty("observe");
  });

  it("points postpay's processes and restate-server at the collector, each with the protocol it speaks", () => {
    const collector = parse(file("observability/otel-collector.yaml")) as {
      receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
      service: { pipelines: { traces: { receivers: string[]; exporters: string[] } } };
    };
    expect(collector.receivers.otlp.protocols.http.endpoint).toMatch(/:4318$/);
    expect(collector.receivers.otlp.protocols.grpc.endpoint).toMatch(/:4317$/);
    expect(collector.service.pipelines.traces.exporters).toEqual(["otlp/jaeger"]);
    for (const name of ["http", "services"])
      expect(overlay.services[name]!.environment!.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("http://otel-collector:4318");
    expect(overlay.services.restate!.environment!.RESTATE_TRACING_ENDPOINT).toBe("http://otel-collector:4317");
    expect(String(overlay.services.http!.environment!.TRACE_URL_TEMPLATE)).toContain("{traceId}");
  });

  it("mounts files that exist in the repository", () => {
    for (const [name, s] of added)
      for (const volume of s.volumes ?? []) {
        const source = volume.split(":")[0]!;
        if (source.startsWith("./"))
          expect({ name, source, exists: existsSync(`${root}${source}`) }).toMatchObject({ exists: true });
      }
  });
});

describe("Prometheus", () => {
  const config = parse(file("observability/prometheus/prometheus.yml")) as {
    rule_files: string[];
    scrape_configs: {
      job_name: string;
      metrics_path?: string;
      authorization?: { credentials_file: string };
      static_configs: { targets: string[] }[];
    }[];
  };
  const job = (name: string) => config.scrape_configs.find((j) => j.job_name === name)!;

  it("scrapes GET /metrics on the HTTP app with the admin token, from a secret made of ADMIN_TOKEN", () => {
    expect(job("postpay-http").static_configs[0]!.targets).toEqual(["http:3000"]);
    expect(job("postpay-http").authorization!.credentials_file).toBe("/run/secrets/admin-token");
    expect(overlay.services.prometheus!.secrets).toContain("admin-token");
    expect(overlay.secrets!["admin-token"]).toEqual({ environment: "ADMIN_TOKEN" });
  });

  it("scrapes the endpoint's METRICS_PORT and restate-server's node port", () => {
    expect(job("postpay-services").static_configs[0]!.targets).toEqual([
      `services:${overlay.services.services!.environment!.METRICS_PORT}`,
    ]);
    expect(job("restate").static_configs[0]!.targets).toEqual(["restate:5122"]);
  });

  it("loads the committed rules from where the profile mounts them", () => {
    expect(overlay.services.prometheus!.volumes).toContain("./observability/prometheus:/etc/prometheus:ro");
    expect(config.rule_files).toEqual(["/etc/prometheus/rules.yml"]);
  });
});

describe("the alert rules", () => {
  type Rule = { alert: string; expr: string; labels: { severity: string }; annotations: Record<string, string> };
  const rules = (yaml<{ groups: { rules: Rule[] }[] }>("observability/prometheus/rules.yml").groups ?? []).flatMap(
    (g) => g.rules,
  );
  const docs = file("docs/observability.md");

  it("cover a paid order not final, Restate retrying, the outbox, undecided incidents and webhook 503s", () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        "PaidOrderNotFinal",
        "RestateInvocationsBackingOff",
        "OutboxNotDraining",
        "IncidentUndecided",
        "WebhooksRefusedWith503",
      ]),
    );
  });

  it("each have a severity, a summary and a runbook section in docs/observability.md", () => {
    for (const r of rules) {
      expect(["page", "warn"], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary, r.alert).toBeTruthy();
      const anchor = r.annotations.runbook!.split("#")[1]!;
      expect(anchor, r.alert).toBe(r.alert.toLowerCase());
      expect(docs, r.alert).toMatch(new RegExp(`^#+ ${r.alert}$`, "m"));
    }
  });

  it("query only metrics postpay serves", () => {
    const known = postpayMetrics();
    for (const r of rules)
      for (const name of metricNames(r.expr, "postpay")) expect(known, `${r.alert}: ${name}`).toContain(name);
  });
});

describe("the Grafana dashboard", () => {
  type Panel = { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] };
  const dashboard = JSON.parse(file("observability/grafana/dashboards/postpay.json")) as {
    uid: string;
    panels: Panel[];
  };
  const datasources = yaml<{ datasources: { uid: string; type: string }[] }>(
    "observability/grafana/provisioning/datasources/datasources.yml",
  ).datasources;

  it("is provisioned with its data sources, and is Grafana's home dashboard", () => {
    expect(datasources.map((d) => d.type).sort()).toEqual(["jaeger", "prometheus"]);
    expect(overlay.services.grafana!.volumes).toContain(
      "./observability/grafana/dashboards:/var/lib/grafana/dashboards:ro",
    );
    expect(overlay.services.grafana!.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(
      "/var/lib/grafana/dashboards/postpay.json",
    );
  });

  it("shows the business metrics beside Restate's, from provisioned data sources, querying only metrics postpay serves", () => {
    const queries = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    const text = queries.join("\n");
    for (const name of [
      "postpay_orders",
      "postpay_incidents_open",
      "postpay_outbox_backlog",
      "postpay_webhook_deliveries_total",
    ])
      expect(text).toContain(name);
    expect(metricNames(text, "restate").size).toBeGreaterThan(0);
    const known = postpayMetrics();
    for (const name of metricNames(text, "postpay")) expect(known, name).toContain(name);
    for (const p of dashboard.panels.filter((p) => p.type !== "row"))
      expect(
        datasources.map((d) => d.uid),
        p.title,
      ).toContain(p.datasource!.uid);
  });
});
