// docker-compose.yml cannot be started on these machines (no Docker engine), so it is checked
// two ways: dclint (YAML validity, the Compose schema, its best-practice rules) and a parse of the
// file that pins the contract between the containers: who listens where, who reaches whom over
// which network, and who gets which env and secrets.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DCLinter } from "dclint";
import { parse } from "yaml";
import { describe, it, expect } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const composePath = fileURLToPath(new URL("../../docker-compose.yml", import.meta.url));
const dclintrcPath = fileURLToPath(new URL("../../.dclintrc", import.meta.url));
const dclintBin = fileURLToPath(new URL("../../node_modules/dclint/bin/dclint.cjs", import.meta.url));
const gitignorePath = fileURLToPath(new URL("../../.gitignore", import.meta.url));
const dockerignorePath = fileURLToPath(new URL("../../.dockerignore", import.meta.url));

// The parts of dclint's types this test uses. dclint 3.1 exports only the DCLinter class, and its
// .d.ts re-exports it through an extensionless path that NodeNext cannot resolve, so the class
// arrives untyped; these local shapes keep the test strict.
type LintMessage = { rule: string; type: "error" | "warning"; message: string; line: number };
type LintResult = { filePath: string; messages: LintMessage[]; errorCount: number; warningCount: number };
type LinterConfig = {
  rules: Record<string, unknown>;
  quiet: boolean;
  debug: boolean;
  exclude: string[];
};

/** The same configuration the dclint CLI would use: its defaults plus the rules in .dclintrc. */
function linterConfig(): LinterConfig {
  const rc = (parse(readFileSync(dclintrcPath, "utf8")) ?? {}) as Partial<LinterConfig>;
  return { rules: rc.rules ?? {}, quiet: false, debug: false, exclude: [] };
}

function lint(): LintMessage[] {
  const linter = new DCLinter(linterConfig() as ConstructorParameters<typeof DCLinter>[0]);
  const results = linter.lintFiles([composePath], false) as LintResult[];
  expect(results.map((r) => r.filePath)).toEqual([composePath]);
  return results.flatMap((r) => r.messages);
}

const describeMessages = (messages: LintMessage[]): string[] =>
  messages.map((m) => `line ${m.line}: ${m.message} [${m.rule}]`);

type PortMapping = { hostIp?: string; published?: string; target: string };
type Service = {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target: number; published?: string | number; host_ip?: string })[];
  expose?: (string | number)[];
  networks?: string[] | Record<string, unknown>;
  network_mode?: string;
  secrets?: (string | { source: string; target?: string })[];
  depends_on?: string[] | Record<string, { condition: string }>;
  volumes?: unknown[];
  restart?: string;
  healthcheck?: unknown;
};
type Network = { internal?: boolean; external?: boolean; driver?: string } | null;
type Secret = { file?: string; environment?: string };
type ComposeFile = {
  name?: string;
  services: Record<string, Service>;
  networks?: Record<string, Network>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, Secret>;
};

/** The file as Docker Compose sees it: YAML merge keys (`<<: *app`) resolved. */
const compose = parse(readFileSync(composePath, "utf8"), { merge: true }) as ComposeFile;

