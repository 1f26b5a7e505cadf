// Keeps `npm run bench` working: the same code with a handful of orders. It asserts that every
// order went through both paths, that the report has its figures and that the chart is drawn,
// never how fast anything was.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, describe, expect, it } from "vitest";
import { parseEnv } from "../../src/config.ts";
import { runBench } from "../../bench/bench.ts";
import { measureTimeline } from "../../bench/timeline.ts";
import { writeReport } from "../../bench/report.ts";

const out = mkdtempSync(path.join(tmpdir(), "postpay-bench-smoke-"));
afterAll(() => {
  if (!process.env.KEEP_SMOKE) rmSync(out, { recursive: true, force: true });
});

type Node = Record<string, unknown>;
/** Every element named `name` under `node` (fast-xml-parser's preserveOrder tree). */
function elements(node: unknown, name: string): Node[] {
  if (!Array.isArray(node)) return [];
  return node.flatMap((child: Node) => [
    ...(name in child ? [child] : []),
    ...Object.values(child).flatMap((v) => elements(v, name)),
  ]);
}
const attr = (el: Node, a: string) => (el[":@"] as Record<string, string> | undefined)?.[`@_${a}`];
const textOf = (el: Node): string =>
  ((Object.entries(el).find(([k]) => k !== ":@")?.[1] ?? []) as Node[])
    .map((c) => ("#text" in c ? String(c["#text"]) : textOf(c)))
    .join("");

describe("the benchmark", () => {
  it("drives orders through Restate and the inline baseline, reports every figure and draws the chart", async () => {
    const postgres = parseEnv().DATABASE_URL;
    const report = await runBench({
      orders: 12,
      concurrency: 4,
      oneAtATimeOrders: 3,
      fanOutOrders: 2,
      fanOut: [1, 3],
      sweep: [1, 3],
      sweepMinOrders: 3,
      postgres,
    });
    for (const p of [report.restate, report.baseline]) {
      expect(p).toMatchObject({ orders: 12, failed: 0, failedInAllPhases: 0 });
      expect(p.ordersPerSecond).toBeGreaterThan(0);
      expect(p.latencyMs.p50).toBeGreaterThan(0);
      expect(p.oneAtATime.latencyMs.p50).toBeGreaterThan(0);
      expect(p.fanOut.map((f) => f.centers)).toEqual([1, 3]);
      expect(p.sweep.map((s) => [s.concurrency, s.orders, s.failed])).toEqual([
        [1, 4, 0], // max(3, 4 × 1)
        [3, 12, 0],
      ]);
      expect(p.totalCpuMsPerOrder).toBeGreaterThan(0);
      expect(p.otherLoadCores).toBeGreaterThanOrEqual(0);
    }
    // Durability's processes on one side only; the app (and the driver) on both.
    const app = postgres ? "app" : "app+PGlite";
    expect(Object.keys(report.restate.cpuMsPerOrder)).toEqual(
      expect.arrayContaining(["restate-server", "bench driver + stand-ins"]),
    );
    expect(Object.keys(report.baseline.cpuMsPerOrder).sort()).toEqual(
      [app, "bench driver + stand-ins", ...(postgres ? ["postgres"] : [])].sort(),
    );
    expect(report.baseline.cpuMsPerOrder[app]).toBeGreaterThan(0);
    expect(report.restate.peakRssMb["restate-server"]).toBeGreaterThan(0);
    expect(report.baseline.peakRssMb[app]).toBeGreaterThan(0);
    expect(report.baseline.peakRssMb["restate-server"]).toBeUndefined();
    // The private part is part of the whole.
    expect(report.restate.peakPrivateRssMb["restate-server"]).toBeGreaterThan(0);
    expect(report.restate.peakPrivateRssMb["restate-server"]).toBeLessThanOrEqual(
      report.restate.peakRssMb["restate-server"]!,
    );

    const { md, files } = await writeReport(report, out);
    expect(files.map((f) => path.basename(f)).sort()).toEqual(["latest.json", "latest.md", "latest.svg"]);
    expect(JSON.parse(readFileSync(path.join(out, "latest.json"), "utf8"))).toMatchObject({ options: { orders: 12 } });
    expect(md).toContain("| orders/s at C=4 |");
    expect(md).toMatch(/\| restate-server \| [\d.]+ ms \| — \|/);
    expect(md).toContain("| other load on the machine at C=4 ");
    expect(md).toContain("| C | orders | Restate orders/s |");
    expect(md).toMatch(/\| 3 \| 12 \| [\d.]+ \|/);
    expect(md).toContain("| centers per order |");

    // The chart: well-formed SVG with a line per path and percentile, its points labelled with C.
    const svg = readFileSync(path.join(out, "latest.svg"), "utf8");
    expect(XMLValidator.validate(svg)).toBe(true);
    const tree = new XMLParser({ preserveOrder: true, ignoreAttributes: false }).parse(svg) as Node[];
    expect(elements(tree, "svg")).toHaveLength(1);
    const lineGroups = elements(tree, "g").filter((g) => attr(g, "class")?.includes("mark-line"));
    const lines = lineGroups
      .flatMap((g) => elements(g.g, "path"))
      .filter((p) => /^M[\d.-]+,[\d.-]+L/.test(attr(p, "d") ?? ""));
    expect(lines).toHaveLength(4); // Restate and baseline, p50 and p95 (dashed)
    // p95 dashed, p50 solid (vega writes a solid stroke as "1,0").
    const dashed = (p: Node) => !["1,0", undefined].includes(attr(p, "stroke-dasharray"));
    const p95 = (p: Node) => (attr(p, "aria-label") ?? "").includes("percentile: p95");
    expect(lines.map((p) => [p95(p), dashed(p)]).sort()).toEqual([
      [false, false],
      [false, false],
      [true, true],
      [true, true],
    ]);
    const texts = elements(tree, "text").map(textOf);
    expect(texts).toEqual(
      expect.arrayContaining(["C=1", "C=3", "C=4", "Restate (durable)", "baseline (inline, no durability)"]),
    );
  }, 300_000);

  // `npm run bench:timeline`: the phases of one order, read from restate-server's journal. They
  // follow each other, so they add up to the whole; a step found in the wrong place would show as
  // a negative phase or a sum that does not match.
  it("reads each order's phases from the journal, in order, adding up to the whole", async () => {
    const { phases, stepPhases } = await measureTimeline({
      orders: 3,
      warmUp: { orders: 2, concurrency: 2 },
      postgres: parseEnv().DATABASE_URL,
    });
    expect(phases.map((p) => p.phase)).toContain("2 × (update inventory <c> ‖ send to <c>) → next phase");
    for (const p of phases)
      expect({ phase: p.phase, nonNegative: p.meanMs >= 0 }).toEqual({ phase: p.phase, nonNegative: true });
    const total = phases.find((p) => p.phase.startsWith("total"))!;
    const sequence = phases.slice(0, phases.indexOf(total));
    expect(sequence).toHaveLength(stepPhases + 4);
    expect(sequence.filter((p) => p.steps)).toHaveLength(stepPhases);
    expect(sequence.reduce((sum, p) => sum + p.meanMs, 0)).toBeCloseTo(total.meanMs, 6);
    expect(total.meanMs).toBeGreaterThan(0);
  }, 120_000);
});
