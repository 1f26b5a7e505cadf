// The order workflow's business rules as specifications: OrderWorkflow runs on a real
// restate-server and a real HTTP/2 endpoint, but its outside world is in-memory fake ports
// (test/support/fake-ports.ts). Tests drive it only through Restate's ingress (submit, attach and
// the shared handlers status, paymentEvent and resolve) and read what it did from the ports.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as clients from "@restatedev/restate-sdk-clients";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServices } from "../../services/index.ts";
import type { OrderWorkflow } from "../../services/order-workflow.ts";
import type { Decision } from "../../src/domain/decision.ts";
import type { PaymentEvent } from "../../src/domain/stripe-events.ts";
import { OutOfStockError, PermanentError } from "../../src/domain/errors.ts";
import { addDays, type OrderStart } from "../../src/domain/order.ts";
import { createLogger } from "../../src/log.ts";
import { startServiceEndpoint, type ServiceEndpoint } from "../../src/runtime/endpoint.ts";
import { startRestateServer, type RestateServer } from "../../dev/restate-server.ts";
import { registerDeployment } from "../../src/adapters/restate-admin.ts";
import { CENTERS, constraintViolation, databaseDown, FakePorts, item, SHIP_TO } from "../support/fake-ports.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
// A step waits for an unreachable database 1 s inside its ctx.run, then hands the wait to Restate.
const STEPS = { maxAttempts: 3, initialRetryMs: 20, maxRetryMs: 100, outageWaitMs: 1_000 };
const WAIT = { timeout: 20_000, interval: 20 };

const fake = new FakePorts();
let baseDir: string;
let server: RestateServer | undefined;
let endpoint: ServiceEndpoint | undefined;
let ingress: clients.Ingress;

beforeAll(async () => {
  baseDir = mkdtempSync(path.join(tmpdir(), "postpay-wf-"));
  server = await startRestateServer({
    baseDir,
    configFile: path.join(root, "restate.toml"),
    env: { RESTATE_DEFAULT_RETRY_POLICY__MAX_INTERVAL: "1s" },
  });
  const services = createServices(fake, {
    steps: STEPS,
    escalation: { remindAfterMs: 3_600_000 },
    alerts: { minIntervalMs: 50, maxBackoffMs: 500 },
    shipments: { deadlineMs: 3_600_000 },
    stuckOrders: { stuckAfterMs: 3_600_000, sweepEveryMs: 60_000 },
  });
  endpoint = await startServiceEndpoint(services, {
    log: createLogger({ level: "error", bindings: { test: "workflow" } }),
  });
  await registerDeployment(server.adminUrl, endpoint.url);
  ingress = clients.connect({ url: server.ingressUrl });
});

afterAll(async () => {
  await settleWaitingOrders().catch(() => undefined);
  await endpoint?.close();
  await server?.stop();
  if (baseDir) rmSync(baseDir, { recursive: true, force: true });
});

// ---- driving the workflow through the ingress ------------------------------------------------

const wf = (id: string) => ingress.workflowClient({ name: "OrderWorkflow" } as OrderWorkflow, id);
const timeout = <I, O>() => clients.rpc.opts<I, O>({ signal: AbortSignal.timeout(30_000) });

const submitted: string[] = [];

/** Starts the order's run as the webhook does (with its hint), or with another input. */
async function submit(id: string, start: OrderStart = fake.startHint(id)) {
  submitted.push(id);
  const submission = await wf(id).workflowSubmit(start);
  expect(submission.status).toBe("Accepted");
}

/** The invocation's journal as restate-server's SQL introspection shows it. */
async function journal(invocationId: string): Promise<{ index: number; entry_type: string; name: string | null }[]> {
  const res = await fetch(`${server!.adminUrl}/query`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({
      query: `SELECT index, entry_type, name FROM sys_journal WHERE id = '${invocationId}' ORDER BY index`,
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { rows: { index: number; entry_type: string; name: string | null }[] }).rows;
}

/** The failure restate-server last retried the invocation after (null when it never failed). */
async function lastFailure(invocationId: string): Promise<string | null> {
  const res = await fetch(`${server!.adminUrl}/query`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query: `SELECT last_failure FROM sys_invocation WHERE id = '${invocationId}'` }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { rows: { last_failure: string | null }[] }).rows[0]?.last_failure ?? null;
}

/**
 * Waits for the workflow's output (its final result). An incident opened meanwhile fails at once
 * with its step and error, instead of waiting for an operator who never comes.
 */
async function outcome(id: string) {
  const known = fake.incidents(id).length;
  let timer: NodeJS.Timeout | undefined;
  const escalated = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const fresh = fake.incidents(id)[known];
      if (fresh) reject(new Error(`order ${id} went to an operator: "${fresh.step}" failed: ${fresh.error}`));
    }, 20);
  });
  try {
    return await Promise.race([wf(id).workflowAttach(timeout()), escalated]);
  } finally {
    clearInterval(timer);
  }
}
const view = (id: string) => wf(id).status(timeout());

/** Polls the status handler until the order shows `status`; returns that view. */
async function viewWhen(id: string, status: string) {
  await expect.poll(async () => (await view(id))?.status, WAIT).toBe(status);
  return (await view(id))!;
}

