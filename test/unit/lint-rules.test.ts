// The README's dependency direction is enforced by biome.jsonc (noRestrictedImports, per folder).
// These specs prove each rule bites: small files that break it, and files that keep it, are linted
// by the real Biome binary with the project's own biome.jsonc, copied verbatim into a temp folder
// laid out like the repository (so nothing is written into the real source folders).
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const config = fileURLToPath(new URL("../../biome.jsonc", import.meta.url));
const biome = fileURLToPath(new URL("../../node_modules/.bin/biome", import.meta.url));

type Probe = { file: string; source: string };
type Diagnostic = { category: string; message: string; location: { path: string } };
type Run = { code: number; diagnostics: Diagnostic[] };

const imports = (...specifiers: string[]) =>
  `${specifiers.map((s, i) => `import { thing${i} } from "${s}";\n`).join("")}` +
  `export const probe = [${specifiers.map((_, i) => `thing${i}`).join(", ")}];\n`;
const importsType = (specifier: string) => `import type { Thing } from "${specifier}";\nexport type Probe = Thing;\n`;
const importsLater = (specifier: string) => `export const probe = import("${specifier}");\n`;

const RULE = "lint/style/noRestrictedImports";
const OURS = "src/domain imports nothing of ours";
const NO_DEV = "Nothing in the product imports dev/";
const NO_SQL = "services/ builds no SQL";
const NO_HTTP = "services/ builds no HTTP";
const NO_SMTP = "services/ builds no SMTP";

// [what is broken, file, source, the rule's message]
const violations: [string, string, string, string][] = [
  ["the domain imports config", "src/domain/probe.ts", imports("../config.ts"), OURS],
  ["the domain imports db/", "src/domain/probe.ts", importsType("../../db/schema.ts"), OURS],
  ["the domain imports an adapter", "src/domain/probe.ts", imports("../adapters/stripe.ts"), OURS],
  ["the domain imports dev/ lazily", "src/domain/probe.ts", importsLater("../../dev/harness.ts"), OURS],
  ["src/http imports dev/", "src/http/probe.ts", imports("../../dev/harness.ts"), NO_DEV],
  ["src/ imports dev/", "src/probe.ts", imports("../dev/local-secrets.ts"), NO_DEV],
  ["db/ imports dev/", "db/probe.ts", imports("../dev/stripe-emulator/index.ts"), NO_DEV],
  ["a top-level file imports dev/", "probe.ts", imports("./dev/start.ts"), NO_DEV],
  ["services/ imports dev/", "services/probe.ts", imports("../dev/harness.ts"), NO_DEV],
  ["services/ imports drizzle-orm", "services/probe.ts", imports("drizzle-orm"), NO_SQL],
  ["services/ imports drizzle-orm/pg-core", "services/probe.ts", imports("drizzle-orm/pg-core"), NO_SQL],
  ["services/ imports postgres", "services/probe.ts", imports("postgres"), NO_SQL],
  ["services/ imports PGlite", "services/probe.ts", imports("@electric-sql/pglite"), NO_SQL],
  ["services/ imports db/", "services/probe.ts", imports("../db/orders.ts"), NO_SQL],
  ["services/ imports a type from db/", "services/probe.ts", importsType("../db/schema.ts"), NO_SQL],
  ["services/ imports undici", "services/probe.ts", imports("undici"), NO_HTTP],
  ["services/ imports hono", "services/probe.ts", imports("hono"), NO_HTTP],
  ["services/ imports hono/html", "services/probe.ts", imports("hono/html"), NO_HTTP],
  ["services/ imports node:http", "services/probe.ts", importsLater("node:http"), NO_HTTP],
  ["services/ imports node:http2", "services/probe.ts", imports("node:http2"), NO_HTTP],
  ["services/ imports http without node:", "services/probe.ts", imports("http"), NO_HTTP],
  ["services/ imports stripe", "services/probe.ts", imports("stripe"), NO_HTTP],
  ["services/ imports @slack/webhook", "services/probe.ts", imports("@slack/webhook"), NO_HTTP],
  ["services/ imports an adapter", "services/probe.ts", importsType("../src/adapters/stripe.ts"), NO_HTTP],
  ["services/ imports the HTTP app", "services/probe.ts", imports("../src/http/app.ts"), NO_HTTP],
  ["services/ imports nodemailer", "services/probe.ts", imports("nodemailer"), NO_SMTP],
];

