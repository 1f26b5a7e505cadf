// Secrets stay secret: bearer secrets too short to resist guessing stop the process at start-up,
// and no configured secret (admin token, shop API key, Stripe's webhook secret and API key,
// restate-server's request-identity private key, the Slack webhook URL) is ever printed or
// logged, by postpay or by restate-server, whatever happens: paid orders, rejected shipments
// with Slack alerts, forged webhooks, wrong tokens, start-up failures. Nor is personal data (email
// and ship-to addresses).
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHILD_SECRETS, startHarness, type AppProcesses, type Harness } from "../../dev/harness.ts";
import { signWebhook } from "../../dev/stripe-emulator/sign-webhook.ts";
import { ConfigError, parseEnv } from "../../src/config.ts";
import { TEST_SHIPPING } from "../../dev/stripe-emulator/state.ts";
import { CENTERS, PRODUCTS } from "../support/stack.ts";
import { quietFor } from "../support/wait.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("bearer secrets given through the environment", () => {
  it.each(["ADMIN_TOKEN", "SHOP_API_KEY"])(
    "%s under 24 characters stops start-up, naming the variable but not its value",
    (name) => {
      const short = "s3cr3t-but-too-short-23"; // 23 characters
      expect(short).toHaveLength(23);
      expect(() => parseEnv({ [name]: short })).toThrow(ConfigError);
      try {
        parseEnv({ [name]: short });
      } catch (err) {
        expect((err as Error).message).toContain(`${name}: must be at least 24 characters`);
        expect((err as Error).message).not.toContain(short);
      }
      expect(parseEnv({ [name]: `${short}x` })[name as "ADMIN_TOKEN"]).toBe(`${short}x`);
    },
  );

  it("too short, make the real entry point exit with a message that does not repeat the value", async () => {
    const short = "tiny-admin-token-value";
    const out = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, ["src/main/http.ts"], {
        cwd: root,
        env: {
          ...process.env,
          ADMIN_TOKEN: short,
          SHOP_API_KEY: "p".repeat(30),
          DATABASE_URL: "postgres://postgres@127.0.0.1:1/none",
          LOG_LEVEL: "debug",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (c) => (output += c));
      child.stderr.on("data", (c) => (output += c));
      child.on("exit", (code) => resolve({ code, output }));
    });
    expect(out.code).toBe(1);
    expect(out.output).toContain("ADMIN_TOKEN");
    expect(out.output).not.toContain(short);
    expect(out.output).not.toContain("p".repeat(30));
  });
});