/** Waits until the order has `count` incidents and shows the last one as open; returns it. */
async function openIncident(id: string, count = 1) {
  await expect.poll(() => fake.incidents(id).length, WAIT).toBe(count);
  const incident = fake.incidents(id)[count - 1]!;
  const waiting = await viewWhen(id, "needs_attention");
  expect(waiting.incident).toMatchObject({ id: incident.id, step: incident.step, error: incident.error });
  return incident;
}

/** The HTTP status Restate answers a call with (200 when it succeeds). */
async function httpStatus(call: PromiseLike<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    if (err instanceof clients.HttpCallError) return err.status;
    throw err;
  }
}

/** An operator's decision as the HTTP app passes it on: recorded first, then the order is told. */
const decide = (id: string, decision: Decision) => {
  fake.recordDecision(id, decision);
  return wf(id).resolve(decision, timeout());
};
/** A verified Stripe event as the HTTP app passes it on: recorded first, then the order is told. */
const paymentEvent = (id: string, event: PaymentEvent) => {
  fake.recordPaymentEvent(id, event);
  return wf(id).paymentEvent(event, timeout());
};

/** An order of two centers whose fc-north shipment is rejected once; waits for the incident. */
async function orderStuckAtNorth(name: string, failures = 1) {
  const order = fake.seed({ name, items: [item("sku-mug", "fc-east"), item("sku-cap", "fc-north")] });
  fake.fail(order.id, "sendToCenter", {
    target: "fc-north",
    error: () => new PermanentError("422 address not serviceable"),
    times: failures,
  });
  await submit(order.id);
  const incident = await openIncident(order.id);
  return { order, incident };
}

/** Ends the orders a test left waiting, so closing the endpoint interrupts no invocation. */
async function settleWaitingOrders() {
  for (const id of submitted) {
    const status = (await view(id))?.status;
    if (status === "needs_attention") await decide(id, { action: "abandon", note: "test file done" });
    else if (status === "awaiting_payment") await paymentEvent(id, { outcome: "failed", eventId: `evt_settle_${id}` });
    else continue;
    await outcome(id);
  }
}

// ---- specifications ---------------------------------------------------------------------------

