// Two tiers of named projects (`vitest run --project NAME`):
//   npm test       unit, workflow, integration, security, upgrade — the inner loop, minutes;
//   npm run test:slow  crash, cluster, browser, bench — hundreds of orders, a 3-node cluster,
//                      a real Chromium, the benchmark with a dozen orders.
// The projects of a tier run one after another (groupOrder); inside one, the files that start a
// restate-server run one at a time: two at once on these 2-core machines only slow each other down.
import { defineConfig } from "vitest/config";

const project = (name: string, groupOrder: number, options: { parallel?: boolean; include?: string[] } = {}) => ({
  extends: true as const,
  test: {
    name,
    include: options.include ?? [`test/${name}/**/*.test.ts`],
    fileParallelism: options.parallel ?? false,
    sequence: { groupOrder },
  },
});

export default defineConfig({
  test: {
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? "error" },
    projects: [
      // No restate-server: pure functions and the stand-ins, two files at a time.
      project("unit", 0, { parallel: true }),
      // Fake ports on a real restate-server.
      project("workflow", 1),
      // The whole stack in one process: each door (checkout, webhook, admin API, Slack, console) reaching the workflow.
      project("integration", 2),
      project("security", 3),
      // A new version deployed beside the running one while orders wait; the replay check.
      project("upgrade", 4),
      // The slow tier.
      project("crash", 5),
      project("cluster", 6),
      project("browser", 7),
      project("bench", 8),
    ],
  },
});
