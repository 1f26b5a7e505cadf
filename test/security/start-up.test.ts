// Doors that would fail open are refused at start-up instead (exit code 1, one clear line): Slack's
// buttons on with nobody named to click them, and a service endpoint that others can reach
// without request identity keys. Each is the real entry point, started as a deployment starts it.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** What a deployed process needs besides the value under test; its database is never reached. */
const BASE_ENV = {
  DATABASE_URL: "postgres://postgres@127.0.0.1:1/none",
  STRIPE_SECRET_KEY: "sk_test_start_up",
  STRIPE_WEBHOOK_SECRET: "whsec_start_up_0123456789",
  ADMIN_TOKEN: "start-up-admin-token-0123456789",
  SHOP_API_KEY: "start-up-shop-api-key-0123456789",
  LOG_LEVEL: "info",
};

function start(script: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(SLACK_|RESTATE_|SERVICE_|HTTP_|DATABASE_URL)/.test(k)),
    );
    const child = spawn(process.execPath, [script], {
      cwd: root,
      env: { ...clean, ...BASE_ENV, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    // A process that did not refuse goes on to its database, which is not there: stop it.
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("the HTTP app", () => {
  it("refuses to start with SLACK_SIGNING_SECRET and an empty SLACK_OPERATOR_IDS, saying to list ids or write *", async () => {
    const out = await start("src/main/http.ts", { SLACK_SIGNING_SECRET: "0123456789abcdef0123456789abcdef" });
    expect(out.code).toBe(1);
    expect(out.output).toContain("SLACK_OPERATOR_IDS is empty while SLACK_SIGNING_SECRET is set");
    expect(out.output).toContain("write *");
    expect(out.output).not.toContain("0123456789abcdef0123456789abcdef");
  });

  it("gets past that check with * (anyone in the channel, as a choice) or a list of ids", async () => {
    for (const ids of ["*", "U0ALICE,U0BOB"]) {
      const out = await start("src/main/http.ts", {
        SLACK_SIGNING_SECRET: "0123456789abcdef0123456789abcdef",
        SLACK_OPERATOR_IDS: ids,
      });
      // It stops later, at the database that is not there, never at the Slack check.
      expect(out.output).not.toContain("SLACK_OPERATOR_IDS is empty");
    }
  });
});

describe("the service endpoint", () => {
  it("refuses to listen beyond loopback without RESTATE_IDENTITY_KEYS, saying why and how to opt out", async () => {
    const out = await start("src/main/services.ts", { SERVICE_HOST: "0.0.0.0" });
    expect(out.code).toBe(1);
    expect(out.output).toContain("RESTATE_IDENTITY_KEYS is required when SERVICE_HOST (0.0.0.0) is not loopback");
    expect(out.output).toContain('to \\"none\\" if something else authenticates');
  });

  it("gets past that check on loopback without keys, and beyond it with RESTATE_IDENTITY_KEYS=none (the explicit opt-out)", async () => {
    const envs: Record<string, string>[] = [
      { SERVICE_HOST: "127.0.0.1" },
      { SERVICE_HOST: "0.0.0.0", RESTATE_IDENTITY_KEYS: "none" },
    ];
    for (const env of envs) {
      const out = await start("src/main/services.ts", env);
      expect(out.output).not.toContain("RESTATE_IDENTITY_KEYS is required");
    }
  });
});