describe("a paid order", () => {
  it("groups items by fulfillment center and sends each center only its items", async () => {
    const order = fake.seed({
      name: "grouping",
      // Lead times point elsewhere: the promised date must come from what the centers answered.
      centers: CENTERS.map((c) => ({ ...c, leadTimeDays: { "fc-east": 1, "fc-north": 9, "fc-west": 5 }[c.id]! })),
      arrivals: { "fc-east": "2031-03-09", "fc-north": "2031-03-05", "fc-west": "2031-03-07" },
    });
    await submit(order.id);
    const result = await outcome(order.id);

    expect(result).toMatchObject({ orderId: order.id, status: "completed", estimatedArrival: "2031-03-09" });
    // One request per center, carrying exactly that center's items; stock taken the same way.
    const perCenter = { "fc-east": [["sku-mug", "sku-pen"]], "fc-north": [["sku-cap"]], "fc-west": [["sku-tee"]] };
    expect(fake.requests(order.id, "sendToCenter")).toEqual(perCenter);
    expect(fake.requests(order.id, "takeStock")).toEqual(perCenter);
    expect(fake.stockTaken(order.id)).toEqual({ "sku-mug": 2, "sku-pen": 3, "sku-cap": 1, "sku-tee": 1 });

    const emails = fake.emails(order.id);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ kind: "confirmation", to: order.email });
    expect(`${emails[0]!.subject}\n${emails[0]!.body}`).toContain(order.id);
    expect(emails[0]!.body).toContain("2031-03-09");

    expect(fake.succeeded(order.id, "recordHistory")).toHaveLength(1);
    expect(fake.history(order.id)).toMatchObject({ estimatedArrival: "2031-03-09" });
    expect(
      fake
        .history(order.id)!
        .shipments.map((s) => [s.centerId, s.estimatedArrival])
        .sort(),
    ).toEqual([
      ["fc-east", "2031-03-09"],
      ["fc-north", "2031-03-05"],
      ["fc-west", "2031-03-07"],
    ]);
    expect(fake.calls(order.id, "openIncident")).toHaveLength(0);
    const done = await view(order.id);
    expect(done).toMatchObject({ status: "completed", estimatedArrival: "2031-03-09" });
    expect(done?.incident ?? null).toBeNull();
    expect(fake.row(order.id)?.status).toBe("completed");
  });

  it("updates inventory and sends to every center concurrently", async () => {
    const order = fake.seed({ name: "fan-out" });
    // Six calls (3 centers x stock + send) that only go on once all six have started: steps run
    // one after another would never get there and escalate when the barrier gives up.
    const barrier = fake.barrier(order.id, { ports: ["takeStock", "sendToCenter"], parties: 6, timeoutMs: 10_000 });
    await submit(order.id);

    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(barrier.released()).toBe(true);
    const steps = [...fake.calls(order.id, "takeStock"), ...fake.calls(order.id, "sendToCenter")];
    expect(steps).toHaveLength(6);
    // Every step started before any of them finished.
    const lastStart = Math.max(...steps.map((c) => c.at));
    expect(steps.every((c) => c.endedAt! >= lastStart)).toBe(true);
  });

  it("journals what one order costs and nothing more: load ‖ verify, a view, the hand-off gate, the fan-out, the shipment watch, email ‖ history, a view", async () => {
    const order = fake.seed({ name: "journal" }); // 4 items over 3 centers
    const submission = await wf(order.id).workflowSubmit(fake.startHint(order.id));
    submitted.push(order.id);
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    const entries = await journal(submission.invocationId);
    const runs = entries.filter((e) => e.entry_type === "Command: Run").map((e) => e.name);
    expect(runs.slice(0, 2).sort()).toEqual(["load payment session", "verify payment"]);
    // One bookkeeping transaction before any stock or center: Stripe's refunds, reviews and fraud
    // warnings recorded so far decide, and the order is marked handed off (issue 19).
    expect(runs[2]).toBe("check before hand-off");
    expect(runs.slice(3, 9).sort()).toEqual(
      ["east", "north", "west"].flatMap((c) => [`send to fc-${c}`, `update inventory fc-${c}`]).sort(),
    );
    expect(runs.slice(9).sort()).toEqual(["email confirmation", "record history"]);
    // The view once the payment is settled and once at the end (the hand-off's shipments go with it).
    expect(entries.filter((e) => e.entry_type === "Command: SetState")).toHaveLength(2);
    // The one-way call, due at the shipment deadline, that looks for silent centers.
    expect(entries.filter((e) => e.entry_type === "Command: OneWayCall")).toHaveLength(1);
    // Every command: input, 11 steps, the watch, 2 view writes, output. A new entry here costs every
    // order a write to restate-server's log (bench/journal-cost.ts); add one only on purpose: the
    // 11th step is the hand-off gate.
    expect(entries.filter((e) => e.entry_type.startsWith("Command:"))).toHaveLength(16);
  });

  it("retries a step that fails transiently and completes the order", async () => {
    const order = fake.seed({ name: "transient" });
    fake.fail(order.id, "sendToCenter", { target: "fc-west", error: () => new Error("503 center busy"), times: 2 });
    await submit(order.id);

    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(fake.calls(order.id, "sendToCenter", "fc-west")).toHaveLength(3);
    expect(fake.succeeded(order.id, "sendToCenter", "fc-west")).toHaveLength(1);
    expect(fake.calls(order.id, "openIncident")).toHaveLength(0);
    expect(fake.emails(order.id).map((e) => e.kind)).toEqual(["confirmation"]);
  });

  it("one flaky center costs one retry of its own step: the steps beside it, still in flight, run once", async () => {
    const order = fake.seed({ name: "flaky-center" });
    fake.fail(order.id, "sendToCenter", { target: "fc-west", error: () => new Error("500 center hiccup") });
    for (const center of ["fc-east", "fc-north"]) fake.slow(order.id, "sendToCenter", { target: center, ms: 400 });
    fake.slow(order.id, "takeStock", { ms: 400 });
    await submit(order.id);

    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(fake.calls(order.id, "sendToCenter", "fc-west")).toHaveLength(2);
    // A failed attempt of the whole invocation would have sent these again on replay.
    for (const center of ["fc-east", "fc-north"]) expect(fake.calls(order.id, "sendToCenter", center)).toHaveLength(1);
    expect(fake.calls(order.id, "takeStock")).toHaveLength(3);
  });

  it("escalates a step whose transient failures outlast its retries, and completes after an operator retry", async () => {
    const order = fake.seed({ name: "outage" });
    fake.fail(order.id, "sendToCenter", {
      target: "fc-north",
      error: () => new Error("ECONNREFUSED"),
      times: Infinity,
    });
    await submit(order.id);

    const incident = await openIncident(order.id);
    expect(incident.step).toBe("send to fc-north");
    expect(incident.error).toContain("ECONNREFUSED");
    expect(fake.calls(order.id, "sendToCenter", "fc-north")).toHaveLength(STEPS.maxAttempts);
    expect(fake.emails(order.id)).toHaveLength(0);

    fake.clearFailures(order.id);
    await decide(order.id, { action: "retry", incidentId: incident.id });
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(fake.succeeded(order.id, "sendToCenter", "fc-north")).toHaveLength(1);
  });
});

