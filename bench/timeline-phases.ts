// The phases of one order, for bench/timeline.ts: read from its journal (sys_journal rows), then
// summed up over orders, with restate-server's fsyncs (fsync-trace.ts) assigned by time. A phase
// of steps is the steps the workflow starts together (sibling ctx.runs), found as the commands
// that follow each other with no step result in between, whatever their names and however many
// centers. Each step's result (services/step-attempts.ts `timed`) carries when the step started
// and finished in the service (`startedAt`, `at`: epoch ms); its notification's appended_at is
// when restate-server created the log record of that result (its proposal, before the append and
// its fsync), read from restate-server's cached clock (updated every ~1 ms) and cut to whole ms.
import { z } from "zod";
import type { Fsync } from "./fsync-trace.ts";

export type JournalRow = { index: number; entry_type: string; appended_at: string; entry_json: string };
/** One step: when its command and its result's notification were appended; when it ran in the service. */
export type StepTiming = {
  name: string;
  commandAt: number;
  notifiedAt: number;
  startedAt: number;
  finishedAt: number;
};
export type StepPhase = { label: string; steps: StepTiming[] };

const RunCommand = z.object({ Command: z.object({ Run: z.object({ completion_id: z.number(), name: z.string() }) }) });
const Success = z.object({ Success: z.union([z.array(z.number()), z.string()]) });
const RunNotification = z.object({
  Notification: z.object({ Completion: z.object({ Run: z.object({ completion_id: z.number(), result: Success }) }) }),
});
/** What a step journals besides its value: when its successful attempt started and finished. */
const Timed = z.object({ at: z.number(), startedAt: z.number() });
/** The result's bytes: an array of numbers in restate-server 1.7's entry_json, base64 elsewhere. */
const timedOf = (bytes: number[] | string) =>
  Timed.parse(JSON.parse((typeof bytes === "string" ? Buffer.from(bytes, "base64") : Buffer.from(bytes)).toString()));

/** "update inventory fc-3" → "update inventory <c>"; the label says how many of each, once. */
function labelOf(names: string[], centerIds: string[]): string {
  const generic = names.map((n) => centerIds.reduce((s, id) => s.replace(new RegExp(`\\b${id}$`), "<c>"), n));
  const kinds = [...new Set(generic)];
  const group = kinds.join(" ‖ ");
  return kinds.length < names.length ? `${names.length / kinds.length} × (${group})` : group;
}

export function stepPhases(journal: JournalRow[], centerIds: string[]): StepPhase[] {
  const phases: Map<number, Pick<StepTiming, "name" | "commandAt"> & Partial<StepTiming>>[] = [];
  let resultSeen = true; // a command after a result starts a new phase
  for (const e of journal) {
    const appendedAt = Date.parse(e.appended_at);
    if (e.entry_type === "Command: Run") {
      const { completion_id, name } = RunCommand.parse(JSON.parse(e.entry_json)).Command.Run;
      if (resultSeen) phases.push(new Map());
      resultSeen = false;
      phases.at(-1)!.set(completion_id, { name, commandAt: appendedAt });
    } else if (e.entry_type === "Notification: Run") {
      const { completion_id, result } = RunNotification.parse(JSON.parse(e.entry_json)).Notification.Completion.Run;
      const step = phases.at(-1)?.get(completion_id);
      if (!step) throw new Error(`journal entry ${e.index}: a result for no step of the phase in flight`);
      const { at, startedAt } = timedOf(result.Success);
      Object.assign(step, { notifiedAt: appendedAt, finishedAt: at, startedAt });
      resultSeen = true;
    }
  }
  return phases.map((steps) => ({
    label: labelOf(
      [...steps.values()].map((s) => s.name),
      centerIds,
    ),
    steps: [...steps.values()].map((s) => {
      const { notifiedAt, startedAt, finishedAt } = s;
      if (notifiedAt === undefined || startedAt === undefined || finishedAt === undefined)
        throw new Error(`step ${s.name}: no result`);
      return { ...s, notifiedAt, startedAt, finishedAt };
    }),
  }));
}

