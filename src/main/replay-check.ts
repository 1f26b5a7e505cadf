// `npm run replay-check`: replays the journal of every invocation that has not ended (pinned to
// `--deployment <id>` only, if given) against this checkout's code, and fails (exit 1) on any
// mismatch or on any journal it could not replay. Run it before deploying a fix in place (same URL,
// `--force`): a pass means the waiting orders resume on the new code without a journal mismatch.
// `--record <dir>` also writes the journals it read there; `--journals <dir>` replays such files
// instead of asking Restate (CI replays the committed ones in test/fixtures/journals).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createServices } from "../../services/index.ts";
import type { AlertPorts, OrderPorts, ShipmentPorts, StuckOrderPorts } from "../../services/ports.ts";
import { createRestateAdmin } from "../adapters/restate-admin.ts";
import { DEFAULT_ADMIN_URL } from "../config.ts";
import { inertPorts, recordWaiting, replayAll, type RecordedInvocation } from "../deployments/replay.ts";
import { SLACK_ALERT_PACE } from "../process-config.ts";
import { boot, fail } from "./common.ts";

const option = (name: string) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
};

const { env, log } = boot();
try {
  const from = option("--journals");
  const recorded: RecordedInvocation[] = from
    ? readdirSync(from)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => JSON.parse(readFileSync(path.join(from, f), "utf8")) as RecordedInvocation)
    : await recordWaiting(createRestateAdmin(env.RESTATE_ADMIN_URL ?? DEFAULT_ADMIN_URL), option("--deployment"));
  const into = option("--record");
  if (into) {
    mkdirSync(into, { recursive: true });
    for (const r of recorded)
      writeFileSync(path.join(into, `${r.service}-${r.key || r.invocationId}.json`), `${JSON.stringify(r, null, 1)}\n`);
  }
  const services = createServices(inertPorts<OrderPorts & AlertPorts & ShipmentPorts & StuckOrderPorts>(), {
    // One attempt per step: past the journal's end an inert port refuses at once, nothing waits.
    steps: { maxAttempts: 1, initialRetryMs: 1, maxRetryMs: 1 },
    escalation: { remindAfterMs: env.INCIDENT_REMIND_AFTER },
    alerts: SLACK_ALERT_PACE,
    shipments: { deadlineMs: env.SHIPMENT_DEADLINE },
    stuckOrders: { stuckAfterMs: 3_600_000, sweepEveryMs: 60_000 },
  });
  const verdicts = await replayAll(services, recorded);
  for (const v of verdicts) {
    process.stdout.write(
      `${v.outcome.padEnd(8)} ${v.target}  ${v.invocationId}${v.detail ? `\n         ${v.detail.replaceAll("\n", "\n         ")}` : ""}\n`,
    );
  }
  const bad = verdicts.filter((v) => v.outcome !== "replays").length;
  process.stdout.write(
    `${verdicts.length} journals replayed against this code: ${verdicts.length - bad} match, ${bad} do not\n`,
  );
  process.exit(bad ? 1 : 0);
} catch (err) {
  fail(log, err);
}
