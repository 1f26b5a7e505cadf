// Several worker processes sharing one port (Node's cluster module hands each accepted connection
// to a worker). The primary only keeps them running: a worker that dies is started again, and a
// stop signal is passed on to all of them.
//
// Restarts back off. A worker that dies soon after it started (a database that is down, a bad
// setting) would otherwise be forked again at once, forever: a loop that burns both cores and floods
// the log with the same error while an operator is trying to read it. So each quick death doubles the
// wait before the next start (100 ms up to 30 s), and a worker that stayed up for 10 s resets it:
// one crash after hours of service is restarted at once, a crash loop settles to one try per 30 s.
import cluster, { type Worker } from "node:cluster";
import type { Logger } from "../log.ts";

export type RestartPolicy = { firstDelayMs: number; maxDelayMs: number; healthyAfterMs: number };
export const RESTART_POLICY: RestartPolicy = { firstDelayMs: 100, maxDelayMs: 30_000, healthyAfterMs: 10_000 };

/** The wait before starting a worker again, given how long the dead one ran and the last wait. */
export function nextRestartDelay(policy: RestartPolicy, ranForMs: number, lastDelayMs: number): number {
  if (ranForMs >= policy.healthyAfterMs) return 0;
  return Math.min(policy.maxDelayMs, lastDelayMs === 0 ? policy.firstDelayMs : lastDelayMs * 2);
}

export function runWorkers(
  count: number,
  log: Logger,
  start: () => Promise<void>,
  policy: RestartPolicy = RESTART_POLICY,
): Promise<void> | void {
  if (count <= 1 || cluster.isWorker) return start();
  let stopping = false;
  let delayMs = 0;
  // Our own list of live workers: cluster.workers may still hold a worker whose 'exit' has fired
  // (Node drops it only once its IPC channel has disconnected too, which can come second).
  const live = new Set<Worker>();
  const pending = new Set<NodeJS.Timeout>();
  const stopped = () => live.size === 0 && pending.size === 0;

  const fork = () => {
    const worker = cluster.fork();
    const startedAt = Date.now();
    live.add(worker);
    worker.on("exit", (code, signal) => {
      live.delete(worker);
      if (stopping) {
        // Exit once every worker has stopped (each closes its server and database first).
        if (stopped()) process.exit(0);
        return;
      }
      const ranForMs = Date.now() - startedAt;
      delayMs = nextRestartDelay(policy, ranForMs, delayMs);
      log.warn(
        { worker: worker.process.pid, code, signal, ranForMs, restartInMs: delayMs },
        "worker died; starting another",
      );
      const timer = setTimeout(() => {
        pending.delete(timer);
        fork();
      }, delayMs);
      pending.add(timer);
    });
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      stopping = true;
      // A restart still waiting out its backoff is not started at all.
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      for (const worker of live) worker.process.kill(signal);
      if (stopped()) process.exit(0);
    });
  }
  log.info({ workers: count }, "starting workers");
  for (let i = 0; i < count; i++) fork();
}