describe("a database that cannot be reached", () => {
  it("is waited out by the step, however many tries it takes: no attempt counted, no incident", async () => {
    const order = fake.seed({ name: "db-down" });
    const tries = STEPS.maxAttempts * 4;
    fake.fail(order.id, "sendToCenter", { target: "fc-north", error: databaseDown, times: tries });
    await submit(order.id);

    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(fake.calls(order.id, "sendToCenter", "fc-north")).toHaveLength(tries + 1);
    expect(fake.calls(order.id, "openIncident")).toHaveLength(0);
    expect(fake.slackMessages().filter((m) => m.text.includes(order.id))).toHaveLength(0);
  });

  it("does not use up the step's own attempts: a center's failures still count, the database's never do", async () => {
    const order = fake.seed({ name: "db-and-center" });
    const center = { target: "fc-north", error: () => new Error("500 center hiccup") };
    fake.fail(order.id, "sendToCenter", { ...center, times: STEPS.maxAttempts - 1 });
    fake.fail(order.id, "sendToCenter", { target: "fc-north", error: databaseDown, times: STEPS.maxAttempts * 2 });
    await submit(order.id);

    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(fake.calls(order.id, "sendToCenter", "fc-north")).toHaveLength(STEPS.maxAttempts * 3);
    expect(fake.calls(order.id, "openIncident")).toHaveLength(0);
  });

  it(`longer than ${STEPS.outageWaitMs} ms hands the wait to Restate, which retries the order: still no incident, each step journaled once`, async () => {
    const order = fake.seed({
      name: "db-long-outage",
      items: [item("sku-mug", "fc-east"), item("sku-cap", "fc-north")],
    });
    fake.fail(order.id, "takeStock", { target: "fc-north", error: databaseDown, times: Infinity });
    const submission = await wf(order.id).workflowSubmit(fake.startHint(order.id));
    submitted.push(order.id);

    // Past the wait inside the ctx.run: the step gave up its attempt, and Restate retried the invocation.
    await expect
      .poll(() => lastFailure(submission.invocationId), WAIT)
      .toMatch(/"update inventory fc-north": the database did not answer/);
    expect((await view(order.id))?.status).toBe("processing");
    expect(fake.calls(order.id, "openIncident")).toHaveLength(0);
    fake.clearFailures(order.id); // the database is back

    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(fake.calls(order.id, "openIncident")).toHaveLength(0);
    expect(fake.succeeded(order.id, "takeStock", "fc-north")).toHaveLength(1);
    const runs = (await journal(submission.invocationId)).filter((e) => e.entry_type === "Command: Run");
    expect(runs.filter((e) => e.name === "update inventory fc-north")).toHaveLength(1);
  });

  it("is not what a constraint violation is: bad data from the database still escalates after the step's attempts", async () => {
    const order = fake.seed({ name: "db-bad-data", items: [item("sku-cap", "fc-north")] });
    fake.fail(order.id, "sendToCenter", { target: "fc-north", error: constraintViolation, times: Infinity });
    await submit(order.id);

    const incident = await openIncident(order.id);
    expect(incident.step).toBe("send to fc-north");
    expect(fake.calls(order.id, "sendToCenter", "fc-north")).toHaveLength(STEPS.maxAttempts);
    fake.clearFailures(order.id);
    await decide(order.id, { action: "retry", incidentId: incident.id });
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
  });
});

