// Keeps `npm run bench` working: the same code with a handful of orders. It asserts that every
// order went through and that the report has its figures, never how fast they were.
import { describe, expect, it } from "vitest";
import { parseEnv } from "../../src/config.ts";
import { runBench } from "../../bench/bench.ts";
import { markdownReport } from "../../bench/report.ts";

describe("the benchmark", () => {
  it("drives orders through Restate and the baseline and reports every figure", async () => {
    const report = await runBench({ orders: 12, concurrency: 4, oneAtATimeOrders: 3, sweepOrders: 2, fanOut: [1, 3], postgres: parseEnv().DATABASE_URL });
    expect(report.restate).toMatchObject({ orders: 12, failed: 0 });
    expect(report.baseline).toMatchObject({ orders: 12, failed: 0 });
    expect(report.restate.ordersPerSecond).toBeGreaterThan(0);
    expect(report.restate.latencyMs.p50).toBeGreaterThan(0);
    expect(Object.keys(report.restate.cpuMsPerOrder)).toEqual(expect.arrayContaining(["restate-server"]));
    expect(report.restate.peakRssMb["restate-server"]).toBeGreaterThan(0);
    expect(report.fanOut.map((f) => f.centers)).toEqual([1, 3]);
    expect(markdownReport(report)).toContain("| orders/s at C=4 |");
  }, 300_000);
});
