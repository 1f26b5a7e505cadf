// The centers' signature (Postpay-Signature) and their secrets' configuration.
import { describe, expect, it } from "vitest";
import { signCenterEvent, verifyCenterSignature } from "../../src/adapters/center-signature.ts";
import { ConfigError, parseEnv } from "../../src/config.ts";

const secret = "center-secret-0123456789abcdef";
const body = JSON.stringify({ eventId: "evt_1", orderId: "ps_1", status: "shipped" });
const now = 1_800_000_000;

describe("verifyCenterSignature", () => {
  it("accepts the body signed with the center's secret", () => {
    expect(verifyCenterSignature(body, signCenterEvent(body, secret, now), secret, now)).toEqual({ ok: true });
  });

  it("accepts any one of several signatures (a center rotating its secret)", () => {
    expect(
      verifyCenterSignature(body, signCenterEvent(body, ["old-secret-0123456789abcdef", secret], now), secret, now).ok,
    ).toBe(true);
  });

  it.each([
    ["missing", undefined],
    ["empty", ""],
    ["without a time", `v1=${"0".repeat(64)}`],
    ["without a signature", `t=${now}`],
    ["with a malformed signature", `t=${now},v1=zz`],
  ])("refuses a header that is %s", (_, header) =>
    expect(verifyCenterSignature(body, header, secret, now).ok).toBe(false),
  );

  it("refuses another secret, another body, and a time more than 300 s away either way", () => {
    expect(
      verifyCenterSignature(body, signCenterEvent(body, "another-center-secret-0123456789", now), secret, now).ok,
    ).toBe(false);
    expect(verifyCenterSignature(`${body} `, signCenterEvent(body, secret, now), secret, now).ok).toBe(false);
    expect(verifyCenterSignature(body, signCenterEvent(body, secret, now - 301), secret, now)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("300 s"),
    });
    expect(verifyCenterSignature(body, signCenterEvent(body, secret, now + 301), secret, now).ok).toBe(false);
    expect(verifyCenterSignature(body, signCenterEvent(body, secret, now - 300), secret, now).ok).toBe(true);
  });
});

describe("CENTER_WEBHOOK_SECRETS", () => {
  it("reads centerId=secret pairs; unset means no center has a route", () => {
    expect(parseEnv({}).CENTER_WEBHOOK_SECRETS).toEqual({});
    expect(
      parseEnv({ CENTER_WEBHOOK_SECRETS: `fc-east=${secret}, fc-west=${secret}x` }).CENTER_WEBHOOK_SECRETS,
    ).toEqual({ "fc-east": secret, "fc-west": `${secret}x` });
  });

  it.each([
    ["a short secret", "fc-east=short", /at least 24 characters/],
    ["an entry without =", "fc-east", /centerId=secret/],
    ["a center named twice", `fc-east=${secret},fc-east=${secret}`, /named twice/],
  ])("refuses %s, without printing the secret", (_, value, message) => {
    expect(() => parseEnv({ CENTER_WEBHOOK_SECRETS: value })).toThrow(ConfigError);
    expect(() => parseEnv({ CENTER_WEBHOOK_SECRETS: value })).toThrow(message);
    try {
      parseEnv({ CENTER_WEBHOOK_SECRETS: value });
    } catch (err) {
      expect((err as Error).message).not.toContain(secret);
    }
  });
});