describe("a step that fails permanently", () => {
  it("shows an incident only once it is recorded, so a decision can never outrun it", async () => {
    const order = fake.seed({ name: "recorded-first", items: [item("sku-cap", "fc-north")] });
    fake.fail(order.id, "sendToCenter", {
      target: "fc-north",
      error: () => new PermanentError("422 address not serviceable"),
    });
    await submit(order.id);
    const waiting = await viewWhen(order.id, "needs_attention");
    expect(fake.incidents(order.id).map((i) => i.id)).toEqual([waiting.incident!.id]);
  });

  it("opens an incident, alerts Slack and the support team, and shows needs_attention with the incident", async () => {
    const { order, incident } = await orderStuckAtNorth("escalation");

    expect(incident).toMatchObject({ orderId: order.id, customerId: order.customerId, step: "send to fc-north" });
    expect(incident.error).toContain("422 address not serviceable");
    // One attempt only: a rejection is not retried.
    expect(fake.calls(order.id, "sendToCenter", "fc-north")).toHaveLength(1);
    // The other center is not held back by the rejection.
    expect(fake.succeeded(order.id, "sendToCenter", "fc-east")).toHaveLength(1);
    await expect
      .poll(
        () => fake.slackMessages().some((m) => m.text.includes(order.id) && m.text.includes("send to fc-north")),
        WAIT,
      )
      .toBe(true);
    // The support team's email: one per incident, about this one.
    await expect.poll(() => fake.succeeded(order.id, "emailSupport").map((c) => c.target), WAIT).toEqual([incident.id]);
    expect(fake.emails(order.id)).toHaveLength(0);
    expect(fake.calls(order.id, "recordHistory")).toHaveLength(0);
    expect(fake.row(order.id)?.status).toBe("needs_attention");
    expect(await wf(order.id).workflowOutput(timeout())).toMatchObject({ ready: false });
  });

  it("retry runs the failed step again and the order completes", async () => {
    const { order, incident } = await orderStuckAtNorth("retry");

    expect(await decide(order.id, { action: "retry", note: "address fixed", incidentId: incident.id })).toMatchObject({
      action: "retry",
      step: "send to fc-north",
    });
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(fake.calls(order.id, "sendToCenter", "fc-north")).toHaveLength(2);
    expect(fake.succeeded(order.id, "sendToCenter", "fc-north")).toHaveLength(1);
    expect(fake.incidents(order.id)).toEqual([
      expect.objectContaining({ decision: expect.objectContaining({ action: "retry", note: "address fixed" }) }),
    ]);
    expect(fake.emails(order.id).map((e) => e.kind)).toEqual(["confirmation"]);
    expect(fake.succeeded(order.id, "recordHistory")).toHaveLength(1);
    expect((await view(order.id))?.status).toBe("completed");
    expect(fake.row(order.id)?.status).toBe("completed");
  });

  it("an incident id draws fresh randomness per run, and every later use takes the id the record incident step journaled", async () => {
    // The old deployment's ids were `${orderId}#${n}`: an order in flight journaled its incident
    // that way. Whatever the step returned is what the wait, the decision and the view use, so such
    // an order goes on under its old id after the new code replays its journal.
    const order = fake.seed({ name: "journaled-id", items: [item("sku-cap", "fc-north")] });
    fake.answerIncidentIds(order.id, `${order.id}#1`);
    fake.fail(order.id, "sendToCenter", {
      target: "fc-north",
      error: () => new PermanentError("422 address not serviceable"),
      times: 1,
    });
    await submit(order.id);
    const incident = await openIncident(order.id);
    expect(incident.id).toBe(`${order.id}#1`);
    // A restart of the endpoint: the run is replayed from its journal before it goes on.
    const port = endpoint!.port;
    await endpoint!.close();
    endpoint = await startServiceEndpoint(
      createServices(fake, {
        steps: STEPS,
        escalation: { remindAfterMs: 3_600_000 },
        alerts: { minIntervalMs: 50, maxBackoffMs: 500 },
        shipments: { deadlineMs: 3_600_000 },
        stuckOrders: { stuckAfterMs: 3_600_000, sweepEveryMs: 60_000 },
      }),
      { port, log: createLogger({ level: "error", bindings: { test: "workflow" } }) },
    );
    expect((await viewWhen(order.id, "needs_attention")).incident?.id).toBe(`${order.id}#1`);
    expect(await decide(order.id, { action: "retry", incidentId: `${order.id}#1` })).toMatchObject({ action: "retry" });
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });

    // A fresh incident (no id answered by the database) has the run's own suffix.
    const fresh = await orderStuckAtNorth("fresh-id");
    expect(fresh.incident.id).toMatch(new RegExp(`^${fresh.order.id}#1\\.[0-9a-f]{12}$`));
  });

  it("a retry that fails again opens a second incident; a decision naming the first is refused as stale (409)", async () => {
    const { order, incident: first } = await orderStuckAtNorth("retry-again", 2);

    await decide(order.id, { action: "retry", incidentId: first.id });
    const second = await openIncident(order.id, 2);
    expect(second.id).not.toBe(first.id);
    expect(second.step).toBe("send to fc-north");
    // Slack hears of the second incident too (in its own message, or coalesced with the first).
    await expect.poll(() => fake.slackMessages().some((m) => JSON.stringify(m).includes(second.id)), WAIT).toBe(true);

    // A resent first decision names an incident that is no longer open: refused, nothing happens.
    expect(await httpStatus(decide(order.id, { action: "abandon", incidentId: first.id }))).toBe(409);
    expect((await view(order.id))?.status).toBe("needs_attention");

    await decide(order.id, { action: "retry", incidentId: second.id });
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(fake.calls(order.id, "sendToCenter", "fc-north")).toHaveLength(3);
    expect(fake.incidents(order.id).map((i) => i.decision?.action)).toEqual(["retry", "retry"]);
    expect(fake.emails(order.id)).toHaveLength(1);
  });

  it("skip records the step as fulfilled by hand and the arrival date comes from the center's lead time", async () => {
    const order = fake.seed({
      name: "skip",
      items: [item("sku-mug", "fc-east"), item("sku-cap", "fc-north")],
      centers: CENTERS.map((c) => (c.id === "fc-north" ? { ...c, leadTimeDays: 30 } : c)),
      arrivals: { "fc-east": addDays(Date.now(), 1) },
    });
    fake.fail(order.id, "sendToCenter", {
      target: "fc-north",
      error: () => new PermanentError("422 address not serviceable"),
    });
    const submittedAt = Date.now();
    await submit(order.id);
    const incident = await openIncident(order.id);

    await decide(order.id, { action: "skip", note: "shipped from the store", incidentId: incident.id });
    const result = await outcome(order.id);

    expect(result.status).toBe("completed");
    // The order began between the submission and the payment check: 30 days from then.
    const checkedAt = fake.calls(order.id, "checkPayment")[0]!.at;
    expect([addDays(submittedAt, 30), addDays(checkedAt, 30)]).toContain(result.estimatedArrival);
    expect(fake.succeeded(order.id, "recordManualFulfillment").map((c) => c.target)).toEqual(["fc-north"]);
    expect(fake.shipments(order.id)["fc-north"]).toMatchObject({ manual: true });
    expect(fake.calls(order.id, "sendToCenter", "fc-north")).toHaveLength(1);
    const emails = fake.emails(order.id);
    expect(emails.map((e) => e.kind)).toEqual(["confirmation"]);
    expect(emails[0]!.body).toContain(result.estimatedArrival!);
    expect(fake.history(order.id)?.estimatedArrival).toBe(result.estimatedArrival);
    expect(
      fake
        .history(order.id)!
        .shipments.map((s) => s.centerId)
        .sort(),
    ).toEqual(["fc-east", "fc-north"]);
    expect(fake.incidents(order.id)[0]!.decision).toMatchObject({ action: "skip", note: "shipped from the store" });
    expect(fake.row(order.id)?.status).toBe("completed");
  });

  it("abandon ends the order as abandoned: no confirmation, no history, nothing already done is reversed; the customer hears once", async () => {
    const { order, incident } = await orderStuckAtNorth("abandon");

    await decide(order.id, { action: "abandon", note: "customer called", incidentId: incident.id });
    expect(await outcome(order.id)).toMatchObject({ status: "abandoned" });

    expect((await view(order.id))?.status).toBe("abandoned");
    expect(fake.row(order.id)?.status).toBe("abandoned");
    expect(fake.emails(order.id)).toHaveLength(0);
    expect(fake.calls(order.id, "recordHistory")).toHaveLength(0);
    expect(fake.calls(order.id, "recordManualFulfillment")).toHaveLength(0);
    // fc-east shipped and its stock was taken before the decision; both stand.
    expect(fake.shipments(order.id)).toEqual({ "fc-east": expect.objectContaining({ manual: false }) });
    expect(fake.stockTaken(order.id)).toEqual({ "sku-mug": 1, "sku-cap": 1 });
    expect(fake.incidents(order.id)[0]!.decision).toMatchObject({ action: "abandon", note: "customer called" });
    // One notice to the customer, naming what fc-east already has (fc-north never got the order).
    expect(fake.abandonNotices(order.id)).toEqual([["fc-east"]]);
  });
});

