// Runs restate-server from node_modules as a child process, on chosen or free loopback ports: for
// `npm start`, the tests and the benchmark. Deployments run restate-server on their own; what they
// need from here (registering the service endpoint) is src/adapters/restate-admin.ts.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";

export type RestateServer = {
  ingressUrl: string;
  adminUrl: string;
  /** The ports it listens on; start again with the same ports and baseDir to restart it. */
  ports: { ingress: number; admin: number; fabric: number };
  child: ChildProcess;
  /** Graceful stop (SIGTERM), waits for the process to exit. */
  stop(): Promise<void>;
  /** Hard kill (SIGKILL), for crash tests. */
  kill(): Promise<void>;
};

export type RestateServerOptions = {
  baseDir: string;
  configFile?: string;
  ports?: { ingress: number; admin: number; fabric: number };
  /** Extra RESTATE_* environment, e.g. retry policy overrides in tests. */
  env?: Record<string, string>;
  logFile?: string;
  readyTimeoutMs?: number;
  /** When it counts as started; default: isReady. A cluster node before provisioning: isServing. */
  ready?: (adminUrl: string) => Promise<boolean>;
};

export function restateServerBinary(): string {
  const require = createRequire(import.meta.url);
  const arch = process.arch === "x64" ? "x64" : process.arch;
  return require.resolve(`@restatedev/restate-server-${process.platform}-${arch}/bin/restate-server`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * restate-server allocates with jemalloc, which reads MALLOC_CONF (glibc's MALLOC_ARENA_MAX does
 * nothing to it). Two arenas instead of one per core ×4, freed pages returned after 1 s by a
 * background thread instead of 10 s on the next allocation: peak private memory under the
 * benchmark 131–137 → 107 MB, CPU per order unchanged (docs/benchmark.md, 2026-12-05). A
 * MALLOC_CONF in the environment wins; docker-compose*.yml set the same.
 */
export const RESTATE_MALLOC_CONF = "background_thread:true,dirty_decay_ms:1000,narenas:2";

export async function startRestateServer(options: RestateServerOptions): Promise<RestateServer> {
  mkdirSync(options.baseDir, { recursive: true });
  const ports = options.ports ?? { ingress: await freePort(), admin: await freePort(), fabric: await freePort() };
  const env = {
    MALLOC_CONF: RESTATE_MALLOC_CONF,
    ...process.env,
    RESTATE_BIND_IP: "127.0.0.1",
    RESTATE_LISTEN_MODE: "tcp",
    RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ports.ingress}`,
    RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${ports.admin}`,
    RESTATE_BIND_ADDRESS: `127.0.0.1:${ports.fabric}`,
    RESTATE_ADVERTISED_ADDRESS: `http://127.0.0.1:${ports.fabric}/`,
    RESTATE_DISABLE_TELEMETRY: "true",
    ...options.env,
  };
  const args = [
    "--base-dir",
    options.baseDir,
    "--no-logo",
    "--log-format",
    "compact",
    "--log-disable-ansi-codes",
    "true",
  ];
  if (options.configFile) args.push("--config-file", options.configFile);

  const logFile = options.logFile ?? path.join(options.baseDir, "restate-server.log");
  const out = createWriteStream(logFile, { flags: "a" });
  const child = spawn(restateServerBinary(), args, { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const adminUrl = `http://127.0.0.1:${ports.admin}`;
  const server: RestateServer = {
    ingressUrl: `http://127.0.0.1:${ports.ingress}`,
    adminUrl,
    ports,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  const ready = options.ready ?? isReady;
  while (!(await ready(adminUrl))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `restate-server exited (${child.exitCode ?? child.signalCode}) before it was ready; see ${logFile}`,
      );
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`restate-server not ready after ${options.readyTimeoutMs ?? 30_000} ms; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return server;
}

/** Ready means the admin API answers SQL queries: partitions are up. */
export async function isReady(adminUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${adminUrl}/query`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: "SELECT count(1) AS c FROM sys_invocation" }),
      signal: AbortSignal.timeout(2000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * The process serves its admin API. Nothing more: a cluster node says 200 here before the cluster
 * is provisioned, and while the cluster cannot take a single call (see restate-cluster.ts).
 */
export async function isServing(adminUrl: string): Promise<boolean> {
  try {
    return (await fetch(`${adminUrl}/health`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}
