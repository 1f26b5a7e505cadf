// Where one order's time goes on the durable path: places orders one at a time through the real
// path (checkout, paid in the Stripe emulator, signed webhook, workflow output), then reads each
// run's journal from restate-server's SQL introspection (sys_invocation, sys_journal: when each
// entry was appended, to the millisecond) and prints the median and mean of each phase. A step's command is
// appended when the endpoint starts it, its notification when restate-server has made its result
// durable (a log append with fsync), so the gaps between phases are Restate's own waits.
// Usage: npm run bench:timeline   (BENCH_TIMELINE_ORDERS, default 60, after a warm-up of 300 orders
// at C=10 so that the processes' code is compiled as in the benchmark; DATABASE_URL: a PostgreSQL
// server for a scratch database, PGlite without)
import { fileURLToPath } from "node:url";
import { Agent, request } from "undici";
import { z } from "zod";
import { CHILD_SECRETS, startHarness } from "../dev/harness.ts";
import { parseEnv } from "../src/config.ts";

const CENTERS = [1, 2].map((i) => ({ id: `fc-${i}`, name: `Center ${i}`, leadTimeDays: i }));
const PRODUCTS = CENTERS.map((c, i) => ({
  id: `p-${i + 1}`,
  name: `Product ${i + 1}`,
  priceCents: 1000,
  currency: "usd",
  fulfillmentCenterId: c.id,
  stock: 1_000_000,
}));

export type TimelineOptions = {
  orders: number;
  warmUp: { orders: number; concurrency: number };
  /** A PostgreSQL server for a scratch database; PGlite without one. */
  postgres?: string;
  progress?: (line: string) => void;
};
export type Phase = { phase: string; medianMs: number; meanMs: number };

