// runWorkers keeps a port's worker processes running: a worker that dies is started again, at once
// if it had been serving, with a doubling wait if it dies as soon as it starts (a crash loop), and a
// stop signal ends the primary even while a restart is waiting. Real processes through node:cluster.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { nextRestartDelay, RESTART_POLICY } from "../../src/main/workers.ts";
import { letTimePass } from "../support/wait.ts";

type Line = Record<string, unknown> & { msg?: string };

/** The fixture's primary; its log lines (pino JSON) as they arrive. */
function startPrimary(env: Record<string, string>) {
  const child = spawn(process.execPath, ["test/support/workers-child.ts"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: Line[] = [];
  createInterface({ input: child.stdout! }).on("line", (text) => lines.push(JSON.parse(text) as Line));
  const named = (msg: string) => lines.filter((l) => l.msg === msg);
  return { child, died: () => named("worker died; starting another"), up: () => named("worker up") };
}

async function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [code] = await once(child, "exit");
  clearTimeout(timer);
  return code as number | null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("restart delay", () => {
  it("doubles for each quick death up to the cap, and is zero after a worker that had been serving", () => {
    const p = RESTART_POLICY;
    const delays: number[] = [];
    let last = 0;
    for (let i = 0; i < 12; i++) {
      last = nextRestartDelay(p, 50, last);
      delays.push(last);
    }
    expect(delays.slice(0, 5)).toEqual([100, 200, 400, 800, 1600]);
    expect(delays.at(-1)).toBe(p.maxDelayMs);
    expect(nextRestartDelay(p, p.healthyAfterMs, p.maxDelayMs)).toBe(0);
    expect(nextRestartDelay(p, p.healthyAfterMs - 1, 0)).toBe(p.firstDelayMs);
  });
});

describe("runWorkers (real processes)", () => {
  const poll = { timeout: 15_000 };

  it("backs off a crash loop and stops at once on SIGTERM while a restart waits", async () => {
    const { child, died } = startPrimary({ WORKER_MODE: "crash" });
    try {
      await expect.poll(() => died().length, poll).toBeGreaterThanOrEqual(4);
      expect(
        died()
          .slice(0, 4)
          .map((l) => l.restartInMs),
      ).toEqual([100, 200, 400, 800]);
      expect(died().every((l) => l.code === 1)).toBe(true);
      // The sixth restart waits 3.2 s. A stop signal must neither wait for it nor start it: the
      // primary is gone well before that wait is over (a bound on behaviour, not a speed claim).
      await expect.poll(() => died().length, poll).toBeGreaterThanOrEqual(6);
      const signalledAt = Date.now();
      child.kill("SIGTERM");
      expect(await exitOf(child, 10_000)).toBe(0);
      expect(Date.now() - signalledAt).toBeLessThan(2_500);
      expect(died()).toHaveLength(6);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("starts a killed worker again at once when it had been serving, and SIGTERM stops every worker", async () => {
    const policy = { firstDelayMs: 100, maxDelayMs: 1_000, healthyAfterMs: 300 };
    const { child, died, up } = startPrimary({ WORKER_MODE: "serve", WORKER_POLICY: JSON.stringify(policy) });
    try {
      await expect.poll(() => up().length, poll).toBeGreaterThanOrEqual(2);
      await letTimePass(policy.healthyAfterMs + 200); // serving this long is what makes a worker healthy
      const victim = up()[0]!.worker as number;
      process.kill(victim, "SIGKILL");
      await expect.poll(() => up().length, poll).toBeGreaterThanOrEqual(3);
      expect(died()[0]).toMatchObject({ worker: victim, signal: "SIGKILL", restartInMs: 0 });
      const workers = up().map((l) => l.worker as number);
      expect(new Set(workers).size).toBe(3);
      child.kill("SIGTERM");
      expect(await exitOf(child, 5_000)).toBe(0);
      expect(workers.filter(alive)).toEqual([]);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