describe("an operator decision", () => {
  it("sent straight to Restate with nothing recorded behind it is refused (403) and the order does not move", async () => {
    const { order, incident } = await orderStuckAtNorth("forged-decision");
    expect(await httpStatus(wf(order.id).resolve({ action: "skip", incidentId: incident.id }, timeout()))).toBe(403);
    expect(fake.calls(order.id, "recordManualFulfillment")).toHaveLength(0);
    expect((await view(order.id))?.status).toBe("needs_attention");

    fake.recordDecision(order.id, { action: "abandon", incidentId: incident.id });
    // A claim that differs from what the operator decided is refused too.
    expect(await httpStatus(wf(order.id).resolve({ action: "skip", incidentId: incident.id }, timeout()))).toBe(409);
    expect(await httpStatus(wf(order.id).resolve({ action: "abandon", incidentId: incident.id }, timeout()))).toBe(200);
    expect(await outcome(order.id)).toMatchObject({ status: "abandoned" });
  });

  it("is refused with 400 for an unknown action and leaves the incident open", async () => {
    const { order, incident } = await orderStuckAtNorth("bad-action");

    expect(await httpStatus(decide(order.id, { action: "refund" } as unknown as Decision))).toBe(400);
    expect((await view(order.id))?.incident).toMatchObject({ id: incident.id });
    expect(fake.incidents(order.id)[0]!.decision).toBeUndefined();

    await decide(order.id, { action: "skip" });
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
  });

  it("is refused with 409 when no incident is open", async () => {
    const waiting = fake.seed({ name: "no-incident-waiting", payment: "pending" });
    await submit(waiting.id);
    await viewWhen(waiting.id, "awaiting_payment");
    expect(await httpStatus(decide(waiting.id, { action: "skip" }))).toBe(409);

    const done = fake.seed({ name: "no-incident-done" });
    await submit(done.id);
    expect(await outcome(done.id)).toMatchObject({ status: "completed" });
    expect(await httpStatus(decide(done.id, { action: "retry" }))).toBe(409);
    expect(fake.calls(done.id, "resolveIncident")).toHaveLength(0);

    // The refused skip did not let the unpaid order through.
    expect(fake.calls(waiting.id, "sendToCenter")).toHaveLength(0);
    expect((await view(waiting.id))?.status).toBe("awaiting_payment");
  });
});

