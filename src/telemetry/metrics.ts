// Each process's own Prometheus metrics, through prom-client: the HTTP app counts webhook
// deliveries by outcome; the service endpoint times its calls to Stripe, the centers, SMTP and
// Slack, and the workflow's steps. (The business gauges, read from the database at scrape time,
// are src/http/metrics.ts.) One registry per process, never prom-client's global one, so two
// processes in one test runner keep their own numbers.
import type { HooksProvider } from "@restatedev/restate-sdk";
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import { PermanentError } from "../domain/errors.ts";

/** Latency buckets (seconds) for calls to outside systems: most answer in ms, timeouts are 10 s. */
const CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "postpay_" });
  return registry;
}

export type WebhookOutcome = "accepted" | "refused" | "unavailable" | "failed";

export type HttpMetrics = {
  registry: Registry;
  /** A webhook delivery's answer: 2xx accepted, 503 unavailable (Restate down: the sender retries), 4xx refused. */
  webhook(source: string, status: number): void;
};

export function createHttpMetrics(): HttpMetrics {
  const registry = processRegistry();
  const deliveries = new Counter({
    name: "postpay_webhook_deliveries_total",
    help: "Webhook deliveries by sender (stripe, centers) and outcome (accepted, refused, unavailable = 503, failed).",
    labelNames: ["source", "outcome"] as const,
    registers: [registry],
  });
  for (const source of ["stripe", "centers"])
    for (const outcome of ["accepted", "refused", "unavailable", "failed"]) deliveries.inc({ source, outcome }, 0);
  return {
    registry,
    webhook(source, status) {
      const outcome: WebhookOutcome =
        status < 300 ? "accepted" : status === 503 ? "unavailable" : status < 500 ? "refused" : "failed";
      deliveries.labels(source, outcome).inc();
    },
  };
}

export type CallTarget = "stripe" | "center" | "smtp" | "slack";

export type ServiceMetrics = {
  registry: Registry;
  /** Wraps every method of an adapter: each call is counted and timed under `target`. */
  measure<T extends object>(target: CallTarget, adapter: T): T;
  /** The Restate SDK hook that times every executed step (ctx.run) by name. */
  stepHooks: HooksProvider;
};

export function createServiceMetrics(): ServiceMetrics {
  const registry = processRegistry();
  const calls = new Histogram({
    name: "postpay_outbound_call_duration_seconds",
    help: "Calls to Stripe, the fulfillment centers, SMTP and Slack by outcome (ok; rejected: a 4xx or bad data, not retried; failed: retried), with their latency.",
    labelNames: ["target", "outcome"] as const,
    buckets: CALL_BUCKETS,
    registers: [registry],
  });
  const steps = new Histogram({
    name: "postpay_step_duration_seconds",
    help: "Executed workflow steps (ctx.run, retries inside a step included; replayed steps are not run and not counted) by service, step and outcome.",
    labelNames: ["service", "step", "outcome"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });

  const timed = async <R>(target: CallTarget, call: () => Promise<R>): Promise<R> => {
    const stop = calls.startTimer({ target });
    try {
      const result = await call();
      stop({ outcome: "ok" });
      return result;
    } catch (err) {
      stop({ outcome: err instanceof PermanentError ? "rejected" : "failed" });
      throw err;
    }
  };

  return {
    registry,
    measure: (target, adapter) =>
      new Proxy(adapter, {
        get(obj, key, receiver) {
          const value = Reflect.get(obj, key, receiver);
          return typeof value === "function"
            ? (...args: unknown[]) => timed(target, () => value.apply(obj, args))
            : value;
        },
      }),
    stepHooks: (ctx) => {
      const service = String(ctx.request.target).split("/")[0] ?? "";
      return {
        interceptor: {
          run: async (step, next) => {
            if (!step) return next(); // ctx.date.now() and the like: journaled, but no step
            const stop = steps.startTimer({ service, step });
            try {
              await next();
              stop({ outcome: "ok" });
            } catch (err) {
              stop({ outcome: "failed" });
              throw err;
            }
          },
        },
      };
    },
  };
}
