// The throughput–latency picture of the concurrency sweep: x orders/s, y latency (p50 solid, p95
// dashed), one colour per path, points labelled with their concurrency. A Vega-Lite spec compiled
// to Vega and rendered to SVG headless (renderer "none": no browser, no canvas).
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { BenchReport } from "./bench.ts";

export const PATH_LABELS = { restate: "Restate (durable)", baseline: "baseline (inline, no durability)" } as const;

/** Sweep points of both paths, with the main N-at-C phase added where the sweep lacks its C. */
export function sweepPoints(r: BenchReport) {
  return (["restate", "baseline"] as const).flatMap((key) => {
    const path = r[key];
    const points = path.sweep.map((p) => ({
      concurrency: p.concurrency,
      ordersPerSecond: p.ordersPerSecond,
      latencyMs: p.latencyMs,
    }));
    if (!points.some((p) => p.concurrency === r.options.concurrency)) {
      points.push({
        concurrency: r.options.concurrency,
        ordersPerSecond: path.ordersPerSecond,
        latencyMs: path.latencyMs,
      });
    }
    return points.sort((a, b) => a.concurrency - b.concurrency).map((p) => ({ path: PATH_LABELS[key], ...p }));
  });
}

export function chartSpec(r: BenchReport): TopLevelSpec {
  const values = sweepPoints(r).map((p) => ({
    path: p.path,
    C: p.concurrency,
    label: `C=${p.concurrency}`,
    ordersPerSecond: p.ordersPerSecond,
    p50: p.latencyMs.p50,
    p95: p.latencyMs.p95,
  }));
  const x = {
    field: "ordersPerSecond",
    type: "quantitative",
    title: "throughput (orders/s)",
    scale: { zero: true },
  } as const;
  const y = {
    field: "latencyMs",
    type: "quantitative",
    title: "latency (ms, log scale)",
    scale: { type: "log" },
  } as const;
  const color = { field: "path", type: "nominal", title: null, legend: { orient: "right", labelLimit: 400 } } as const;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: `postpay: throughput vs latency, ${r.options.centersPerOrder}-center orders, concurrency C = ${values
        .filter((v) => v.path === PATH_LABELS.restate)
        .map((v) => v.C)
        .join(", ")}`,
      subtitle: `${r.database}; ${r.machine.cpus} cores shared by every process; latency from webhook delivery to order completed`,
    },
    width: 640,
    height: 380,
    background: "white",
    data: { values },
    transform: [{ fold: ["p50", "p95"], as: ["percentile", "latencyMs"] }],
    layer: [
      {
        mark: { type: "line", point: { filled: true, size: 50 }, strokeWidth: 2 },
        encoding: {
          x,
          y,
          color,
          strokeDash: {
            field: "percentile",
            type: "nominal",
            title: "latency",
            sort: ["p50", "p95"],
            legend: {
              orient: "right",
              symbolType: "stroke",
              symbolStrokeWidth: 2,
              symbolSize: 300,
              encode: { symbols: { update: { stroke: { value: "#444" } } } },
            },
          },
          order: { field: "C", type: "quantitative" },
          tooltip: [
            { field: "path" },
            { field: "label" },
            { field: "percentile" },
            { field: "latencyMs", type: "quantitative" },
          ],
        },
      },
      {
        // C beside each p50 point.
        transform: [{ filter: "datum.percentile === 'p50'" }],
        mark: { type: "text", align: "left", dx: 6, dy: -8, fontSize: 11 },
        encoding: { x, y, color, text: { field: "label" } },
      },
    ],
  } as TopLevelSpec;
}

/** The chart as an SVG document. */
export async function chartSvg(r: BenchReport): Promise<string> {
  const view = new vega.View(vega.parse(compile(chartSpec(r)).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