// [what is allowed, file, source]
const allowed: [string, string, string][] = [
  ["the domain imports the domain and zod", "src/domain/probe.ts", imports("./order.ts", "zod")],
  [
    "the HTTP app imports services/ and the Restate SDK",
    "src/http/probe.ts",
    imports("../../services/index.ts", "@restatedev/restate-sdk"),
  ],
  ["src/ imports @restatedev packages (not dev/)", "src/probe.ts", imports("@restatedev/restate-sdk")],
  ["db/ imports the domain and drizzle", "db/probe.ts", imports("../src/domain/order.ts", "drizzle-orm")],
  [
    "services/ imports the SDK and the domain",
    "services/probe.ts",
    imports("@restatedev/restate-sdk", "../src/domain/order.ts"),
  ],
  ["services/ imports its own modules", "services/probe.ts", imports("./ports.ts")],
  ["tests import dev/", "test/probe.ts", imports("../dev/harness.ts")],
  ["benchmarks import dev/", "bench/probe.ts", imports("../dev/harness.ts")],
  ["dev/ imports anything", "dev/probe.ts", imports("../db/orders.ts", "./harness.ts")],
];

// Each probe gets its own folder-preserving name: src/domain/probe.ts becomes src/domain/probe-3.ts.
const named = (cases: [string, string, string, ...string[]][], tag: string): Probe[] =>
  cases.map(([, file, source], i) => ({ file: file.replace(/probe\.ts$/, `probe-${tag}${i}.ts`), source }));

function lint(cwd: string, probes: Probe[]): Promise<Run> {
  const args = [
    "lint",
    "--vcs-enabled=false",
    "--reporter=json",
    "--max-diagnostics=none",
    ...probes.map((p) => p.file),
  ];
  return new Promise((resolve, reject) => {
    execFile(biome, args, { cwd }, (error, stdout) => {
      if (error && typeof error.code !== "number") return reject(error);
      try {
        const report = JSON.parse(stdout) as { diagnostics: Diagnostic[] };
        resolve({ code: error ? Number(error.code) : 0, diagnostics: report.diagnostics });
      } catch {
        reject(new Error(`biome printed no JSON report: ${stdout}`));
      }
    });
  });
}

describe("dependency rules in biome.jsonc", () => {
  const root = mkdtempSync(join(tmpdir(), "postpay-lint-"));
  const bad = named(violations, "bad");
  const good = named(allowed, "good");
  let badRun: Run;
  let goodRun: Run;

  beforeAll(async () => {
    copyFileSync(config, join(root, "biome.jsonc"));
    for (const { file, source } of [...bad, ...good]) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), source);
    }
    [badRun, goodRun] = await Promise.all([lint(root, bad), lint(root, good)]);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("fails the lint for files that break a rule", () => expect(badRun.code).not.toBe(0));

  it.each(violations.map((v, i) => [v[0], bad[i]!.file, v[3]] as const))("refuses: %s", (_what, file, message) => {
    // Other rules may object too (a bare "http" is also told to say "node:http"); this one must.
    const found = badRun.diagnostics.filter((d) => d.location.path === file && d.category === RULE);
    expect(found.map((d) => d.message)).toEqual([expect.stringContaining(message)]);
  });

  it("passes the lint for files that keep the rules", () => {
    expect(goodRun.diagnostics.map((d) => `${d.location.path}: ${d.category} ${d.message}`)).toEqual([]);
    expect(goodRun.code).toBe(0);
  });

  it.each(allowed.map((a, i) => [a[0], good[i]!.file] as const))("allows: %s", (_what, file) => {
    expect(goodRun.diagnostics.filter((d) => d.location.path === file)).toEqual([]);
  });
});

describe("no import circle (noImportCycles, type imports included)", () => {
  it("refuses two services/ modules that import each other, even for types only", async () => {
    const root = mkdtempSync(join(tmpdir(), "postpay-lint-cycle-"));
    try {
      copyFileSync(config, join(root, "biome.jsonc"));
      mkdirSync(join(root, "services"));
      writeFileSync(join(root, "services/lower.ts"), importsType("./upper.ts"));
      writeFileSync(join(root, "services/upper.ts"), importsType("./lower.ts"));
      writeFileSync(join(root, "services/alone.ts"), importsType("./lower.ts"));
      const run = await lint(root, [
        { file: "services/lower.ts", source: "" },
        { file: "services/upper.ts", source: "" },
      ]);
      expect(run.code).not.toBe(0);
      const cycles = run.diagnostics.filter((d) => d.category === "lint/suspicious/noImportCycles");
      expect(cycles.map((d) => d.location.path).sort()).toEqual(["services/lower.ts", "services/upper.ts"]);
      const oneWay = await lint(root, [{ file: "services/alone.ts", source: "" }]);
      expect(oneWay.diagnostics.filter((d) => d.category === "lint/suspicious/noImportCycles")).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
