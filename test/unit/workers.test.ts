// runWorkers keeps a port's worker processes running: a worker that dies is started again, at once
// if it had been serving, with a doubling wait if it dies as soon as it starts (a crash loop), and a
// stop signal ends the primary even while a restart is waiting. Real processes through node:cluster.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { nextRestartDelay, RESTART_POLICY } from "../../src/main/workers.ts";

type Line = Record<string, unknown> & { msg?: string };

function startPrimary(env: Record<string, string>) {
  const child = spawn(process.execPath, ["test/support/workers-child.ts"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: Line[] = [];
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (text.trim()) lines.push(JSON.parse(text) as Line);
    }
  });
  const waitFor = async (what: (lines: Line[]) => boolean, timeoutMs = 15_000) => {
    const until = Date.now() + timeoutMs;
    while (!what(lines)) {
      if (Date.now() > until) throw new Error(`timed out; log so far:\n${lines.map((l) => JSON.stringify(l)).join("\n")}`);
      if (child.exitCode !== null) throw new Error(`primary exited ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, lines, waitFor };
}

const named = (msg: string) => (lines: Line[]) => lines.filter((l) => l.msg === msg);

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
    for (let i = 0; i < 12; i++) delays.push((last = nextRestartDelay(p, 50, last)));
    expect(delays.slice(0, 5)).toEqual([100, 200, 400, 800, 1600]);
    expect(delays.at(-1)).toBe(p.maxDelayMs);
    expect(nextRestartDelay(p, p.healthyAfterMs, p.maxDelayMs)).toBe(0);
    expect(nextRestartDelay(p, p.healthyAfterMs - 1, 0)).toBe(p.firstDelayMs);
  });
});

describe("runWorkers (real processes)", () => {
  it("backs off a crash loop and stops at once on SIGTERM while a restart waits", async () => {
    const { child, lines, waitFor } = startPrimary({ WORKER_MODE: "crash" });
    try {
      await waitFor((l) => named("worker died; starting another")(l).length >= 4);
      const died = named("worker died; starting another")(lines);
      expect(died.slice(0, 4).map((l) => l.restartInMs)).toEqual([100, 200, 400, 800]);
      expect(died.every((l) => l.code === 1)).toBe(true);
      // The sixth restart waits 3.2 s. A stop signal must neither wait for it nor start it: the
      // primary is gone well before that wait is over (a bound on behaviour, not a speed claim).
      await waitFor((l) => named("worker died; starting another")(l).length >= 6);
      const signalledAt = Date.now();
      child.kill("SIGTERM");
      expect(await exitOf(child, 10_000)).toBe(0);
      expect(Date.now() - signalledAt).toBeLessThan(2_500);
      expect(named("worker died; starting another")(lines)).toHaveLength(6);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("starts a killed worker again at once when it had been serving, and SIGTERM stops every worker", async () => {
    const policy = { firstDelayMs: 100, maxDelayMs: 1_000, healthyAfterMs: 300 };
    const { child, lines, waitFor } = startPrimary({ WORKER_MODE: "serve", WORKER_POLICY: JSON.stringify(policy) });
    try {
      await waitFor((l) => named("worker up")(l).length >= 2);
      await new Promise((r) => setTimeout(r, policy.healthyAfterMs + 200));
      const [victim] = named("worker up")(lines).map((l) => l.worker as number);
      process.kill(victim!, "SIGKILL");
      await waitFor((l) => named("worker up")(l).length >= 3);
      const [died] = named("worker died; starting another")(lines);
      expect(died).toMatchObject({ worker: victim, signal: "SIGKILL", restartInMs: 0 });
      const workers = named("worker up")(lines).map((l) => l.worker as number);
      expect(new Set(workers).size).toBe(3);
      child.kill("SIGTERM");
      expect(await exitOf(child, 5_000)).toBe(0);
      expect(workers.filter(alive)).toEqual([]);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
