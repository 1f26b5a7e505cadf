// Records every fsync and fdatasync a process makes, with Linux perf, on the wall clock: for
// `npm run bench:timeline` (BENCH_TIMELINE_PERF=1), which assigns restate-server's fsyncs to the
// phases of each order. perf needs root or kernel.perf_event_paranoid ≤ 1, and the syscall
// tracepoints. This kernel refuses CLOCK_REALTIME for perf events ("wrong clockid (0)"), so perf
// records CLOCK_MONOTONIC (`-k mono`), which is Node's hrtime clock, and the offset between the
// two clocks, taken at the edge of a Date.now() tick, turns its timestamps into epoch ms. Each
// call's file comes from its fd, read in /proc/<pid>/fd when the trace starts and stops.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** One call: when it started (epoch ms, fractional), how long it took, its thread's name, its file. */
export type Fsync = { at: number; ms: number; thread: string; file: string };
export type FsyncTrace = { stop(): Promise<Fsync[]> };

const CALLS = ["fdatasync", "fsync"];

/** Epoch ms minus CLOCK_MONOTONIC ms, to a few µs: read at the moment Date.now() ticks. */
function monotonicOffsetMs(): number {
  const before = Date.now();
  let now = before;
  while (now === before) now = Date.now();
  return now - Number(process.hrtime.bigint()) / 1e6;
}

/** The process's open files by fd, as "dir/name" with digits as # ("log-store/#.log"). */
function openFiles(pid: number, into: Map<number, string>) {
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      into.set(Number(fd), path.join(path.basename(path.dirname(target)), path.basename(target)).replace(/\d+/g, "#"));
    } catch {} // closed meanwhile
  }
}

/** Throws, saying what to install, unless perf runs. */
export function requirePerf() {
  const probe = spawnSync("perf", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0)
    throw new Error(
      `BENCH_TIMELINE_PERF=1 needs Linux perf on PATH (Debian: apt-get install linux-perf): ${probe.error?.message ?? probe.stderr}`,
    );
}

/** Starts `perf record` on `pid` (all its threads), writing to `dir`; stop() ends it and reads it. */
export async function traceFsyncs(pid: number, dir: string): Promise<FsyncTrace> {
  requirePerf();
  const file = path.join(dir, "fsyncs.perf");
  const events = CALLS.flatMap((c) => ["-e", `syscalls:sys_enter_${c}`, "-e", `syscalls:sys_exit_${c}`]);
  const perf = spawn("perf", ["record", "-q", "-k", "mono", ...events, "-p", String(pid), "-o", file], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  perf.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  // perf writes its file on SIGINT and then dies of the signal it caught.
  const exited = new Promise<string>((resolve) => {
    perf.once("exit", (code, signal) => resolve(String(code ?? signal)));
    perf.once("error", (err) => {
      stderr += err.message;
      resolve("error");
    });
  });
  // perf attaches to every thread before it records; a second is ample, and shows early failures.
  if ((await Promise.race([sleep(1000).then(() => "running"), exited])) !== "running")
    throw new Error(`perf record failed: ${stderr.trim()}`);
  const offsetMs = monotonicOffsetMs();
  const files = new Map<number, string>();
  openFiles(pid, files);
  return {
    async stop() {
      openFiles(pid, files);
      perf.kill("SIGINT");
      const code = await exited;
      if (code !== "0" && code !== "SIGINT") throw new Error(`perf record exited with ${code}: ${stderr.trim()}`);
      const drift = monotonicOffsetMs() - offsetMs;
      if (Math.abs(drift) > 1) throw new Error(`the wall clock moved ${drift.toFixed(3)} ms against CLOCK_MONOTONIC`);
      const script = spawnSync("perf", ["script", "-i", file, "--ns", "-F", "comm,tid,time,event,trace"], {
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
      });
      if (script.status !== 0) throw new Error(`perf script failed: ${script.stderr}`);
      const open = new Map<number, Fsync>(); // by thread id, from enter to exit
      const calls: Fsync[] = [];
      for (const line of script.stdout.split("\n")) {
        // "  rs:worker-0  7123  313.954320435: syscalls:sys_enter_fdatasync: fd: 0x00000045"
        const m = /^\s*(.+?)\s+(\d+)\s+(\d+)\.(\d{9}):\s+syscalls:sys_(enter|exit)_\w+:\s*(?:fd: (0x[0-9a-f]+))?/.exec(
          line,
        );
        if (!m) continue;
        const [, thread, tid, s, ns, kind, fd] = m;
        const at = Number(s) * 1000 + Number(ns) / 1e6 + offsetMs;
        if (kind === "enter")
          open.set(Number(tid), {
            at,
            ms: Number.NaN,
            thread: thread!,
            file: files.get(Number(fd)) ?? `fd ${Number(fd)}`,
          });
        const call = open.get(Number(tid));
        if (kind === "exit" && call) {
          calls.push({ ...call, ms: at - call.at });
          open.delete(Number(tid));
        }
      }
      return calls;
    },
  };
}