export async function measureTimeline(options: TimelineOptions): Promise<Phase[]> {
  const progress = options.progress ?? (() => {});
  const h = await startHarness({
    label: "timeline",
    centers: CENTERS,
    products: PRODUCTS,
    postgres: options.postgres,
    app: options.postgres ? "two-processes" : "one-process",
    progress,
  });
  try {
    const dispatcher = new Agent({ keepAliveTimeout: 30_000 });
    const query = async <T>(sql: string): Promise<T[]> => {
      const res = await request(`${h.restate.adminUrl}/query`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ query: sql }),
        dispatcher,
      });
      const body = (await res.body.json()) as { rows?: T[]; message?: string };
      if (res.statusCode !== 200 || !body.rows) throw new Error(`query ${res.statusCode}: ${body.message ?? ""}`);
      return body.rows;
    };

    /** One order, timed by the wall clock that restate-server's timestamps use. */
    const placeOrder = async () => {
      const res = await fetch(`${h.url}/checkout`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${CHILD_SECRETS.SHOP_API_KEY}` },
        body: JSON.stringify({
          customerId: "cus_timeline",
          email: "timeline@example.com",
          items: PRODUCTS.map((p) => ({ productId: p.id, quantity: 1 })),
        }),
      });
      if (res.status !== 201) throw new Error(`checkout ${res.status}: ${await res.text()}`);
      const { paymentSessionId, stripeCheckoutSessionId } = (await res.json()) as {
        paymentSessionId: string;
        stripeCheckoutSessionId: string;
      };
      const webhookAt = Date.now();
      const delivery = await h.stripe.complete(stripeCheckoutSessionId);
      if (delivery.status !== 200) throw new Error(`webhook ${delivery.status}: ${delivery.body}`);
      const answeredAt = Date.now();
      const attached = await request(
        `${h.restate.ingressUrl}/restate/workflow/OrderWorkflow/${encodeURIComponent(paymentSessionId)}/attach`,
        { dispatcher },
      );
      const output = await attached.body.text();
      if (attached.statusCode !== 200 || !output.includes('"completed"'))
        throw new Error(`attach ${attached.statusCode}: ${output}`);
      return { orderId: paymentSessionId, webhookAt, answeredAt, doneAt: Date.now() };
    };

    let warmed = 0;
    await Promise.all(
      Array.from({ length: options.warmUp.concurrency }, async () => {
        while (warmed++ < options.warmUp.orders) await placeOrder();
      }),
    );
    progress(`warm-up: ${options.warmUp.orders} orders at C=${options.warmUp.concurrency}`);
    const placed = [];
    for (let i = 0; i < options.orders; i++) {
      placed.push(await placeOrder());
      if (i % 10 === 9) progress(`${i + 1}/${options.orders} orders placed one at a time`);
    }

    type Entry = { index: number; entry_type: string; name: string | null; appended_at: string };
    const phases = new Map<string, number[]>();
    const note = (phase: string, ms: number) => phases.set(phase, [...(phases.get(phase) ?? []), ms]);
    for (const order of placed) {
      const [run] = await query<{ id: string; created_at: string; completed_at: string }>(
        `SELECT id, created_at, completed_at FROM sys_invocation WHERE target_service_key = '${order.orderId}' AND target_handler_name = 'run'`,
      );
      if (!run) throw new Error(`no run for ${order.orderId}`);
      const journal = await query<Entry>(
        `SELECT index, entry_type, name, appended_at FROM sys_journal WHERE id = '${run.id}' ORDER BY index`,
      );
      const at = (e: Entry | undefined) => {
        if (!e)
          throw new Error(
            `the journal of ${order.orderId} is not a two-center order's: ${journal.map((j) => j.entry_type).join(", ")}`,
          );
        return Date.parse(e.appended_at);
      };
      const command = (name: string) => journal.find((e) => e.entry_type === "Command: Run" && e.name === name);
      const lastNotificationBefore = (e: Entry | undefined) =>
        e && journal.filter((j) => j.index < e.index && j.entry_type === "Notification: Run").at(-1);
      const created = Date.parse(run.created_at);
      const fanOut = command("update inventory fc-1");
      const pair = command("email confirmation");
      const output = journal.find((e) => e.entry_type === "Command: Output");
      const loaded = lastNotificationBefore(fanOut);
      const shipped = lastNotificationBefore(pair);
      const told = lastNotificationBefore(output);
      note("webhook delivered → run created (app: signature, session read, submit)", created - order.webhookAt);
      note(
        "run created → first step started (restate-server → endpoint)",
        at(command("load payment session")) - created,
      );
      note("load ‖ verify (until durable)", at(loaded) - at(command("load payment session")));
      note("wait: acknowledgement → fan-out starts", at(fanOut) - at(loaded));
      note("fan-out: 2 × (stock ‖ center) (until durable)", at(shipped) - at(fanOut));
      note("wait: acknowledgement → email ‖ history starts", at(pair) - at(shipped));
      note("email ‖ history (until durable)", at(told) - at(pair));
      note("final status write, view, output", at(output) - at(told));
      note("output → run completed", Date.parse(run.completed_at) - at(output));
      note("run completed → the driver's attach returns", order.doneAt - Date.parse(run.completed_at));
      note("total: webhook delivered → done", order.doneAt - order.webhookAt);
      note("(beside it) webhook delivered → webhook's 200", order.answeredAt - order.webhookAt);
    }
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
    };
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return [...phases].map(([phase, xs]) => ({ phase, medianMs: median(xs), meanMs: mean(xs) }));
  } finally {
    await h.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const orders = z.coerce.number().int().positive().default(60).parse(process.env.BENCH_TIMELINE_ORDERS);
  const phases = await measureTimeline({
    orders,
    warmUp: { orders: 300, concurrency: 10 },
    postgres: parseEnv().DATABASE_URL,
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  console.log(
    `One two-center order at a time, ${orders} orders; ms (journal timestamps are whole ms, so means say more than medians):`,
  );
  console.log(`${"median".padStart(7)}${"mean".padStart(7)}  phase`);
  for (const p of phases)
    console.log(`${p.medianMs.toFixed(1).padStart(7)}${p.meanMs.toFixed(1).padStart(7)}  ${p.phase}`);
}