describe("the running system's logs", () => {
  let harness: Harness & AppProcesses;
  let identityKeyPem: string;
  beforeAll(async () => {
    harness = await startHarness({
      label: "secrets",
      centers: CENTERS,
      products: PRODUCTS.map((p) => ({ ...p, currency: "usd" })),
      postgres: parseEnv().DATABASE_URL,
      app: "one-process",
      // Everything the app would ever log.
      env: { LOG_LEVEL: "debug" },
    });
    identityKeyPem = readFileSync(path.join(harness.dir, "keys", "request-identity.pem"), "utf8");
  });
  afterAll(async () => {
    await harness?.close();
  });

  const call = async (method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${harness.url}${route}`, {
      method,
      headers: { ...(body !== undefined && { "content-type": "application/json" }), ...headers },
      ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const shop = { authorization: `Bearer ${CHILD_SECRETS.SHOP_API_KEY}` };
  const admin = { authorization: `Bearer ${CHILD_SECRETS.ADMIN_TOKEN}` };
  const waitFor = (id: string, status: string) =>
    expect
      .poll(async () => (await call("GET", `/admin/orders/${id}`, undefined, admin)).body?.status, {
        timeout: 60_000,
        interval: 100,
      })
      .toBe(status);
  const checkout = async (customerId: string, productId: string) => {
    const res = await call(
      "POST",
      "/checkout",
      { customerId, email: `${customerId}@example.com`, items: [{ productId, quantity: 1 }] },
      shop,
    );
    expect(res.status).toBe(201);
    return res.body as { paymentSessionId: string; stripeCheckoutSessionId: string };
  };

  /** Every log file under the harness's directory: restate-server's, the app process's, RocksDB's. */
  function logFiles(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) return logFiles(file);
      return /\.log$|^LOG/.test(name) ? [file] : [];
    });
  }

  it("hold none of the configured secrets after paid, rejected and forged traffic", async () => {
    // A paid order, to completion.
    const paid = await checkout("cus_logs_paid", "sku-mug");
    expect((await harness.stripe.complete(paid.stripeCheckoutSessionId)).status).toBe(200);
    await waitFor(paid.paymentSessionId, "completed");

    // A rejected shipment: incident, Slack alert, then an operator's decision.
    harness.centers.script("fc-north", [{ status: 422, body: { error: "address not serviceable" } }]);
    const rejected = await checkout("cus_logs_rejected", "sku-cap");
    expect((await harness.stripe.complete(rejected.stripeCheckoutSessionId)).status).toBe(200);
    await waitFor(rejected.paymentSessionId, "needs_attention");
    await expect
      .poll(() => harness.slack.posts.some((p) => p.text.includes(rejected.paymentSessionId)), { timeout: 20_000 })
      .toBe(true);
    expect(
      (
        await call(
          "POST",
          `/admin/orders/${rejected.paymentSessionId}/resolution`,
          { action: "skip", note: "by hand" },
          admin,
        )
      ).status,
    ).toBe(200);
    await waitFor(rejected.paymentSessionId, "completed");

    // A forged webhook, wrong tokens and keys.
    const payload = JSON.stringify({
      id: "evt_forged",
      type: "checkout.session.completed",
      data: { object: { id: "cs_x", client_reference_id: "ps_x" } },
    });
    const forged = await fetch(`${harness.url}/webhooks/stripe`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "stripe-signature": signWebhook(payload, "whsec_forged_0123456789"),
      },
      body: payload,
    });
    expect(forged.status).toBe(400);
    expect(
      (await call("GET", "/admin/incidents", undefined, { authorization: `Bearer ${CHILD_SECRETS.ADMIN_TOKEN}x` }))
        .status,
    ).toBe(401);
    expect((await call("GET", "/admin/incidents", undefined, shop)).status).toBe(401);
    expect((await call("GET", "/customers/cus_logs_paid/orders", undefined, admin)).status).toBe(401);

    // Let the processes write what they will, then read every log.
    await quietFor(1000);
    const files = logFiles(harness.dir);
    const logs = Object.fromEntries(files.map((f) => [path.relative(harness.dir, f), readFileSync(f, "utf8")]));
    const names = Object.keys(logs);
    // The logs are there and did record this traffic, so their silence about secrets means something.
    expect(names).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^services\+app.*\.log$/),
        expect.stringMatching(/restate-server\.log$/),
      ]),
    );
    const appLog = logs[names.find((n) => n.startsWith("services+app"))!]!;
    expect(appLog).toContain(paid.paymentSessionId);
    expect(appLog).toContain(rejected.paymentSessionId);
    expect(appLog).toContain("operator decision");

    const pemBody = identityKeyPem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
    const secrets: Record<string, string> = {
      ADMIN_TOKEN: CHILD_SECRETS.ADMIN_TOKEN,
      SHOP_API_KEY: CHILD_SECRETS.SHOP_API_KEY,
      STRIPE_WEBHOOK_SECRET: harness.stripe.webhookSecret,
      "STRIPE_WEBHOOK_SECRET without whsec_": harness.stripe.webhookSecret.slice("whsec_".length),
      STRIPE_SECRET_KEY: harness.stripe.secretKey,
      "request identity private key": pemBody,
      "request identity private key, raw part": pemBody.slice(-43),
      "Slack webhook URL path": new URL(harness.slack.url).pathname,
    };
    // Personal data is no secret, but it stays out of logs too: the customers' email addresses and
    // the ship-to address Stripe's Checkout collected (the emulator's test address).
    const personal: Record<string, string> = {
      "a customer's email address": "cus_logs_paid@example.com",
      "another customer's email address": "cus_logs_rejected@example.com",
      "the ship-to address": TEST_SHIPPING.address.line1!,
      "the ship-to name": TEST_SHIPPING.name,
    };
    for (const [file, text] of Object.entries(logs)) {
      for (const [what, value] of Object.entries({ ...secrets, ...personal })) {
        expect(text.includes(value), `${what} appears in ${file}`).toBe(false);
      }
    }
  });
});
