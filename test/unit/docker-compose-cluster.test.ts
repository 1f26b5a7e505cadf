// docker-compose.cluster.yml (postpay on a three-node Restate cluster) cannot be started here (no
// Docker engine), so, like docker-compose.yml, it is checked with dclint and by parsing it. The
// nodes' Restate settings are environment variables, and restate-server ignores a key it does not
// know without a word, so each node's environment is also given to the real restate-server 1.7.12
// binary with --dump-config: the effective configuration must be the intended one.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DCLinter } from "dclint";
import { parse } from "yaml";
import { afterAll, describe, it, expect } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const clusterPath = join(root, "docker-compose.cluster.yml");
const singlePath = join(root, "docker-compose.yml");
const dclintrcPath = join(root, ".dclintrc");
const dclintBin = join(root, "node_modules/dclint/bin/dclint.cjs");
const run = promisify(execFile);

const NODES = ["restate-1", "restate-2", "restate-3"] as const;

// The parts of dclint's types used here (dclint 3.1 ships the class untyped for NodeNext).
type LintMessage = { rule: string; type: "error" | "warning"; message: string; line: number };
type LintResult = { filePath: string; messages: LintMessage[] };

function lint(): LintMessage[] {
  const rc = (parse(readFileSync(dclintrcPath, "utf8")) ?? {}) as { rules?: Record<string, unknown> };
  const config = { rules: rc.rules ?? {}, quiet: false, debug: false, exclude: [] };
  const linter = new DCLinter(config as ConstructorParameters<typeof DCLinter>[0]);
  const results = linter.lintFiles([clusterPath], false) as LintResult[];
  expect(results.map((r) => r.filePath)).toEqual([clusterPath]);
  return results.flatMap((r) => r.messages);
}

const describeMessages = (messages: LintMessage[]): string[] =>
  messages.map((m) => `line ${m.line}: ${m.message} [${m.rule}]`);

type Service = {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target: number; published?: string | number; host_ip?: string })[];
  networks?: string[] | Record<string, unknown>;
  network_mode?: string;
  secrets?: (string | { source: string; target?: string })[];
  depends_on?: string[] | Record<string, { condition: string }>;
  volumes?: (string | { type?: string; source?: string; target: string })[];
  restart?: string;
  healthcheck?: { test?: string | string[]; disable?: boolean };
};
type Network = { internal?: boolean; external?: boolean } | null;
type ComposeFile = {
  name?: string;
  services: Record<string, Service>;
  networks?: Record<string, Network>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
};

/** A compose file as Docker Compose sees it: YAML merge keys (`<<: *restate`) resolved. */
const load = (path: string) => parse(readFileSync(path, "utf8"), { merge: true }) as ComposeFile;
const cluster = load(clusterPath);
const single = load(singlePath);

function service(name: string, file: ComposeFile = cluster): Service {
  const found = file.services[name];
  if (found === undefined) throw new Error(`no service "${name}"`);
  return found;
}

/** A service's environment as a map, whichever Compose syntax it uses (values uninterpolated). */
function environment(name: string, file: ComposeFile = cluster): Record<string, string> {
  const env = service(name, file).environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const eq = entry.indexOf("=");
        return eq === -1 ? [entry, ""] : [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? "" : String(v)]));
}

/**
 * Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}
 * and $$. A required variable that `vars` does not set throws, as `docker compose up` refuses.
 */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g,
    (whole, name?: string, op?: string, arg?: string) => {
      if (whole === "$$") return "$";
      const set = vars[name!];
      const present = op?.startsWith(":") ? set !== undefined && set !== "" : set !== undefined;
      if (present) return set!;
      if (op === ":?" || op === "?") throw new Error(`${name} is required: ${arg}`);
      return op === ":-" || op === "-" ? arg! : "";
    },
  );
}

/** The value a `${VAR:-default}` falls back to when the operator sets nothing. */
const withDefaults = (value: string) => interpolate(value, {});

