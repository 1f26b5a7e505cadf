// METRICS_PORT with several worker processes: each worker hands its registry to the primary, which
// serves their sum, so a scrape never sees one worker's numbers only. Real processes (node:cluster).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { until } from "../support/wait.ts";

describe("metrics with worker processes", () => {
  it("the primary serves the sum of its workers' metrics; no worker serves its own", async () => {
    const child = spawn(process.execPath, ["test/support/cluster-metrics-child.ts"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const lines: Record<string, unknown>[] = [];
      createInterface({ input: child.stdout! }).on("line", (text) => lines.push(JSON.parse(text)));
      await until(() => lines.filter((l) => "worker" in l).length === 2 && lines.some((l) => "url" in l), {
        timeoutMs: 30_000,
        what: "the primary's URL and two workers",
      });
      expect(lines.filter((l) => l.servedItself)).toEqual([]);
      const url = String(lines.find((l) => "url" in l)!.url);
      const text = await (await fetch(url)).text();
      expect(text).toMatch(/^postpay_test_calls_total 2$/m);
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });
});
