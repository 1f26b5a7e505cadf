// Slack's request signature, by Slack's documented algorithm ("Verifying requests from Slack"):
// X-Slack-Signature = "v0=" + hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<raw body>" with
// the app's signing secret, compared in constant time; the timestamp within 5 minutes of now.
// Written here on node:crypto rather than taken from @slack/bolt, which carries the whole app
// framework for this one function (Slack publishes no smaller maintained package with it).
import { createHmac, timingSafeEqual } from "node:crypto";

/** Slack's tolerance for X-Slack-Request-Timestamp, either way. */
export const SLACK_TOLERANCE_S = 5 * 60;

export type SlackSignatureCheck =
  | { ok: true }
  | { ok: false; problem: "malformed" | "stale" | "signature"; reason: string };

export function verifySlackSignature({
  signingSecret,
  body,
  timestamp,
  signature,
  nowMs = Date.now(),
}: {
  signingSecret: string;
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  nowMs?: number;
}): SlackSignatureCheck {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, problem: "malformed", reason: "missing or malformed X-Slack-Request-Timestamp" };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SLACK_TOLERANCE_S)
    return {
      ok: false,
      problem: "stale",
      reason: "X-Slack-Request-Timestamp is more than 5 minutes away: a stale or replayed request",
    };
  const expected = Buffer.from(
    `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${body}`).digest("hex")}`,
  );
  const given = Buffer.from(signature ?? "");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, problem: "signature", reason: "bad or missing X-Slack-Signature" };
  return { ok: true };
}
