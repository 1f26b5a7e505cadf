// The service endpoint for bench/journal-cost.ts: one workflow whose run does only journal work
// (ctx.run steps, in sequence or all at once, and state writes), so the cost of Restate itself is
// measured without any adapter. ENDPOINT_PORT: where to listen.
import * as restate from "@restatedev/restate-sdk";
import { createLogger } from "../src/log.ts";
import { startServiceEndpoint } from "../src/runtime/endpoint.ts";

/** Steps in sequence, then steps all at once, then state writes; each step takes `stepMs`. */
export type Shape = { sequential: number; parallel: number; sets: number; stepMs?: number; bytes?: number };

const work = async (i: number, ms = 0, bytes = 0) => {
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  return bytes > 0 ? { i, data: "x".repeat(bytes) } : i;
};

const probe = restate.workflow({
  name: "Probe",
  handlers: {
    run: async (ctx: restate.WorkflowContext, shape: Shape) => {
      for (let i = 0; i < shape.sequential; i++) await ctx.run(`step ${i}`, () => work(i, shape.stepMs, shape.bytes));
      if (shape.parallel > 0) {
        await restate.RestatePromise.all(
          Array.from({ length: shape.parallel }, (_, i) =>
            ctx.run(`parallel ${i}`, () => work(i, shape.stepMs, shape.bytes)),
          ),
        );
      }
      for (let i = 0; i < shape.sets; i++)
        ctx.set("view", { step: i, padding: "x".repeat(shape.bytes ? shape.bytes * 2 : 400) });
      return "done";
    },
  },
});

await startServiceEndpoint([probe], {
  port: Number(process.env.ENDPOINT_PORT),
  log: createLogger({ level: "warn", bindings: {} }),
  identityKeys: process.env.IDENTITY_KEY ? [process.env.IDENTITY_KEY] : [],
});