function service(name: string): Service {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/** Environment of a service as a map, whichever Compose syntax (map or KEY=VALUE list) it uses. */
function environment(name: string): Record<string, string> {
  const env = service(name).environment ?? {};
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

/** Published ports, short syntax ([HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]) or long syntax. */
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

/** The networks a service joins, whichever Compose syntax (list or map) it uses. */
function networksOf(name: string): string[] {
  const networks = service(name).networks ?? [];
  return (Array.isArray(networks) ? [...networks] : Object.keys(networks)).sort();
}

/** A network declared at the top level; Compose would refuse an undeclared one. */
function network(name: string): NonNullable<Network> {
  const networks = compose.networks ?? {};
  if (!(name in networks)) throw new Error(`docker-compose.yml declares no network "${name}"`);
  return networks[name] ?? {};
}

const isInternal = (name: string): boolean => network(name).internal === true;

const servicesOn = (networkName: string): string[] =>
  Object.keys(compose.services)
    .filter((name) => networksOf(name).includes(networkName))
    .sort();

/** Where each secret of a service appears in its container: /run/secrets/<source>, or its target. */
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

/** Lines of an ignore file, comments and blanks left out. */
const ignoreLines = (file: string): string[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));

const publishes = (name: string, port: number): boolean =>
  ports(name).some((p) => p.target === String(port) && p.published === String(port));

function dependencyCondition(name: string, dependency: string): string | undefined {
  const deps = service(name).depends_on ?? {};
  if (Array.isArray(deps)) return deps.includes(dependency) ? "service_started" : undefined;
  return deps[dependency]?.condition;
}

const commandOf = (name: string): string => {
  const command = service(name).command;
  return Array.isArray(command) ? command.join(" ") : (command ?? "");
};

describe("docker-compose.yml passes dclint", () => {
  it("is valid YAML and a valid Compose file with no dclint errors (Node API, .dclintrc rules)", () => {
    const errors = lint().filter((m) => m.type === "error");
    expect(describeMessages(errors)).toEqual([]);
  });

  it("has no dclint warnings either", () => {
    const warnings = lint().filter((m) => m.type === "warning");
    expect(describeMessages(warnings)).toEqual([]);
  });

  it("passes the `dclint docker-compose.yml` command developers run, exiting 0", async () => {
    const run = promisify(execFile);
    const { stdout, stderr } = await run(process.execPath, [dclintBin, "docker-compose.yml"], { cwd: root });
    expect(`${stdout}\n${stderr}`).not.toMatch(/\berror\b/i);
  });
});

describe("docker-compose.yml contract", () => {
  it("defines the restate, postgres, migrate, services, services-previous, http and register services", () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ["http", "migrate", "postgres", "register", "restate", "services", "services-previous"].sort(),
    );
  });

  it("publishes the HTTP app on port 3000", () => {
    expect(publishes("http", 3000)).toBe(true);
    expect(environment("http").HTTP_PORT).toBe("3000");
  });

  it("binds every published port to loopback, where a TLS-terminating reverse proxy forwards to it", () => {
    for (const name of Object.keys(compose.services)) {
      for (const port of ports(name)) expect({ name, hostIp: port.hostIp }).toEqual({ name, hostIp: "127.0.0.1" });
    }
  });

  it("runs restate-server 1.7.12 with restate.toml but listening on all interfaces of its container", () => {
    const restate = service("restate");
    expect(restate.image).toBe("docker.io/restatedev/restate:1.7.12");
    expect(restate.volumes).toContain("./restate.toml:/restate.toml:ro");
    expect(environment("restate")).toMatchObject({
      RESTATE_CONFIG: "/restate.toml",
      RESTATE_BASE_DIR: "/restate-data",
      RESTATE_BIND_ADDRESS: "0.0.0.0:5122",
      RESTATE_ADVERTISED_ADDRESS: "http://restate:5122/",
      RESTATE_ADMIN__BIND_ADDRESS: "0.0.0.0:9070",
      RESTATE_INGRESS__BIND_ADDRESS: "0.0.0.0:8080",
    });
  });

  it("gives each container its own database role: only migrate owns the tables, the HTTP app's is the narrowest", () => {
    const url = (role: string, password: string) =>
      `postgres://${role}:\${${password}:?set ${password}}@postgres:5432/postpay`;
    expect(environment("migrate").DATABASE_URL).toBe(url("postpay_owner", "POSTPAY_OWNER_PASSWORD"));
    expect(environment("services").DATABASE_URL).toBe(url("postpay_services", "POSTPAY_SERVICES_PASSWORD"));
    expect(environment("http").DATABASE_URL).toBe(url("postpay_http", "POSTPAY_HTTP_PASSWORD"));
    // Nobody connects as the superuser, and its password is not a default.
    for (const name of ["migrate", "services", "http", "register"])
      expect(String(environment(name).DATABASE_URL ?? "")).not.toMatch(/\/\/postgres:/);
    expect(environment("postgres").POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    // The roles come from the init script, mounted read-only where the postgres image runs it.
    expect(service("postgres").volumes).toContain("./deploy/postgres-init:/docker-entrypoint-initdb.d:ro");
    const roles = readFileSync(
      fileURLToPath(new URL("../../deploy/postgres-init/10-roles.sh", import.meta.url)),
      "utf8",
    );
    expect(roles).toContain("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO postpay_services");
    expect(roles).not.toMatch(/GRANT[^;]*(DELETE|TRUNCATE|CREATE|ALL)[^;]*TO postpay_http/);
    expect(roles).not.toContain("'inventory_movements'");
  });

  it("requires the Stripe secrets from the host for the endpoint and the app, and ADMIN_TOKEN for the app", () => {
    for (const name of ["services", "http"]) {
      expect(environment(name).STRIPE_SECRET_KEY).toMatch(/^\$\{STRIPE_SECRET_KEY:\?/);
      expect(environment(name).STRIPE_WEBHOOK_SECRET).toMatch(/^\$\{STRIPE_WEBHOOK_SECRET:\?/);
    }
    expect(environment("http").ADMIN_TOKEN).toMatch(/^\$\{ADMIN_TOKEN:\?/);
  });

  it("requires ADMIN_TOKEN and SHOP_API_KEY for the HTTP app, and says they need 24 characters", () => {
    for (const variable of ["ADMIN_TOKEN", "SHOP_API_KEY"]) {
      const value = environment("http")[variable];
      expect({ variable, value }).toEqual({
        variable,
        value: expect.stringMatching(new RegExp(`^\\$\\{${variable}:\\?[^}]+\\}$`)),
      });
      expect({ variable, value }).toEqual({ variable, value: expect.stringContaining("at least 24 characters") });
    }
  });

  it("points the HTTP app at Restate's ingress and admin API by service name", () => {
    expect(environment("http")).toMatchObject({
      RESTATE_INGRESS_URL: "http://restate:8080",
      RESTATE_ADMIN_URL: "http://restate:9070",
    });
  });

  it("registers the service endpoint through Restate's admin API", () => {
    expect(commandOf("register")).toBe("npm run register");
    expect(environment("register")).toMatchObject({
      RESTATE_ADMIN_URL: "http://restate:9070",
      SERVICE_URL: expect.stringMatching(/^http:\/\/services-\$\{SERVICE_VERSION:\?[^}]+\}:9080\/$/),
    });
    expect(environment("services").SERVICE_PORT).toBe("9080");
    expect(dependencyCondition("register", "restate")).toBeDefined();
    expect(dependencyCondition("register", "services")).toBeDefined();
    // A refusal (the URL serves another version) is for a person, not for a restart loop.
    expect(service("register").restart).toBe("no");
  });

  it("migrates the database once Postgres is healthy, before the endpoint and the app start", () => {
    expect(commandOf("migrate")).toBe("npm run db:migrate");
    expect(service("migrate").restart).toBe("no");
    expect(dependencyCondition("migrate", "postgres")).toBe("service_healthy");
    expect(dependencyCondition("services", "migrate")).toBe("service_completed_successfully");
    expect(dependencyCondition("http", "migrate")).toBe("service_completed_successfully");
  });

  it("puts restate-server's request identity private key in a secret from ./secrets and points restate-server at it", () => {
    const sources = Object.entries(compose.secrets ?? {})
      .filter(([, secret]) => secret.file === "./secrets/request-identity.pem")
      .map(([source]) => source);
    expect(sources).toHaveLength(1);
    const mounted = secretMounts("restate")[sources[0]!];
    expect(mounted).toMatch(/^\//);
    expect(environment("restate").RESTATE_WORKER__INVOKER__REQUEST_IDENTITY_PRIVATE_KEY_PEM_FILE).toBe(mounted);
    // Only restate-server holds the private key.
    for (const name of Object.keys(compose.services).filter((n) => n !== "restate")) {
      expect({ name, secrets: Object.keys(secretMounts(name)) }).toEqual({ name, secrets: [] });
    }
  });

  it("requires RESTATE_IDENTITY_KEYS for the service endpoint, so it accepts only restate-server's signed requests", () => {
    expect(environment("services").RESTATE_IDENTITY_KEYS).toMatch(/^\$\{RESTATE_IDENTITY_KEYS:\?[^}]+\}$/);
  });

  it("keeps ./secrets out of git and out of the image's build context", () => {
    expect(ignoreLines(gitignorePath)).toEqual(expect.arrayContaining([expect.stringMatching(/^\/?secrets\/?$/)]));
    expect(ignoreLines(dockerignorePath)).toEqual(expect.arrayContaining([expect.stringMatching(/^\/?secrets\/?$/)]));
  });

  it("runs the app roles from one image built from this checkout", () => {
    for (const name of ["migrate", "services", "http", "register"]) {
      expect({ name, image: service(name).image, build: service(name).build }).toEqual({
        name,
        image: expect.stringMatching(/^postpay-app:\$\{SERVICE_VERSION:\?/),
        build: { context: ".", args: { SERVICE_VERSION: expect.stringMatching(/^\$\{SERVICE_VERSION:\?/) } },
      });
    }
    expect(commandOf("services")).toBe("npm run start:services");
    expect(commandOf("http")).toBe("npm run start:http");
  });
});

describe("docker-compose.yml keeps Restate private", () => {
  it("publishes ports only from the HTTP app, and from it only 3000", () => {
    const publishing = Object.keys(compose.services).filter((name) => ports(name).length > 0);
    expect(publishing).toEqual(["http"]);
    expect(ports("http").map((p) => p.target)).toEqual(["3000"]);
  });

  it("publishes nothing from restate-server (ingress 8080, admin API 9070, fabric 5122) nor from the service endpoint (9080)", () => {
    expect(ports("restate")).toEqual([]);
    expect(ports("services")).toEqual([]);
    for (const port of [8080, 9070, 5122]) expect(publishes("restate", port)).toBe(false);
    expect(publishes("services", 9080)).toBe(false);
  });

  it("names every service's networks (none falls back to the default network) and uses no network_mode", () => {
    for (const name of Object.keys(compose.services)) {
      expect({ name, networks: networksOf(name).length > 0 }).toEqual({ name, networks: true });
      expect({ name, networks: networksOf(name).includes("default") }).toEqual({ name, networks: false });
      expect({ name, networkMode: service(name).network_mode }).toEqual({ name, networkMode: undefined });
      for (const net of networksOf(name)) expect(network(net).external).not.toBe(true);
    }
  });

  it("keeps restate-server on internal networks only", () => {
    expect(networksOf("restate").length).toBeGreaterThan(0);
    for (const net of networksOf("restate"))
      expect({ net, internal: isInternal(net) }).toEqual({ net, internal: true });
  });

  it("gives the service endpoint internal networks plus one egress network that is not internal and that nothing publishes on", () => {
    const external = networksOf("services").filter((net) => !isInternal(net));
    expect(external).toHaveLength(1);
    const egress = external[0]!;
    expect(network(egress).internal).not.toBe(true);
    // The egress network carries only the endpoint's outbound calls: nobody else is on it and
    // nothing is published through it.
    expect(servicesOn(egress)).toEqual(["services", "services-previous"]);
    for (const name of servicesOn(egress)) expect({ name, ports: ports(name) }).toEqual({ name, ports: [] });
    // It still reaches restate-server over an internal network it shares with it.
    const shared = networksOf("services").filter((net) => isInternal(net) && networksOf("restate").includes(net));
    expect(shared.length).toBeGreaterThan(0);
  });

  it("keeps Postgres and the migrate and register one-shots on internal networks only", () => {
    for (const name of ["postgres", "migrate", "register"]) {
      expect(networksOf(name).length).toBeGreaterThan(0);
      for (const net of networksOf(name))
        expect({ name, net, internal: isInternal(net) }).toEqual({ name, net, internal: true });
    }
  });

  it("joins the HTTP app to the internal network of restate-server and Postgres and to a non-internal edge network", () => {
    const internal = networksOf("http").filter(isInternal);
    expect(internal.some((net) => networksOf("restate").includes(net))).toBe(true);
    expect(internal.some((net) => networksOf("postgres").includes(net))).toBe(true);
    // Its published port and its calls to Stripe (checkout) need a network that is not internal.
    const edge = networksOf("http").filter((net) => !isInternal(net));
    expect(edge).toHaveLength(1);
    // The edge is not the service endpoint's egress network.
    expect(networksOf("services")).not.toContain(edge[0]);
  });

  it("lets everyone who must reach Restate or Postgres do so over a shared internal network", () => {
    const shareInternal = (a: string, b: string) =>
      networksOf(a).some((net) => isInternal(net) && networksOf(b).includes(net));
    for (const [from, to] of [
      ["http", "restate"],
      ["register", "restate"],
      ["restate", "services"],
      ["register", "services"],
      ["migrate", "postgres"],
      ["services", "postgres"],
      ["http", "postgres"],
    ] as const) {
      expect({ from, to, shared: shareInternal(from, to) }).toEqual({ from, to, shared: true });
    }
  });
});

describe("the app image (Dockerfile)", () => {
  const dockerfile = readFileSync(fileURLToPath(new URL("../../Dockerfile", import.meta.url)), "utf8");
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../../package.json", import.meta.url)), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };

  it("pins its base image by digest", () => {
    expect(dockerfile).toMatch(/^FROM node:22[\w.-]*@sha256:[0-9a-f]{64}$/m);
  });

  it("runs as node code that root owns and nobody can rewrite", () => {
    expect(dockerfile).not.toContain("--chown");
    const lines = dockerfile.split("\n");
    const readOnly = lines.findIndex((l) => l.startsWith("RUN chmod -R a-w /app"));
    const user = lines.findIndex((l) => l.startsWith("USER "));
    expect(readOnly).toBeGreaterThan(lines.findLastIndex((l) => l.startsWith("COPY ")));
    expect(lines[user]).toBe("USER node");
    expect(user).toBeGreaterThan(readOnly);
  });

  it("installs neither the Node runtime package nor Slack's bolt (production dependencies only)", () => {
    expect(dockerfile).toContain("npm ci --omit=dev");
    expect(Object.keys(pkg.dependencies)).not.toContain("node");
    expect(Object.keys(pkg.dependencies)).not.toContain("@slack/bolt");
    expect(Object.keys(pkg.devDependencies)).toContain("node");
  });
});
