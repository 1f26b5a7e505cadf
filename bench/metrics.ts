// Per-process CPU time and peak memory, read from /proc (Linux). CPU is utime+stime in clock
// ticks (USER_HZ = 100 on Linux), peak RSS is VmHWM.
import { readdirSync, readFileSync } from "node:fs";

const TICK_MS = 10;

export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime
  } catch {
    return 0;
  }
}

export function peakRssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return Math.round(kb / 1024);
  } catch {
    return 0;
  }
}

/** Every running process whose command name is `name` (e.g. all PostgreSQL backends). */
export function pidsNamed(name: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === name;
      } catch {
        return false;
      }
    });
}

/**
 * The PostgreSQL server's processes that work for `database`: its own client backends and the
 * server-wide ones (postmaster, WAL writer, checkpointer, …), not other databases' backends (other
 * test runs on the same server). A client backend's title is "postgres: [cluster: ]user db host(port) state".
 */
export function postgresPidsFor(database: string): number[] {
  return pidsNamed("postgres").filter((pid) => {
    try {
      const title = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      const backend = /^postgres: (?:[^:]+: )?\S+ (\S+) (?:\S+\(\d+\)|\[local\])/.exec(title);
      return !backend || backend[1] === database;
    } catch {
      return false;
    }
  });
}

/** CPU time every process on the machine has used so far (all cores; /proc/stat, in ms). */
export function machineCpuMs(): number {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) * TICK_MS;
  } catch {
    return 0;
  }
}

export type ProcessGroup = { name: string; pids: () => number[] };

/**
 * CPU used by each group between `start()` and `stop()`, and by the rest of the machine (processes
 * outside every group: other work sharing the cores, which slows the benchmark down).
 */
export function cpuMeter(groups: ProcessGroup[]) {
  const sum = (g: ProcessGroup) => g.pids().reduce((s, pid) => s + cpuMs(pid), 0);
  const before = new Map(groups.map((g) => [g.name, sum(g)]));
  const machineBefore = machineCpuMs();
  return {
    stop(): { groups: Record<string, number>; others: number } {
      const used = Object.fromEntries(groups.map((g) => [g.name, sum(g) - before.get(g.name)!]));
      const ours = Object.values(used).reduce((a, b) => a + b, 0);
      return { groups: used, others: Math.max(0, machineCpuMs() - machineBefore - ours) };
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

export function latencySummary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    mean: round(sorted.reduce((s, n) => s + n, 0) / (sorted.length || 1)),
  };
}

/**
 * Resident memory the process owns (RssAnon: heaps, stacks, buffers), without the file-backed pages
 * of its executable and libraries (RssFile), which the kernel shares and can drop: ~100 MB of
 * restate-server's RSS is its 225 MB binary.
 */
export function privateRssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Math.round(Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

/** The highest private RSS of each process, sampled every `everyMs` until `stop()`. */
export function privateRssSampler(processes: () => { name: string; pid: number }[], everyMs = 200) {
  const peak = new Map<string, number>();
  const sample = () => {
    for (const { name, pid } of processes()) peak.set(name, Math.max(peak.get(name) ?? 0, privateRssMb(pid)));
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop(): Record<string, number> {
      clearInterval(timer);
      sample();
      return Object.fromEntries(peak);
    },
  };
}
