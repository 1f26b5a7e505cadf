// The signature fulfillment centers put on their shipment events, Stripe's scheme with our name:
//   Postpay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
// keyed by that center's secret. Several v1 values may be given (a center rotating its secret
// signs with both). Checked on the raw bytes, before the body is parsed, and only in the HTTP app:
// the timestamp tolerance means a check must never be replayed later (e.g. inside Restate).
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "postpay-signature";
/** How far the signature's time may be from ours, either way. */
export const TOLERANCE_SECONDS = 300;

const hmac = (secret: string, t: number | string, body: string) =>
  createHmac("sha256", secret).update(`${t}.${body}`, "utf8").digest();

/** The header value for `body`, signed at `nowSeconds` with each of `secrets` (the stand-ins and tests use it). */
export function signCenterEvent(
  body: string,
  secrets: string | string[],
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  const v1 = [secrets].flat().map((s) => `v1=${hmac(s, nowSeconds, body).toString("hex")}`);
  return [`t=${nowSeconds}`, ...v1].join(",");
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** Whether `header` signs exactly `body` with `secret`, within the tolerance of `nowSeconds`. */
export function verifyCenterSignature(
  body: string,
  header: string | undefined,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): SignatureCheck {
  if (!header) return { ok: false, reason: "missing Postpay-Signature header" };
  const parts = header.split(",").map((p) => p.trim().split("="));
  const t = parts.find(([k]) => k === "t")?.[1];
  const signatures = parts
    .filter(([k, v]) => k === "v1" && v && /^[0-9a-f]{64}$/i.test(v))
    .map(([, v]) => Buffer.from(v!, "hex"));
  if (!t || !/^\d{1,12}$/.test(t) || signatures.length === 0)
    return { ok: false, reason: "Postpay-Signature must be t=<unix seconds>,v1=<hex>" };
  if (Math.abs(nowSeconds - Number(t)) > TOLERANCE_SECONDS)
    return { ok: false, reason: `signature time is more than ${TOLERANCE_SECONDS} s from now` };
  const expected = hmac(secret, t, body);
  // Every candidate is compared in full, in constant time: no early exit tells which one matched.
  const matched = signatures.reduce((found, s) => timingSafeEqual(s, expected) || found, false);
  return matched ? { ok: true } : { ok: false, reason: "no signature matches this center's secret" };
}