type Stat = { median: number; mean: number };
export type Phase = {
  phase: string;
  medianMs: number;
  meanMs: number;
  /** Journal entries of the order's other invocations (its Shipments watch) appended in the window. */
  othersEntries: number;
  /** A phase of steps: its first command to its last result's notification, notifications, distinct proposal ms. */
  steps?: { durableMs: number; notifications: number; distinctAppendMs: number };
  /** Notification appended − step finished in the service: every step's mean, the first and last to finish. */
  proposalWaitMs?: { mean: number; first: Stat; last: Stat };
  /** Between the phase's first and last step finishing in the service. */
  finishSpreadMs?: Stat;
  /** The last step finishing → the next phase's first step starting, both in the service, and the fsyncs between. */
  ack?: { ms: number; fsyncs?: number };
  /** restate-server's fsyncs in the phase's window, per order: in all, their time, by file. */
  fsyncs?: { total: number; ms: number; byFile: Record<string, number> };
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const stat = (xs: number[]): Stat => ({ median: median(xs), mean: mean(xs) });
const within = (fsyncs: Fsync[], from: number, to: number) => fsyncs.filter((f) => f.at >= from && f.at < to);

/**
 * One order's window of one phase, [from, to) in epoch ms, with the entries other invocations of the order
 * appended in it; a phase of steps has them, and when the next phase's first step started.
 */
export type Sample = { from: number; to: number; others: number; phase?: StepPhase; nextStartedAt?: number };

export function summarize(phase: string, samples: Sample[], fsyncs: Fsync[] | undefined): Phase {
  const ms = samples.map((s) => s.to - s.from);
  const out: Phase = {
    phase,
    medianMs: median(ms),
    meanMs: mean(ms),
    othersEntries: mean(samples.map((s) => s.others)),
  };
  if (fsyncs) {
    const inside = samples.flatMap((s) => within(fsyncs, s.from, s.to));
    const byFile: Record<string, number> = {};
    for (const f of inside) byFile[f.file] = (byFile[f.file] ?? 0) + 1 / samples.length;
    const total = inside.length / samples.length;
    out.fsyncs = { total, ms: inside.reduce((sum, f) => sum + f.ms, 0) / samples.length, byFile };
  }
  const phases = samples.flatMap((s) => (s.phase ? [{ ...s, steps: s.phase.steps }] : []));
  if (phases.length === 0) return out;
  const byFinish = phases.map(({ steps }) => [...steps].sort((a, b) => a.finishedAt - b.finishedAt));
  const wait = (s: StepTiming) => s.notifiedAt - s.finishedAt;
  out.steps = {
    durableMs: mean(phases.map(({ steps }) => Math.max(...steps.map((s) => s.notifiedAt)) - steps[0]!.commandAt)),
    notifications: mean(phases.map(({ steps }) => steps.length)),
    distinctAppendMs: mean(phases.map(({ steps }) => new Set(steps.map((s) => s.notifiedAt)).size)),
  };
  out.proposalWaitMs = {
    mean: mean(byFinish.flat().map(wait)),
    first: stat(byFinish.map((st) => wait(st[0]!))),
    last: stat(byFinish.map((st) => wait(st.at(-1)!))),
  };
  out.finishSpreadMs = stat(byFinish.map((st) => st.at(-1)!.finishedAt - st[0]!.finishedAt));
  const acks = phases.flatMap((p, i) =>
    p.nextStartedAt ? [{ from: byFinish[i]!.at(-1)!.finishedAt, to: p.nextStartedAt }] : [],
  );
  if (acks.length === phases.length)
    out.ack = {
      ms: mean(acks.map((a) => a.to - a.from)),
      fsyncs: fsyncs && mean(acks.map((a) => within(fsyncs, a.from, a.to).length)),
    };
  return out;
}

export type Timeline = {
  phases: Phase[];
  stepPhases: number;
  fsyncsBetweenOrders?: number;
  fsyncThreads?: Record<string, number>;
};

/** The tables `npm run bench:timeline` prints, line by line. */
export function tableOf(
  { phases, stepPhases, fsyncsBetweenOrders, fsyncThreads }: Timeline,
  centers: number,
  orders: number,
) {
  const lines: string[] = [];
  const n = (x: number | undefined, digits = 1) => (x === undefined ? "–" : x.toFixed(digits)).padStart(8);
  const pair = (s: { median: number; mean: number } | undefined) =>
    (s ? `${s.median.toFixed(1)}/${s.mean.toFixed(1)}` : "–").padStart(11);
  const list = (counts: Record<string, number> | undefined) =>
    Object.entries(counts ?? {})
      .sort(([, a], [, b]) => b - a)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(", ");
  lines.push(
    `One ${centers}-center order at a time, ${orders} orders; ms and counts per order, means unless "median".
Rows follow each other; a phase of steps runs from its first step's start in the service to the next phase's. durable: its first command appended → its last result's notification appended; notif: its results; distinct: the whole ms those were proposed in; wait: notification appended − step finished in the service (restate-server's clock is cached, ~1 ms behind); fsyncs, fs-ms: restate-server's fsyncs starting in the row, and their time; ack: its last step finished → the next phase's first step started (service clock); ack-fs: the fsyncs in between; others: entries the order's other invocations (Shipments.watch) appended in the row.`,
  );
  const columns = [
    "median",
    "mean",
    "durable",
    "notif",
    "distinct",
    "wait",
    "fsyncs",
    "fs-ms",
    "ack",
    "ack-fs",
    "others",
  ];
  lines.push(`${columns.map((c) => c.padStart(8)).join("")}  phase  [fsyncs by file]`);
  for (const p of phases) {
    const files = list(p.fsyncs?.byFile);
    const cells = [p.medianMs, p.meanMs, p.steps?.durableMs, p.steps?.notifications].map((x) => n(x));
    cells.push(
      ...[p.steps?.distinctAppendMs, p.proposalWaitMs?.mean, p.fsyncs?.total, p.fsyncs?.ms].map((x) => n(x, 2)),
    );
    cells.push(n(p.ack?.ms), n(p.ack?.fsyncs, 2), n(p.othersEntries, 2));
    lines.push(`${cells.join("")}  ${p.phase}${files ? `  [${files}]` : ""}`);
  }
  if (fsyncsBetweenOrders !== undefined)
    lines.push(`fsyncs between orders: ${fsyncsBetweenOrders.toFixed(2)}; by thread, all: ${list(fsyncThreads)}`);
  lines.push(
    `\n${stepPhases} phases of steps in sequence. Wait of the first and last step to finish, spread of their finishes, ms median/mean:`,
  );
  lines.push(`${["first", "last", "spread"].map((c) => c.padStart(11)).join("")}  phase`);
  for (const p of phases.filter((p) => p.proposalWaitMs))
    lines.push(`${pair(p.proposalWaitMs?.first)}${pair(p.proposalWaitMs?.last)}${pair(p.finishSpreadMs)}  ${p.phase}`);
  return lines;
}
