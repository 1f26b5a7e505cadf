import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "../../src/config.ts";
import { httpConfig } from "../../src/process-config.ts";
import { Writable } from "node:stream";
import { createLogger, redact } from "../../src/log.ts";

describe("configuration", () => {
  it("fills defaults from the contract", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      HTTP_PORT: 3000,
      SERVICE_PORT: 9080,
      STEP_MAX_ATTEMPTS: 5,
      EMAIL_FROM: expect.stringContaining("@"),
    });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it("names every bad variable in one clear error", () => {
    expect(() =>
      parseEnv({ HTTP_PORT: "eighty", STRIPE_WEBHOOK_SECRET: "nope", SMTP_URL: "mail.example.com" }),
    ).toThrow(ConfigError);
    try {
      parseEnv({ HTTP_PORT: "eighty", STRIPE_WEBHOOK_SECRET: "nope", SMTP_URL: "mail.example.com" });
    } catch (err) {
      expect((err as Error).message).toMatch(/HTTP_PORT/);
      expect((err as Error).message).toMatch(/STRIPE_WEBHOOK_SECRET: must start with whsec_/);
      expect((err as Error).message).toMatch(/SMTP_URL/);
    }
  });
});

describe("Slack interactions configuration", () => {
  const required = {
    STRIPE_SECRET_KEY: "sk_test_1",
    STRIPE_WEBHOOK_SECRET: "whsec_1",
    ADMIN_TOKEN: "a".repeat(24),
    SHOP_API_KEY: "s".repeat(24),
  };

  it("is off when unset: no signing secret (the route answers 404), anyone in the channel allowed", () => {
    expect(httpConfig(parseEnv(required))).toMatchObject({ slackSigningSecret: undefined, slackOperatorIds: [] });
    expect(httpConfig(parseEnv({ ...required, SLACK_SIGNING_SECRET: "", SLACK_OPERATOR_IDS: "" }))).toMatchObject({
      slackSigningSecret: undefined,
      slackOperatorIds: [],
    });
  });

  it("reads the signing secret and the comma-separated operator ids into the HTTP app's configuration", () => {
    const config = httpConfig(
      parseEnv({
        ...required,
        SLACK_SIGNING_SECRET: "8f742231b10e8888abcd99yyyzzz85a5",
        SLACK_OPERATOR_IDS: "U0ALICE, W0BOB,,",
      }),
    );
    expect(config).toMatchObject({
      slackSigningSecret: "8f742231b10e8888abcd99yyyzzz85a5",
      slackOperatorIds: ["U0ALICE", "W0BOB"],
    });
  });

  it("names an operator id that is not a Slack user id", () => {
    expect(() => parseEnv({ SLACK_OPERATOR_IDS: "U0ALICE,alice" })).toThrow(
      /SLACK_OPERATOR_IDS\.1: each id must be a Slack user id/,
    );
  });
});

describe("log redaction", () => {
  it("hides secret-looking fields and credentials inside URLs", () => {
    const out = redact({
      stripeSecretKey: "sk_live_123",
      adminToken: "t0k3n",
      headers: { authorization: "Bearer x", "stripe-signature": "t=1,v1=ab" },
      smtp: "smtps://user:hunter2@mail.example.com:465",
      orderId: "ps_1",
    });
    const text = JSON.stringify(out);
    for (const secret of ["sk_live_123", "t0k3n", "Bearer x", "v1=ab", "hunter2"]) expect(text).not.toContain(secret);
    expect(text).toContain("ps_1");
    expect(text).toContain("mail.example.com");
  });

  it("hides personal data by field name at any depth: addresses and email addresses", () => {
    const out = redact({
      orderId: "ps_2",
      order: { email: "jenny@example.com", shipTo: { name: "Jenny Rosen", line1: "354 Oyster Point Blvd" } },
      session: { collected_information: { shipping_details: { address: { line1: "1 Infinite Loop" } } } },
      mail: { recipient: "ops@example.com", to: "ceo@example.com" },
    });
    const text = JSON.stringify(out);
    for (const personal of [
      "jenny@example.com",
      "Jenny Rosen",
      "354 Oyster",
      "Infinite Loop",
      "ops@example.com",
      "ceo@example.com",
    ]) {
      expect(text).not.toContain(personal);
    }
    expect(text).toContain("ps_2");
  });
});

describe("the logger", () => {
  it("writes one JSON line per entry at or above its level, with secrets redacted", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write: (chunk, _enc, done) => {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger({ level: "info", bindings: { component: "test" }, destination });
    log.debug({ orderId: "ps_hidden" }, "below the level");
    log.info(
      {
        orderId: "ps_1",
        adminToken: "t0k3n",
        db: "postgres://app:hunter2@db:5432/x",
        err: new Error("sk_live_abc leaked? no: postgres://u:pw@h/x"),
      },
      "hello",
    );
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({
      level: "info",
      msg: "hello",
      component: "test",
      orderId: "ps_1",
      adminToken: "[redacted]",
    });
    expect(lines[0]).not.toContain("t0k3n");
    expect(lines[0]).not.toContain("hunter2");
    expect(lines[0]).not.toContain(":pw@");
    expect(typeof entry.time).toBe("string");
  });
});
