// A primary running two workers through the real runWorkers, for test/unit/workers.test.ts.
// WORKER_MODE=crash: every worker exits 1 as soon as it starts (a crash loop).
// WORKER_MODE=serve: every worker stays up until it is signalled.
// The restart policy comes from WORKER_POLICY (JSON) so a test need not wait 10 s for "healthy".
import { createLogger } from "../../src/log.ts";
import { RESTART_POLICY, runWorkers } from "../../src/main/workers.ts";

const log = createLogger({ level: "info" });
const policy = process.env.WORKER_POLICY ? JSON.parse(process.env.WORKER_POLICY) : RESTART_POLICY;
await runWorkers(
  2,
  log,
  async () => {
    if (process.env.WORKER_MODE === "crash") process.exit(1);
    log.info({ worker: process.pid }, "worker up");
    const keepAlive = setInterval(() => {}, 60_000);
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.on(signal, () => {
        clearInterval(keepAlive);
        process.exit(0);
      });
    }
  },
  policy,
);
