// Several worker processes sharing one port (Node's cluster module hands each accepted connection
// to a worker). The primary only keeps them running: a worker that dies is started again, and a
// stop signal is passed on to all of them.
import cluster from "node:cluster";
import type { Logger } from "../log.ts";

export function runWorkers(count: number, log: Logger, start: () => Promise<void>): Promise<void> | void {
  if (count <= 1 || cluster.isWorker) return start();
  let stopping = false;
  const fork = () => cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    log.warn({ worker: worker.process.pid, code, signal }, "worker died; starting another");
    fork();
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
      // Exit once every worker has stopped (each closes its server and database first).
      cluster.on("exit", () => {
        if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      });
    });
  }
  log.info({ workers: count }, "starting workers");
  for (let i = 0; i < count; i++) fork();
}
