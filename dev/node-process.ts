// One of postpay's entry points (src/main/*.ts, dev/start.ts) as a child process on the project's Node, for
// crash tests and the benchmark: started, SIGKILLed, started again, measured by pid.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
/**
 * The V8 flags the product processes run with: package.json's config.nodeFlags, which the start
 * scripts pass to node ($npm_package_config_nodeFlags), so tests and the benchmark measure the
 * processes as `npm run start:*` runs them.
 */
export const NODE_FLAGS: string[] = (
  JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { config: { nodeFlags: string } }
).config.nodeFlags
  .split(/\s+/)
  .filter(Boolean);

export type NodeProcess = {
  /** For logs and reports, e.g. "services". */
  readonly name: string;
  readonly pid: number | undefined;
  readonly starts: number;
  start(): Promise<void>;
  /** SIGKILL: a crash, nothing flushed. */
  kill(): Promise<void>;
  /** SIGTERM: a graceful stop. */
  stop(): Promise<void>;
};

export function nodeProcess(options: {
  name: string;
  /** Relative to the project root. */
  script: string;
  env: Record<string, string>;
  logFile: string;
  /** Resolves true once the process serves; polled every 100 ms for up to a minute. */
  ready: () => Promise<boolean>;
}): NodeProcess {
  let child: ChildProcess | undefined;
  let starts = 0;
  const log = createWriteStream(options.logFile, { flags: "a" });
  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => c.once("exit", () => r()));

  return {
    name: options.name,
    get pid() {
      return child?.pid;
    },
    get starts() {
      return starts;
    },
    async start() {
      // node itself, which strips the types (no wrapper process), so signals hit the worker.
      child = spawn(process.execPath, [...NODE_FLAGS, options.script], {
        cwd: root,
        env: { ...process.env, ...options.env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout!.pipe(log, { end: false });
      child.stderr!.pipe(log, { end: false });
      // Its last words, for the error if it dies before it serves (a test's log file is deleted with it).
      let lastWords = "";
      const keep = (chunk: Buffer) => {
        lastWords = (lastWords + chunk.toString()).slice(-4096);
      };
      child.stdout!.on("data", keep);
      child.stderr!.on("data", keep);
      starts++;
      const deadline = Date.now() + 60_000;
      while (!(await options.ready().catch(() => false))) {
        if (child.exitCode !== null) {
          await Promise.race([new Promise((r) => child!.once("close", r)), new Promise((r) => setTimeout(r, 1000))]);
          throw new Error(
            `${options.script} exited with ${child.exitCode} before it served; the end of its output:\n${lastWords.trimEnd()}`,
          );
        }
        if (Date.now() > deadline) throw new Error(`${options.script} not ready after 60 s; see ${options.logFile}`);
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
}

export const httpReady = (url: string) => async () => (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;

/**
 * The processes `pid` forked of its own executable, e.g. the workers a SERVICE_WORKERS primary
 * started. Linux /proc.
 */
export function workerPids(pid: number): number[] {
  const exe = (p: number) => {
    try {
      return readlinkSync(`/proc/${p}/exe`);
    } catch {
      return undefined;
    }
  };
  const parentExe = exe(pid);
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid && exe(p) === parentExe;
      } catch {
        return false;
      }
    });
}
