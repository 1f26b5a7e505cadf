// The journals of orders that were left waiting (test/fixtures/journals: an operator's decision, an
// async payment, between two reminders), replayed against this checkout's code by the SDK
// (src/deployments/replay.ts), the way they would be if they resumed on it. A change of the steps
// before those waiting points fails here, and in CI (`npm run replay-check -- --journals …`):
// such a change belongs in a new deployment beside the old one. Re-record after one with
// `RECORD_JOURNALS=test/fixtures/journals npx vitest run --project upgrade`.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createServices } from "../../services/index.ts";
import { STEP } from "../../services/durable.ts";
import { inertPorts, replayAll, type RecordedInvocation } from "../../src/deployments/replay.ts";

const dir = fileURLToPath(new URL("../fixtures/journals/", import.meta.url));
const recorded = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .map((f) => JSON.parse(readFileSync(`${dir}${f}`, "utf8")) as RecordedInvocation);
const OPTIONS = {
  steps: { maxAttempts: 1, initialRetryMs: 1, maxRetryMs: 1 },
  escalation: { remindAfterMs: 3_600_000 },
  alerts: { minIntervalMs: 50, maxBackoffMs: 500 },
  shipments: { deadlineMs: 3_600_000 },
  stuckOrders: { stuckAfterMs: 3_600_000, sweepEveryMs: 60_000 },
};
type Ports = Parameters<typeof createServices>[0];

describe("the recorded journals of waiting orders", () => {
  it("are there: a decision, a payment and a reminder", () => {
    expect(recorded.map((r) => r.key.split("_")[1]).sort()).toEqual(["attention", "payment", "reminded"]);
  });

  it("replay on this code without a mismatch", async () => {
    const verdicts = await replayAll(createServices(inertPorts<Ports>(), OPTIONS), recorded);
    expect(verdicts.filter((v) => v.outcome !== "replays")).toEqual([]);
    expect(verdicts).toHaveLength(3);
  });

  it("do not replay when a step was named otherwise when they were recorded (the check can fail)", async () => {
    const hex = (text: string) => Buffer.from(text).toString("hex");
    // The same length, so the protobuf around the name stays valid: only the step's name differs.
    const other = recorded.map((r) => ({
      ...r,
      entries: r.entries.map((e) => ({
        ...e,
        raw: e.raw.replace(hex(STEP.loadPaymentSession), hex("load paymeNT session")),
      })),
    }));
    const verdicts = await replayAll(createServices(inertPorts<Ports>(), OPTIONS), other);
    expect(verdicts.map((v) => v.outcome)).toEqual(recorded.map(() => "mismatch"));
    expect(verdicts[0]!.detail).toContain("load paymeNT session");
  });
});