/** Names of the variables a value requires (`${VAR:?message}`). */
const requiredVariables = (value: string): string[] =>
  [...value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):\?[^}]+\}/g)].map((m) => m[1]!);

type PortMapping = { hostIp?: string; published?: string; target: string };
function ports(name: string): PortMapping[] {
  return (service(name).ports ?? []).map((port): PortMapping => {
    if (typeof port === "object") {
      return {
        target: String(port.target),
        ...(port.published === undefined ? {} : { published: String(port.published) }),
        ...(port.host_ip === undefined ? {} : { hostIp: port.host_ip }),
      };
    }
    const parts = String(port)
      .replace(/\/(tcp|udp)$/, "")
      .split(":");
    const target = parts.pop() ?? "";
    const published = parts.pop();
    const hostIp = parts.length > 0 ? parts.join(":") : undefined;
    return { target, ...(published === undefined ? {} : { published }), ...(hostIp === undefined ? {} : { hostIp }) };
  });
}

function networksOf(name: string): string[] {
  const networks = service(name).networks ?? [];
  return (Array.isArray(networks) ? [...networks] : Object.keys(networks)).sort();
}

function network(name: string): NonNullable<Network> {
  const networks = cluster.networks ?? {};
  if (!(name in networks)) throw new Error(`docker-compose.cluster.yml declares no network "${name}"`);
  return networks[name] ?? {};
}

const isInternal = (name: string): boolean => network(name).internal === true;
const servicesOn = (net: string): string[] =>
  Object.keys(cluster.services)
    .filter((s) => networksOf(s).includes(net))
    .sort();
const shareInternal = (a: string, b: string): boolean =>
  networksOf(a).some((net) => isInternal(net) && networksOf(b).includes(net));

function secretMounts(name: string): Record<string, string> {
  return Object.fromEntries(
    (service(name).secrets ?? []).map((secret) => {
      const { source, target } = typeof secret === "string" ? { source: secret, target: undefined } : secret;
      const path =
        target === undefined ? `/run/secrets/${source}` : target.startsWith("/") ? target : `/run/secrets/${target}`;
      return [source, path];
    }),
  );
}

/** Named volumes (not bind mounts) a service mounts, as { volume: target }. */
function namedVolumes(name: string): Record<string, string> {
  const entries = (service(name).volumes ?? []).flatMap((volume): [string, string][] => {
    if (typeof volume === "object")
      return volume.type === "volume" && volume.source ? [[volume.source, volume.target]] : [];
    const [source, target] = volume.split(":");
    return source && target && !/^[./~]/.test(source) ? [[source, target]] : [];
  });
  return Object.fromEntries(entries);
}

function dependencyCondition(name: string, dependency: string): string | undefined {
  const deps = service(name).depends_on ?? {};
  if (Array.isArray(deps)) return deps.includes(dependency) ? "service_started" : undefined;
  return deps[dependency]?.condition;
}

const commandOf = (name: string, file: ComposeFile = cluster): string => {
  const command = service(name, file).command;
  return Array.isArray(command) ? command.join(" ") : (command ?? "");
};

/** restate-server reads a TOML list from an environment variable as `[a,b,c]`. */
const tomlList = (value: string): string[] =>
  value
    .replace(/^\[|\]$/g, "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** A node's auto-provision as restate-server reads it: true unless turned off (the server default). */
const autoProvisions = (name: string): boolean =>
  (environment(name).RESTATE_AUTO_PROVISION ?? "true").toLowerCase() === "true";

describe("docker-compose.cluster.yml passes dclint", () => {
  it("is valid YAML and a valid Compose file with no dclint errors (Node API, .dclintrc rules)", () => {
    expect(describeMessages(lint().filter((m) => m.type === "error"))).toEqual([]);
  });

  it("has no dclint warnings either", () => {
    expect(describeMessages(lint().filter((m) => m.type === "warning"))).toEqual([]);
  });

  it("passes the `dclint docker-compose.cluster.yml` command developers run, exiting 0", async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [dclintBin, "--max-warnings", "0", "docker-compose.cluster.yml"],
      { cwd: root },
    );
    expect(`${stdout}\n${stderr}`).not.toMatch(/\b(error|warning)\b/i);
  });
});

