// docker-compose.yml cannot be started on these machines (no Docker engine), so it is checked
// two ways: dclint (YAML validity, the Compose schema, its best-practice rules) and a parse of the
// file that pins the contract between the containers: who listens where and who gets which env.
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
  depends_on?: string[] | Record<string, { condition: string }>;
  volumes?: unknown[];
  restart?: string;
  healthcheck?: unknown;
};
type ComposeFile = { name?: string; services: Record<string, Service>; volumes?: Record<string, unknown> };

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
    const parts = String(port).replace(/\/(tcp|udp)$/, "").split(":");
    const target = parts.pop() ?? "";
    const published = parts.pop();
    const hostIp = parts.length > 0 ? parts.join(":") : undefined;
    return { target, ...(published === undefined ? {} : { published }), ...(hostIp === undefined ? {} : { hostIp }) };
  });
}

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
  it("defines the restate, postgres, migrate, services, http and register services", () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ["http", "migrate", "postgres", "register", "restate", "services"].sort(),
    );
  });

  it("publishes the HTTP app on port 3000", () => {
    expect(publishes("http", 3000)).toBe(true);
    expect(environment("http").HTTP_PORT).toBe("3000");
  });

  it("publishes Restate's ingress (8080) and admin API/UI (9070) but not the node port 5122", () => {
    expect(publishes("restate", 8080)).toBe(true);
    expect(publishes("restate", 9070)).toBe(true);
    expect(ports("restate").some((p) => p.target === "5122")).toBe(false);
  });

  it("binds every published port to loopback, as the Restate admin API has no authentication", () => {
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

  it("gives the Restate service endpoint and the HTTP app the compose Postgres as DATABASE_URL", () => {
    const url = "postgres://postgres:postgres@postgres:5432/postpay";
    expect(environment("services").DATABASE_URL).toBe(url);
    expect(environment("http").DATABASE_URL).toBe(url);
    expect(environment("migrate").DATABASE_URL).toBe(url);
  });

  it("requires the Stripe secrets from the host for the endpoint and the app, and ADMIN_TOKEN for the app", () => {
    for (const name of ["services", "http"]) {
      expect(environment(name).STRIPE_SECRET_KEY).toMatch(/^\$\{STRIPE_SECRET_KEY:\?/);
      expect(environment(name).STRIPE_WEBHOOK_SECRET).toMatch(/^\$\{STRIPE_WEBHOOK_SECRET:\?/);
    }
    expect(environment("http").ADMIN_TOKEN).toMatch(/^\$\{ADMIN_TOKEN:\?/);
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
      SERVICE_URL: "http://services:9080",
    });
    expect(environment("services").SERVICE_PORT).toBe("9080");
    expect(dependencyCondition("register", "restate")).toBeDefined();
    expect(dependencyCondition("register", "services")).toBeDefined();
    expect(service("register").restart).toBe("on-failure");
  });

  it("migrates the database once Postgres is healthy, before the endpoint and the app start", () => {
    expect(commandOf("migrate")).toBe("npm run db:migrate");
    expect(service("migrate").restart).toBe("no");
    expect(dependencyCondition("migrate", "postgres")).toBe("service_healthy");
    expect(dependencyCondition("services", "migrate")).toBe("service_completed_successfully");
    expect(dependencyCondition("http", "migrate")).toBe("service_completed_successfully");
  });

  it("runs the app roles from one image built from this checkout", () => {
    for (const name of ["migrate", "services", "http", "register"]) {
      expect({ name, image: service(name).image, build: service(name).build }).toEqual({
        name,
        image: "postpay-app:local",
        build: { context: "." },
      });
    }
    expect(commandOf("services")).toBe("npm run start:services");
    expect(commandOf("http")).toBe("npm run start:http");
  });
});