describe("payment", () => {
  it("a failed payment sends the payment-problem notice and nothing else: no stock, no center, no history", async () => {
    const order = fake.seed({
      name: "payment-failed",
      payment: { outcome: "failed", reason: "the checkout session expired unpaid" },
    });
    await submit(order.id);

    expect(await outcome(order.id)).toMatchObject({ status: "payment_failed", estimatedArrival: null });
    const emails = fake.emails(order.id);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ kind: "payment_problem", to: order.email });
    expect(fake.calls(order.id, "takeStock")).toHaveLength(0);
    expect(fake.calls(order.id, "sendToCenter")).toHaveLength(0);
    expect(fake.calls(order.id, "recordHistory")).toHaveLength(0);
    expect(fake.calls(order.id, "openIncident")).toHaveLength(0);
    expect((await view(order.id))?.status).toBe("payment_failed");
    expect(fake.row(order.id)?.status).toBe("payment_failed");
  });

  it("Stripe is asked about the checkout the webhook named while the order loads: one check, beside the load", async () => {
    const order = fake.seed({ name: "head-start" });
    fake.slow(order.id, "beginOrder", { ms: 200 });
    await submit(order.id);
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    const [load] = fake.calls(order.id, "beginOrder");
    const checks = fake.calls(order.id, "checkPayment");
    expect(checks).toHaveLength(1);
    expect(checks[0]!.at).toBeLessThan(load!.endedAt!); // asked before the order had loaded
    expect(
      (await view(order.id))?.steps
        .map((s) => s.name)
        .slice(0, 2)
        .sort(),
    ).toEqual(["load payment session", "verify payment"]);
  });

  it("a run started without the webhook's hint verifies the payment after loading the order", async () => {
    const order = fake.seed({ name: "no-hint" });
    await submit(order.id, {});
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    const [load] = fake.calls(order.id, "beginOrder");
    const [check] = fake.calls(order.id, "checkPayment");
    expect(check!.at).toBeGreaterThanOrEqual(load!.endedAt!);
  });

  it("a run started through the ingress naming someone else's paid checkout, or a smaller total, acts on nothing", async () => {
    for (const [name, forge] of [
      [
        "forged-checkout",
        (p: NonNullable<OrderStart["payment"]>) => ({
          ...p,
          stripeCheckoutSessionId: "cs_somebody_elses_paid_checkout",
        }),
      ],
      ["forged-total", (p: NonNullable<OrderStart["payment"]>) => ({ ...p, amountTotal: 1 })],
    ] as const) {
      const order = fake.seed({ name, payment: "pending" });
      await submit(order.id, { payment: forge(fake.startHint(order.id).payment!) });
      await viewWhen(order.id, "awaiting_payment");
      // Stripe was asked again, about the order's own checkout, and that one is unpaid.
      expect(
        fake
          .calls(order.id, "checkPayment")
          .map((c) => (c.args[0] as { stripeCheckoutSessionId: string }).stripeCheckoutSessionId),
      ).toContain(order.stripeCheckoutSessionId);
      expect(fake.calls(order.id, "takeStock")).toHaveLength(0);
      expect(fake.calls(order.id, "sendToCenter")).toHaveLength(0);
      expect(fake.emails(order.id)).toHaveLength(0);
    }
  });

  it("a run whose input is not a start hint at all ignores it and still processes the order", async () => {
    const order = fake.seed({ name: "junk-input" });
    await submit(order.id, { payment: "free please" } as unknown as OrderStart);
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
  });

  it("a pending payment waits as awaiting_payment and the order completes once the payment settles", async () => {
    const order = fake.seed({ name: "async-paid", payment: "pending" });
    await submit(order.id);
    await viewWhen(order.id, "awaiting_payment");
    expect(fake.row(order.id)?.status).toBe("awaiting_payment"); // the orders table says so too
    expect(fake.calls(order.id, "takeStock")).toHaveLength(0);
    expect(fake.calls(order.id, "sendToCenter")).toHaveLength(0);

    fake.setPayment(order.id, "paid");
    await paymentEvent(order.id, { outcome: "succeeded", eventId: `evt_${order.id}` });
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(fake.row(order.id)?.status).toBe("completed");
    expect(fake.calls(order.id, "checkPayment").length).toBeGreaterThanOrEqual(2);
    expect(fake.succeeded(order.id, "sendToCenter")).toHaveLength(3);
    expect(fake.emails(order.id).map((e) => e.kind)).toEqual(["confirmation"]);
  });

  it("a failed async payment ends payment_failed with the payment-problem notice", async () => {
    const order = fake.seed({ name: "async-failed", payment: "pending" });
    await submit(order.id);
    await viewWhen(order.id, "awaiting_payment");

    // Stripe's session stays unpaid (not expired) after a declined async payment: the event is the news.
    await paymentEvent(order.id, { outcome: "failed", eventId: `evt_${order.id}` });
    expect(await outcome(order.id)).toMatchObject({ status: "payment_failed" });
    expect(fake.emails(order.id).map((e) => e.kind)).toEqual(["payment_problem"]);
    expect(fake.calls(order.id, "takeStock")).toHaveLength(0);
    expect(fake.calls(order.id, "sendToCenter")).toHaveLength(0);
    expect(fake.calls(order.id, "recordHistory")).toHaveLength(0);
    expect(fake.row(order.id)?.status).toBe("payment_failed");
  });

  it("a payment outcome sent straight to Restate with no verified event behind it is refused (403)", async () => {
    const order = fake.seed({ name: "forged-event", payment: "pending" });
    await submit(order.id);
    await viewWhen(order.id, "awaiting_payment");
    const forged = { outcome: "failed" as const, eventId: `evt_forged_${order.id}` };
    expect(await httpStatus(wf(order.id).paymentEvent(forged, timeout()))).toBe(403);
    // A real event for another order cannot be replayed onto this one.
    const other = fake.seed({ name: "forged-event-other", payment: "pending" });
    fake.recordPaymentEvent(other.id, { outcome: "failed", eventId: `evt_other_${other.id}` });
    expect(
      await httpStatus(wf(order.id).paymentEvent({ outcome: "failed", eventId: `evt_other_${other.id}` }, timeout())),
    ).toBe(403);
    expect((await view(order.id))?.status).toBe("awaiting_payment");
    expect(fake.emails(order.id)).toHaveLength(0);
  });

  it("the same payment event delivered twice is harmless, also after the order ended", async () => {
    const order = fake.seed({ name: "async-twice", payment: "pending" });
    await submit(order.id);
    await viewWhen(order.id, "awaiting_payment");

    fake.setPayment(order.id, "paid");
    const event = { outcome: "succeeded" as const, eventId: `evt_${order.id}` };
    await Promise.all([paymentEvent(order.id, event), paymentEvent(order.id, event)]);
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    await paymentEvent(order.id, event);

    expect((await view(order.id))?.status).toBe("completed");
    expect(fake.succeeded(order.id, "takeStock")).toHaveLength(3);
    expect(fake.succeeded(order.id, "sendToCenter")).toHaveLength(3);
    expect(fake.emails(order.id)).toHaveLength(1);
    expect(fake.calls(order.id, "recordHistory")).toHaveLength(1);
    expect(fake.calls(order.id, "openIncident")).toHaveLength(0);
  });

  it("a success event that Stripe does not confirm goes to an operator, not to the centers", async () => {
    const order = fake.seed({ name: "async-unconfirmed", payment: "pending" });
    await submit(order.id);
    await viewWhen(order.id, "awaiting_payment");

    await paymentEvent(order.id, { outcome: "succeeded", eventId: `evt_${order.id}` });
    const incident = await openIncident(order.id);
    expect(incident.step).toBe("verify payment");
    expect(fake.calls(order.id, "takeStock")).toHaveLength(0);
    expect(fake.calls(order.id, "sendToCenter")).toHaveLength(0);
    expect(fake.emails(order.id)).toHaveLength(0);

    fake.setPayment(order.id, "paid");
    await decide(order.id, { action: "retry", incidentId: incident.id });
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
  });

  it("an amount or currency mismatch escalates to an operator, never payment_failed; skip confirms the payment by hand", async () => {
    const order = fake.seed({
      name: "mismatch",
      payment: { outcome: "mismatch", reason: "Stripe charged 999 eur, the order is 1000 usd" },
    });
    await submit(order.id);

    const incident = await openIncident(order.id);
    expect(incident.step).toBe("verify payment");
    expect(incident.error).toContain("Stripe charged 999 eur");
    await expect.poll(() => fake.slackMessages().some((m) => m.text.includes(order.id)), WAIT).toBe(true);
    // Money first: nothing is stocked, shipped or emailed while the payment is in doubt.
    expect(fake.calls(order.id, "takeStock")).toHaveLength(0);
    expect(fake.calls(order.id, "sendToCenter")).toHaveLength(0);
    expect(fake.emails(order.id)).toHaveLength(0);

    await decide(order.id, { action: "skip", note: "checked in the Stripe dashboard", incidentId: incident.id });
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(fake.succeeded(order.id, "sendToCenter")).toHaveLength(3);
    expect(fake.emails(order.id).map((e) => e.kind)).toEqual(["confirmation"]);
    expect(fake.calls(order.id, "setStatus").map((c) => c.target)).not.toContain("payment_failed");
    expect(fake.row(order.id)?.status).toBe("completed");
  });
});

