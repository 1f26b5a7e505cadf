import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "../../src/config.ts";
import { redact } from "../../src/log.ts";

describe("configuration", () => {
  it("fills defaults from the contract", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ HTTP_PORT: 3000, SERVICE_PORT: 9080, STEP_MAX_ATTEMPTS: 5, EMAIL_FROM: expect.stringContaining("@") });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it("names every bad variable in one clear error", () => {
    expect(() => parseEnv({ HTTP_PORT: "eighty", STRIPE_WEBHOOK_SECRET: "nope", SMTP_URL: "mail.example.com" })).toThrow(ConfigError);
    try {
      parseEnv({ HTTP_PORT: "eighty", STRIPE_WEBHOOK_SECRET: "nope", SMTP_URL: "mail.example.com" });
    } catch (err) {
      expect((err as Error).message).toMatch(/HTTP_PORT/);
      expect((err as Error).message).toMatch(/STRIPE_WEBHOOK_SECRET: must start with whsec_/);
      expect((err as Error).message).toMatch(/SMTP_URL/);
    }
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
});
