// `npm run deployments`: every deployment Restate knows, with its version, the invocations still
// running on it and the oldest order waiting there (and what for).
// `npm run deployments -- retire <id>`: removes a deployment once nothing runs on it; while
// something does, refuses (exit 2) and names it.
import { createRestateAdmin } from "../adapters/restate-admin.ts";
import { DEFAULT_ADMIN_URL } from "../config.ts";
import { deploymentReport, retire, unpinned, type WaitingInvocation } from "../deployments/report.ts";
import { boot, fail } from "./common.ts";

const say = (line = "") => process.stdout.write(`${line}\n`);
const waits = (w: WaitingInvocation) =>
  `${w.status}${w.waitingOn.length ? `, waits for ${w.waitingOn.join(" or ")}` : ""}, since ${w.createdAt}`;

const { env, log } = boot();
try {
  const admin = createRestateAdmin(env.RESTATE_ADMIN_URL ?? DEFAULT_ADMIN_URL);
  const [command, id] = process.argv.slice(2);
  if (command === "retire") {
    if (!id) throw new Error("usage: npm run deployments -- retire <deployment id>");
    const result = await retire(admin, id);
    if ("retired" in result) {
      say(`retired ${id} (${result.retired.uri}): nothing ran on it any more.`);
    } else {
      process.stderr.write(`retire refused: ${result.refused}\n`);
      for (const r of result.running) process.stderr.write(`  ${r.invocationId}  ${r.target}  ${waits(r)}\n`);
      process.exit(2);
    }
  } else if (command === undefined || command === "list") {
    const rows = await deploymentReport(admin);
    for (const d of rows) {
      say(`${d.id}  version ${d.version ?? "unknown"}  ${d.uri}  registered ${d.createdAt}`);
      say(`  ${d.nonFinal} non-final invocations${d.newestFor.length ? `; newest for ${d.newestFor.join(", ")}` : ""}`);
      const o = d.oldestWaitingOrder;
      say(o ? `  oldest waiting order ${o.orderId} (${o.invocationId}): ${waits(o)}` : "  no order waiting");
    }
    const later = await unpinned(admin);
    if (later) say(`${later} invocations not started yet: they will start on the newest deployment`);
    if (!rows.length) say("no deployments");
  } else {
    throw new Error(`unknown command "${command}": npm run deployments [-- retire <id>]`);
  }
} catch (err) {
  fail(log, err);
}