describe("docker-compose.cluster.yml runs a three-node Restate cluster", () => {
  it("defines restate-1, restate-2 and restate-3 next to postgres, migrate, services (and the previous version's), http and register, and no single restate", () => {
    expect(Object.keys(cluster.services).sort()).toEqual(
      ["http", "migrate", "postgres", "register", "services", "services-previous", ...NODES].sort(),
    );
    expect(cluster.name).not.toBe(single.name);
  });

  it("runs every node from the same pinned restate image as docker-compose.yml, with restate.toml underneath", () => {
    for (const node of NODES) {
      expect({ node, image: service(node).image }).toEqual({ node, image: service("restate", single).image });
      expect(service(node).volumes).toContain("./restate.toml:/restate.toml:ro");
      expect(environment(node)).toMatchObject({ RESTATE_CONFIG: "/restate.toml", RESTATE_BASE_DIR: "/restate-data" });
    }
  });

  it("gives every node the same cluster name and replication 2", () => {
    const names = new Set(NODES.map((node) => environment(node).RESTATE_CLUSTER_NAME));
    expect(names.size).toBe(1);
    expect([...names][0]).toMatch(/\S/);
    for (const node of NODES)
      expect({ node, replication: environment(node).RESTATE_DEFAULT_REPLICATION }).toEqual({ node, replication: "2" });
  });

  it("gives every node its own node name, node id and advertised address, named after its service", () => {
    NODES.forEach((node, i) => {
      expect({ node, env: environment(node) }).toMatchObject({
        node,
        env: {
          RESTATE_NODE_NAME: node,
          RESTATE_FORCE_NODE_ID: String(i + 1),
          RESTATE_ADVERTISED_ADDRESS: `http://${node}:5122/`,
          RESTATE_BIND_ADDRESS: "0.0.0.0:5122",
        },
      });
    });
    for (const key of ["RESTATE_NODE_NAME", "RESTATE_FORCE_NODE_ID", "RESTATE_ADVERTISED_ADDRESS"]) {
      expect(new Set(NODES.map((node) => environment(node)[key])).size).toBe(NODES.length);
    }
  });

  it("lets exactly one node auto-provision (the server default is true, so the others turn it off)", () => {
    expect(NODES.filter(autoProvisions)).toEqual(["restate-1"]);
  });

  it("lists all three nodes' addresses as metadata servers on every node", () => {
    const advertised = NODES.map((node) => environment(node).RESTATE_ADVERTISED_ADDRESS).sort();
    for (const node of NODES) {
      const addresses = tomlList(environment(node).RESTATE_METADATA_CLIENT__ADDRESSES ?? "").sort();
      expect({ node, addresses }).toEqual({ node, addresses: advertised });
    }
  });

  it("sends partition snapshots to the operator's S3 bucket, with the AWS settings required from the host", () => {
    for (const node of NODES) {
      const env = environment(node);
      expect(env.RESTATE_WORKER__SNAPSHOTS__DESTINATION).toMatch(/^s3:\/\/\$\{SNAPSHOT_BUCKET:\?[^}]+\}$/);
      // Snapshots are taken on their own only with an interval.
      expect(
        env.RESTATE_WORKER__SNAPSHOTS__SNAPSHOT_INTERVAL ??
          env.RESTATE_WORKER__SNAPSHOTS__SNAPSHOT_INTERVAL_NUM_RECORDS,
      ).toBeDefined();
      for (const variable of ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"]) {
        expect({ node, variable, required: requiredVariables(env[variable] ?? "") }).toEqual({
          node,
          variable,
          required: [variable],
        });
      }
      // Plain HTTP to the object store only when the operator says so.
      expect(withDefaults(env.AWS_ALLOW_HTTP ?? "false")).toBe("false");
    }
    // No object store in the stack: the bucket is the operator's.
    for (const name of Object.keys(cluster.services)) expect(service(name).image ?? "").not.toMatch(/minio/i);
  });

  it("keeps each node's data on a volume of its own", () => {
    const volumes = NODES.map((node) => {
      const mounts = Object.entries(namedVolumes(node)).filter(([, target]) => target === "/restate-data");
      expect({ node, mounts: mounts.length }).toEqual({ node, mounts: 1 });
      return mounts[0]![0];
    });
    expect(new Set(volumes).size).toBe(NODES.length);
    for (const volume of volumes) expect(Object.keys(cluster.volumes ?? {})).toContain(volume);
  });

  it("puts the same request identity private key on every node, and on nothing else", () => {
    const sources = Object.entries(cluster.secrets ?? {})
      .filter(([, secret]) => secret.file === "./secrets/request-identity.pem")
      .map(([source]) => source);
    expect(sources).toHaveLength(1);
    for (const node of NODES) {
      const mounted = secretMounts(node)[sources[0]!];
      expect({ node, mounted }).toEqual({ node, mounted: expect.stringMatching(/^\//) });
      expect(environment(node).RESTATE_WORKER__INVOKER__REQUEST_IDENTITY_PRIVATE_KEY_PEM_FILE).toBe(mounted);
    }
    for (const name of Object.keys(cluster.services).filter((n) => !(NODES as readonly string[]).includes(n))) {
      expect({ name, secrets: Object.keys(secretMounts(name)) }).toEqual({ name, secrets: [] });
    }
  });

  it("checks each node's readiness with the admin API's /query, not /health (200 even when calls hang)", () => {
    for (const node of NODES) {
      const test = service(node).healthcheck?.test;
      expect(Array.isArray(test)).toBe(true);
      const command = (test as string[]).join(" ");
      expect(command).toMatch(/^CMD curl -f/);
      expect(command).toContain("-X POST");
      expect(command).toMatch(/http:\/\/(127\.0\.0\.1|localhost):9070\/query$/);
      expect(command).toMatch(/"query":\s*"SELECT [^"]+ FROM sys_\w+"/);
      expect(command).not.toContain("/health");
      // A bound on a hanging cluster.
      expect(command).toMatch(/ -m \d+/);
    }
  });
});

describe("docker-compose.cluster.yml runs the app on the cluster", () => {
  it("gives the HTTP app every node's ingress, so it fails over between them", () => {
    expect(environment("http").RESTATE_INGRESS_URL?.split(",")).toEqual(NODES.map((node) => `http://${node}:8080`));
    expect(environment("http").RESTATE_ADMIN_URL).toMatch(/^http:\/\/restate-[123]:9070$/);
  });

  it("runs more than one worker process in the service endpoint and in the HTTP app", () => {
    expect(Number(withDefaults(environment("services").SERVICE_WORKERS ?? "1"))).toBeGreaterThan(1);
    expect(Number(withDefaults(environment("http").HTTP_WORKERS ?? "1"))).toBeGreaterThan(1);
  });

  it("requires RESTATE_IDENTITY_KEYS for the service endpoint, so it accepts only the cluster's signed requests", () => {
    expect(requiredVariables(environment("services").RESTATE_IDENTITY_KEYS ?? "")).toEqual(["RESTATE_IDENTITY_KEYS"]);
  });

  it("registers the service endpoint once, through one node's admin API, when that node reports the cluster ready", () => {
    expect(commandOf("register")).toBe("npm run register");
    const admin = environment("register").RESTATE_ADMIN_URL ?? "";
    const node = /^http:\/\/(restate-[123]):9070$/.exec(admin)?.[1];
    expect(node).toBeDefined();
    expect(interpolate(environment("register").SERVICE_URL ?? "", { SERVICE_VERSION: "v7" })).toBe(
      "http://services-v7:9080/",
    );
    expect(dependencyCondition("register", node!)).toBe("service_healthy");
    expect(dependencyCondition("register", "services")).toBeDefined();
    expect(service("register").restart).toBe("no");
  });

  it("starts the HTTP app once the database is migrated and the cluster is ready", () => {
    expect(NODES.some((node) => dependencyCondition("http", node) === "service_healthy")).toBe(true);
    expect(dependencyCondition("http", "migrate")).toBe("service_completed_successfully");
    expect(dependencyCondition("services", "migrate")).toBe("service_completed_successfully");
    expect(dependencyCondition("migrate", "postgres")).toBe("service_healthy");
    expect(commandOf("migrate")).toBe("npm run db:migrate");
  });

  it("gives the app roles every setting docker-compose.yml gives them (only the Restate URLs and worker counts differ)", () => {
    const clusterOnly = new Set(["RESTATE_INGRESS_URL", "RESTATE_ADMIN_URL", "SERVICE_WORKERS", "HTTP_WORKERS"]);
    for (const name of ["http", "services", "migrate", "register", "postgres"]) {
      const mine = environment(name);
      const theirs = environment(name, single);
      for (const [key, value] of Object.entries(theirs)) {
        if (clusterOnly.has(key)) continue;
        expect({ name, key, value: mine[key] }).toEqual({ name, key, value });
      }
      expect({ name, image: service(name).image, command: commandOf(name) }).toEqual({
        name,
        image: service(name, single).image,
        command: commandOf(name, single),
      });
    }
  });
});

describe("docker-compose.cluster.yml keeps Restate private", () => {
  it("publishes ports only from the HTTP app, only 3000, on loopback", () => {
    const publishing = Object.keys(cluster.services).filter((name) => ports(name).length > 0);
    expect(publishing).toEqual(["http"]);
    expect(ports("http")).toEqual([{ hostIp: "127.0.0.1", published: "3000", target: "3000" }]);
  });

  it("names every service's networks, none external, and uses no network_mode", () => {
    for (const name of Object.keys(cluster.services)) {
      expect({ name, networks: networksOf(name).length > 0, mode: service(name).network_mode }).toEqual({
        name,
        networks: true,
        mode: undefined,
      });
      for (const net of networksOf(name))
        expect({ name, net, external: network(net).external }).toEqual({ name, net, external: undefined });
    }
  });

  it("reaches the nodes' ports only over internal networks: each node's one other network is outbound-only, theirs alone", () => {
    for (const node of NODES) {
      expect(networksOf(node).filter(isInternal).length).toBeGreaterThan(0);
      const outward = networksOf(node).filter((net) => !isInternal(net));
      // The snapshot bucket is outside the stack; an internal network has no route to it.
      expect({ node, outward: outward.length <= 1 }).toEqual({ node, outward: true });
      // Nobody but the nodes is on that network, and nothing is published on it.
      for (const net of outward) {
        expect(servicesOn(net)).toEqual([...NODES]);
        for (const name of servicesOn(net)) expect(ports(name)).toEqual([]);
      }
    }
  });

  it("keeps Postgres and the one-shots on internal networks only", () => {
    for (const name of ["postgres", "migrate", "register"]) {
      for (const net of networksOf(name))
        expect({ name, net, internal: isInternal(net) }).toEqual({ name, net, internal: true });
    }
  });

  it("lets the nodes reach each other and the service endpoint, and the app and register reach every node, over an internal network", () => {
    const pairs: [string, string][] = [
      ["restate-1", "restate-2"],
      ["restate-1", "restate-3"],
      ["restate-2", "restate-3"],
      ...NODES.flatMap((node): [string, string][] => [
        [node, "services"],
        ["http", node],
        ["register", node],
      ]),
      ["register", "services"],
      ["services", "postgres"],
      ["http", "postgres"],
      ["migrate", "postgres"],
    ];
    for (const [from, to] of pairs)
      expect({ from, to, shared: shareInternal(from, to) }).toEqual({ from, to, shared: true });
  });
});

describe("restate-server 1.7.12 reads each node's environment as intended (--dump-config)", () => {
  const require = createRequire(import.meta.url);
  const binary = require.resolve("@restatedev/restate-server-linux-x64/bin/restate-server");
  const baseDir = mkdtempSync(join(tmpdir(), "postpay-cluster-config-"));
  afterAll(() => rmSync(baseDir, { recursive: true, force: true }));

  // What an operator would put in .env; only the required variables.
  const operator = {
    SNAPSHOT_BUCKET: "acme-restate/postpay",
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "example-secret",
    AWS_ENDPOINT_URL: "https://s3.eu-west-1.amazonaws.com",
  };

  /** A node's effective configuration: its compose environment interpolated, restate.toml from this checkout. */
  async function effectiveConfig(node: string): Promise<Record<string, unknown>> {
    const env = Object.fromEntries(Object.entries(environment(node)).map(([k, v]) => [k, interpolate(v, operator)]));
    env.RESTATE_CONFIG = join(root, "restate.toml");
    env.RESTATE_BASE_DIR = baseDir;
    // Only the node's environment: nothing from the test's own RESTATE_* variables.
    const { stdout } = await run(binary, ["--dump-config"], { env: { PATH: process.env.PATH ?? "", ...env } });
    return parseDump(stdout);
  }

  it.each(NODES.map((node, i) => [node, i + 1] as const))("%s", async (node, id) => {
    const config = await effectiveConfig(node);
    expect(config).toMatchObject({
      "cluster-name": "postpay",
      "node-name": node,
      "force-node-id": id,
      "auto-provision": node === "restate-1",
      "default-replication": 2,
      "default-num-partitions": 24,
      "advertised-address": `http://${node}:5122/`,
      "bind-address": "0.0.0.0:5122",
      "rocksdb-total-memory-size": "1.0 GiB",
      "metadata-client.addresses": NODES.map((n) => `http://${n}:5122/`),
      "admin.bind-address": "0.0.0.0:9070",
      "ingress.bind-address": "0.0.0.0:8080",
      "worker.snapshots.destination": "s3://acme-restate/postpay",
      "worker.snapshots.snapshot-interval": "1h",
      "worker.snapshots.snapshot-interval-num-records": 10000,
      "worker.invoker.request-identity-private-key-pem-file": "/run/secrets/restate-identity",
      // From restate.toml, unchanged.
      "default-journal-retention": "7d",
      "default-retry-policy.max-attempts": "unlimited",
    });
  });
});

/**
 * The TOML restate-server --dump-config prints, flattened to "section.key" → value: strings,
 * numbers, booleans and arrays of strings, the only kinds it prints.
 */
function parseDump(toml: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let section = "";
  const lines = toml.split("\n");
  const scalar = (raw: string): unknown => {
    const v = raw.trim().replace(/,$/, "");
    if (v.startsWith('"')) return JSON.parse(v) as string;
    if (v === "true" || v === "false") return v === "true";
    return Number.isNaN(Number(v)) ? v : Number(v);
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = `${header[1]}.`;
      continue;
    }
    const pair = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (!pair) continue;
    const [, key, value] = pair;
    if (value === "[") {
      const items: unknown[] = [];
      while (lines[++i]!.trim() !== "]") items.push(scalar(lines[i]!));
      out[section + key] = items;
    } else if (value!.startsWith("[")) {
      out[section + key] = value!
        .slice(1, -1)
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
        .map(scalar);
    } else {
      out[section + key] = scalar(value!);
    }
  }
  return out;
}
