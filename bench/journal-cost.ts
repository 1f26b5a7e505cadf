// What Restate itself costs per invocation and per journal entry, on this machine: runs a workflow
// that does nothing but journal work (bench/journal-cost-endpoint.ts) in several shapes, each
// submitted and attached to as the order bench does, and prints CPU per invocation of
// restate-server and of the SDK's process. A least-squares line over the shapes gives the fixed
// cost of an invocation and the cost of one more entry.
// Usage: npm run bench:journal [-- invocations]   (default 600; JOURNAL_COST_CONCURRENCY, default 50)
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as clients from "@restatedev/restate-sdk-clients";
import { nodeProcess } from "../dev/node-process.ts";
import { generateIdentityKeyPair, PRIVATE_KEY_ENV, writePrivateKey } from "../src/runtime/request-identity.ts";
import { freePort, startRestateServer } from "../dev/restate-server.ts";
import { registerDeployment } from "../src/adapters/restate-admin.ts";
import type { Shape } from "./journal-cost-endpoint.ts";
import { cpuMs } from "./metrics.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const invocations = Number(process.argv[2] ?? 600);
const concurrency = Number(process.env.JOURNAL_COST_CONCURRENCY ?? 50);
const SHAPES: (Shape & { label: string })[] = [
  { label: "empty run", sequential: 0, parallel: 0, sets: 0 },
  { label: "4 steps in sequence", sequential: 4, parallel: 0, sets: 0 },
  { label: "8 steps in sequence", sequential: 8, parallel: 0, sets: 0 },
  { label: "8 steps at once", sequential: 0, parallel: 8, sets: 0 },
  { label: "4 state writes", sequential: 0, parallel: 0, sets: 4 },
  { label: "order-like: 2 + 4 + 2 steps, 3 state writes", sequential: 2, parallel: 4, sets: 3 },
  { label: "the same, each step taking 3 ms", sequential: 2, parallel: 4, sets: 3, stepMs: 3 },
  { label: "8 steps in sequence, each taking 3 ms", sequential: 8, parallel: 0, sets: 0, stepMs: 3 },
  {
    label: "order-like, 3 ms steps, 1 KB per step and 2 KB per state write",
    sequential: 2,
    parallel: 4,
    sets: 3,
    stepMs: 3,
    bytes: 1024,
  },
];

const dir = mkdtempSync(path.join(tmpdir(), "postpay-journal-cost-"));
// Signed requests, as deployed (RESTATE_IDENTITY_KEYS): restate-server signs each request, the SDK verifies it.
const identity = generateIdentityKeyPair();
const server = await startRestateServer({
  baseDir: path.join(dir, "restate"),
  configFile: path.join(root, "restate.toml"),
  logFile: path.join(dir, "restate.log"),
  env: { [PRIVATE_KEY_ENV]: writePrivateKey(path.join(dir, "keys"), identity) },
});
const port = await freePort();
const endpoint = nodeProcess({
  name: "endpoint",
  script: "bench/journal-cost-endpoint.ts",
  env: { ENDPOINT_PORT: String(port), ...(process.env.UNSIGNED ? {} : { IDENTITY_KEY: identity.publicKey }) },
  logFile: path.join(dir, "endpoint.log"),
  ready: () =>
    new Promise<boolean>((resolve) =>
      net
        .connect(port, "127.0.0.1")
        .on("connect", function (this: net.Socket) {
          this.destroy();
          resolve(true);
        })
        .on("error", () => resolve(false)),
    ),
});
try {
  await endpoint.start();
  await registerDeployment(server.adminUrl, `http://127.0.0.1:${port}`);
  const ingress = clients.connect({ url: server.ingressUrl });
  let seq = 0;
  const invoke = async (shape: Shape) => {
    const wf = ingress.workflowClient<{ run: (ctx: unknown, s: Shape) => Promise<string> }>(
      { name: "Probe" },
      `p${++seq}`,
    );
    await wf.workflowSubmit(shape);
    await wf.workflowAttach();
  };
  const drive = async (shape: Shape, n: number) => {
    let started = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (started++ < n) await invoke(shape);
      }),
    );
  };
  await drive(SHAPES[5]!, 200); // warm-up
  const rows: { label: string; entries: number; restate: number; sdk: number; perSecond: number }[] = [];
  for (const shape of SHAPES) {
    process.stderr.write(`${shape.label}: ${invocations} invocations\n`);
    const before = { restate: cpuMs(server.child.pid!), sdk: cpuMs(endpoint.pid!), t: performance.now() };
    await drive(shape, invocations);
    const seconds = (performance.now() - before.t) / 1000;
    rows.push({
      label: shape.label,
      entries: shape.sequential + shape.parallel + shape.sets,
      restate: (cpuMs(server.child.pid!) - before.restate) / invocations,
      sdk: (cpuMs(endpoint.pid!) - before.sdk) / invocations,
      perSecond: invocations / seconds,
    });
  }
  const fitCost = (key: "restate" | "sdk") => {
    const xs = rows.map((r) => r.entries),
      ys = rows.map((r) => r[key]);
    const mx = xs.reduce((a, b) => a + b) / xs.length,
      my = ys.reduce((a, b) => a + b) / ys.length;
    const slope = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
    return { perInvocation: my - slope * mx, perEntry: slope };
  };
  const f = (n: number) => n.toFixed(2);
  console.log(
    `\n${invocations} invocations per shape at C=${concurrency}, each submitted and attached to; CPU ms per invocation\n`,
  );
  console.log("| shape | journal entries (besides input/output) | restate-server | SDK process | invocations/s |");
  console.log("|---|---|---|---|---|");
  for (const r of rows)
    console.log(`| ${r.label} | ${r.entries} | ${f(r.restate)} | ${f(r.sdk)} | ${r.perSecond.toFixed(0)} |`);
  const rs = fitCost("restate");
  const sdk = fitCost("sdk");
  console.log(
    `\nfitted: restate-server ${f(rs.perInvocation)} ms per invocation + ${f(rs.perEntry)} ms per entry; SDK process ${f(sdk.perInvocation)} ms + ${f(sdk.perEntry)} ms per entry`,
  );
} finally {
  await endpoint.stop();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
