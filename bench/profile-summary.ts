// Summarizes V8 .cpuprofile files: self time by package (or file), the biggest first.
// Usage: node bench/profile-summary.ts DIR
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

type Node = { id: number; callFrame: { functionName: string; url: string }; hitCount?: number };
const dir = process.argv[2] ?? ".";
for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
  const profile = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as {
    nodes: Node[];
    samples: number[];
    startTime: number;
    endTime: number;
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (const id of profile.samples) {
    const url = byId.get(id)?.callFrame.url ?? "";
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    const key = m
      ? m[1]!
      : url
        ? url.startsWith("node:")
          ? url
          : path.relative(process.cwd(), url.replace("file://", ""))
        : `(${byId.get(id)?.callFrame.functionName || "native"})`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = profile.samples.length;
  console.log(`\n${file}: ${total} samples over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s`);
  for (const [k, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 18))
    console.log(`  ${((100 * n) / total).toFixed(1).padStart(5)}%  ${k}`);
}
