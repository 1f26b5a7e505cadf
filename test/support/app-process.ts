// postpay's app process (`src/main/local.ts`: service endpoint + HTTP app, and PGlite when no
// DATABASE_URL) as a real child process, so crash tests can SIGKILL it and start it again.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

export type AppProcess = {
  url: string;
  kill(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  starts: number;
};

export function appProcess(env: Record<string, string>, httpPort: number, logFile: string): AppProcess {
  let child: ChildProcess | undefined;
  const log = createWriteStream(logFile, { flags: "a" });
  const url = `http://127.0.0.1:${httpPort}`;
  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once("exit", () => r()));

  const app: AppProcess = {
    url,
    starts: 0,
    async start() {
      // node itself (not the tsx wrapper), so a SIGKILL hits the process that does the work.
      child = spawn(process.execPath, ["--import", "tsx", "src/main/local.ts"], {
        cwd: root,
        env: { ...process.env, ...env, HTTP_PORT: String(httpPort), LOG_LEVEL: "warn" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout!.pipe(log, { end: false });
      child.stderr!.pipe(log, { end: false });
      app.starts++;
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`app process exited with ${child.exitCode}; see ${logFile}`);
        const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`app process not ready; see ${logFile}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async kill() {
      if (!child) return;
      child.kill("SIGKILL");
      await exited(child);
    },
    async stop() {
      if (!child) return;
      child.kill("SIGTERM");
      await exited(child);
    },
  };
  return app;
}