describe("the ship-to address", () => {
  const shipToOf = (id: string) =>
    fake.succeeded(id, "sendToCenter").map((c) => [(c.args[1] as { center: { id: string } }).center.id, c.args[2]]);

  it("the one given at checkout reaches every center, and no step is added to find it", async () => {
    const order = fake.seed({ name: "given-address" });
    await submit(order.id);
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(shipToOf(order.id).sort()).toEqual([
      ["fc-east", SHIP_TO],
      ["fc-north", SHIP_TO],
      ["fc-west", SHIP_TO],
    ]);
    expect(fake.calls(order.id, "findShipTo")).toHaveLength(0);
  });

  it("the one Stripe's Checkout collected, journaled with the payment verdict, reaches the centers", async () => {
    const collected = { ...SHIP_TO, name: "Collected Person", country: "DE" };
    const order = fake.seed({
      name: "collected-address",
      shipTo: null,
      payment: { outcome: "paid", shipTo: collected },
    });
    await submit(order.id);
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(shipToOf(order.id).map(([, to]) => to)).toEqual([collected, collected, collected]);
    expect(fake.calls(order.id, "findShipTo")).toHaveLength(0);
  });

  it("a paid order with no address at all is an incident, never a guess; a retry once one is stored completes it", async () => {
    const order = fake.seed({ name: "no-address", shipTo: null, items: [item("sku-mug", "fc-east")] });
    await submit(order.id);
    const incident = await openIncident(order.id);
    expect(incident).toMatchObject({
      step: "find ship-to address",
      error: expect.stringContaining("no ship-to address"),
    });
    // Nothing was sent or stocked while the address was missing.
    expect(fake.calls(order.id, "sendToCenter")).toHaveLength(0);
    expect(fake.calls(order.id, "takeStock")).toHaveLength(0);

    const stored = { ...SHIP_TO, line1: "2 Side St" };
    fake.setLaterShipTo(order.id, stored);
    await decide(order.id, { action: "retry" });
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(shipToOf(order.id)).toEqual([["fc-east", stored]]);
  });

  it("done by hand (the operator settled the address with the centers) sends the order without one", async () => {
    const order = fake.seed({ name: "no-address-by-hand", shipTo: null, items: [item("sku-mug", "fc-east")] });
    await submit(order.id);
    await openIncident(order.id);
    await decide(order.id, { action: "skip", note: "address agreed with fc-east by phone" });
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(shipToOf(order.id)).toEqual([["fc-east", null]]);
  });
});

describe("stock", () => {
  it("out of stock after payment escalates as a backorder incident, and a retry after restocking completes the order", async () => {
    const order = fake.seed({ name: "backorder" });
    fake.fail(order.id, "takeStock", {
      target: "fc-west",
      error: () => new OutOfStockError([{ productId: "sku-tee", requested: 1, available: 0 }]),
    });
    await submit(order.id);

    const incident = await openIncident(order.id);
    expect(incident.step).toContain("fc-west");
    expect(incident.error).toMatch(/out of stock \(backorder\).*sku-tee/);
    expect(fake.calls(order.id, "takeStock", "fc-west")).toHaveLength(1); // not retried
    expect(fake.emails(order.id)).toHaveLength(0);
    await expect.poll(() => fake.slackMessages().some((m) => m.text.includes(order.id)), WAIT).toBe(true);

    await decide(order.id, { action: "retry", note: "restocked", incidentId: incident.id });
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(fake.stockTaken(order.id)).toMatchObject({ "sku-tee": 1 });
    expect(fake.emails(order.id).map((e) => e.kind)).toEqual(["confirmation"]);
  });
});
