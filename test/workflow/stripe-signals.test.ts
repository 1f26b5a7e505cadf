// What Stripe says after checkout, as the order workflow's business rules: the hand-off gate (a
// full refund stops the order, a partial one or a fraud warning holds it for a person, an open
// Radar review makes it wait), an expired checkout, and what is recorded after the hand-off
// leaving the run alone. OrderWorkflow on a real restate-server, its world in fake ports
// (test/support/fake-ports.ts); the fake records signals as the webhook does (db/stripe-events.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as clients from "@restatedev/restate-sdk-clients";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRestateServer, type RestateServer } from "../../dev/restate-server.ts";
import { createServices } from "../../services/index.ts";
import type { OrderWorkflow } from "../../services/order-workflow.ts";
import { registerDeployment } from "../../src/adapters/restate-admin.ts";
import type { Decision } from "../../src/domain/decision.ts";
import { createLogger } from "../../src/log.ts";
import { startServiceEndpoint, type ServiceEndpoint } from "../../src/runtime/endpoint.ts";
import { FakePorts, item } from "../support/fake-ports.ts";
import { quietFor } from "../support/wait.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const WAIT = { timeout: 20_000, interval: 20 };
const fake = new FakePorts();
let baseDir: string;
let server: RestateServer | undefined;
let endpoint: ServiceEndpoint | undefined;
let ingress: clients.Ingress;

beforeAll(async () => {
  baseDir = mkdtempSync(path.join(tmpdir(), "postpay-wf-stripe-"));
  server = await startRestateServer({
    baseDir,
    configFile: path.join(root, "restate.toml"),
    env: { RESTATE_DEFAULT_RETRY_POLICY__MAX_INTERVAL: "1s" },
  });
  const services = createServices(fake, {
    steps: { maxAttempts: 3, initialRetryMs: 20, maxRetryMs: 100 },
    escalation: { remindAfterMs: 3_600_000 },
    alerts: { minIntervalMs: 50, maxBackoffMs: 500 },
    shipments: { deadlineMs: 3_600_000 },
    stuckOrders: { stuckAfterMs: 3_600_000, sweepEveryMs: 60_000 },
  });
  endpoint = await startServiceEndpoint(services, { log: createLogger({ level: "error" }) });
  await registerDeployment(server.adminUrl, endpoint.url);
  ingress = clients.connect({ url: server.ingressUrl });
});

afterAll(async () => {
  await endpoint?.close();
  await server?.stop();
  if (baseDir) rmSync(baseDir, { recursive: true, force: true });
});

const wf = (id: string) => ingress.workflowClient({ name: "OrderWorkflow" } as OrderWorkflow, id);
const opts = <I, O>() => clients.rpc.opts<I, O>({ signal: AbortSignal.timeout(30_000) });
const submit = async (id: string) => expect((await wf(id).workflowSubmit(fake.startHint(id))).status).toBe("Accepted");
const outcome = (id: string) => wf(id).workflowAttach(opts());
const view = (id: string) => wf(id).status(opts());
const decide = (id: string, decision: Decision) => {
  fake.recordDecision(id, decision);
  return wf(id).resolve(decision, opts());
};
async function httpStatus(call: PromiseLike<unknown>) {
  try {
    await call;
    return 200;
  } catch (err) {
    if (err instanceof clients.HttpCallError) return err.status;
    throw err;
  }
}
async function incidentAtGate(id: string) {
  await expect.poll(() => fake.incidents(id).length, WAIT).toBe(1);
  await expect.poll(async () => (await view(id))?.status, WAIT).toBe("needs_attention");
  return fake.incidents(id)[0]!;
}
const nothingHandedOff = (id: string) => {
  expect(fake.calls(id, "takeStock")).toHaveLength(0);
  expect(fake.calls(id, "sendToCenter")).toHaveLength(0);
  expect(fake.handedOff(id)).toBe(false);
};
const TWO_CENTERS = [item("sku-mug", "fc-east"), item("sku-cap", "fc-north")];
const fullRefund = { type: "charge.refunded" as const, objectId: "ch_1", chargeAmount: 2000, amountRefunded: 2000 };

describe("a refund recorded before the hand-off", () => {
  it("in full stops the order as refunded: no stock, no center, one email saying cancelled and refunded", async () => {
    const order = fake.seed({ name: "refunded-early", items: TWO_CENTERS });
    fake.recordSignal(order.id, fullRefund);
    fake.recordSignal(order.id, { ...fullRefund, type: "refund.created", objectId: "re_1" }); // the same refund's other event
    await submit(order.id);

    expect(await outcome(order.id)).toMatchObject({ status: "refunded", estimatedArrival: null });
    nothingHandedOff(order.id);
    expect(fake.emails(order.id).map((e) => [e.kind, e.subject])).toEqual([
      ["refunded", expect.stringContaining("cancelled and refunded")],
    ]);
    expect(fake.calls(order.id, "openIncident")).toHaveLength(0);
    expect(fake.row(order.id)?.status).toBe("refunded");
    expect((await view(order.id))?.status).toBe("refunded");
  });

  it("in part holds the order for a person before anything is sent; done by hand ships it anyway", async () => {
    const order = fake.seed({ name: "partial-refund", items: TWO_CENTERS });
    fake.recordSignal(order.id, { ...fullRefund, amountRefunded: 500 });
    await submit(order.id);

    const incident = await incidentAtGate(order.id);
    expect(incident).toMatchObject({ step: "check before hand-off" });
    expect(incident.error).toContain("partially refunded in Stripe before the hand-off: 5.00 USD of 20.00 USD");
    expect(fake.calls(order.id, "checkBeforeHandOff")).toHaveLength(1); // a hold is not retried
    nothingHandedOff(order.id);

    await decide(order.id, { action: "skip", note: "customer keeps the rest", incidentId: incident.id });
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(fake.succeeded(order.id, "checkBeforeHandOff", "ship anyway")).toHaveLength(1);
    expect(fake.handedOff(order.id)).toBe(true);
    expect(fake.succeeded(order.id, "sendToCenter")).toHaveLength(2);
  });

  it("in part, then in full while a person looks: retry checks again and the order stops as refunded", async () => {
    const order = fake.seed({ name: "partial-then-full", items: TWO_CENTERS });
    fake.recordSignal(order.id, { ...fullRefund, amountRefunded: 500 });
    await submit(order.id);
    const incident = await incidentAtGate(order.id);
    fake.recordSignal(order.id, fullRefund);

    await decide(order.id, { action: "retry", incidentId: incident.id });
    expect(await outcome(order.id)).toMatchObject({ status: "refunded" });
    nothingHandedOff(order.id);
    expect(fake.emails(order.id).map((e) => e.kind)).toEqual(["refunded"]);
  });
});

describe("an early fraud warning before the hand-off", () => {
  it("holds the order for a person; abandon stops it with nothing sent", async () => {
    const order = fake.seed({ name: "fraud-warning", items: TWO_CENTERS });
    fake.recordSignal(order.id, {
      type: "radar.early_fraud_warning.created",
      objectId: "issfr_1",
      reason: "made_with_stolen_card",
    });
    await submit(order.id);
    const incident = await incidentAtGate(order.id);
    expect(incident.error).toContain("early fraud warning (made_with_stolen_card)");

    await decide(order.id, { action: "abandon", incidentId: incident.id });
    expect(await outcome(order.id)).toMatchObject({ status: "abandoned" });
    nothingHandedOff(order.id);
    expect(fake.abandonNotices(order.id)).toEqual([[]]);
  });
});

describe("a Radar review open before the hand-off", () => {
  async function heldByReview(name: string) {
    const order = fake.seed({ name, items: TWO_CENTERS });
    fake.recordSignal(order.id, { type: "review.opened", objectId: `prv_${name}`, reason: "rule" });
    await submit(order.id);
    await expect.poll(() => fake.calls(order.id, "checkBeforeHandOff").length, WAIT).toBe(1);
    await quietFor(300); // it would have gone on by now
    nothingHandedOff(order.id);
    expect((await view(order.id))?.status).toBe("processing");
    return order;
  }
  const closeReview = (id: string, reason: string) => {
    const closed = fake.recordSignal(id, { type: "review.closed", objectId: `prv_${id.split("_")[1]}`, reason });
    return wf(id).reviewClosed({ eventId: closed.eventId }, opts());
  };

  it("holds the order until review.closed approved, then it goes on; the event twice is harmless", async () => {
    const order = await heldByReview("review-approved");
    await closeReview(order.id, "approved");
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    const again = fake.recordSignal(order.id, { type: "review.closed", objectId: "prv_review-approved" });
    expect(await httpStatus(wf(order.id).reviewClosed({ eventId: again.eventId }, opts()))).toBe(200);
    expect(fake.succeeded(order.id, "sendToCenter")).toHaveLength(2);
    expect(fake.calls(order.id, "checkBeforeHandOff")).toHaveLength(2);
  });

  it("closed for any other reason becomes an incident", async () => {
    const order = await heldByReview("review-fraud");
    await closeReview(order.id, "refunded_as_fraud");
    const incident = await incidentAtGate(order.id);
    expect(incident.error).toContain("closed as refunded_as_fraud");
    nothingHandedOff(order.id);
    await decide(order.id, { action: "abandon", incidentId: incident.id });
    expect(await outcome(order.id)).toMatchObject({ status: "abandoned" });
  });

  it("is not released by a call through the ingress with no recorded review.closed behind it (403)", async () => {
    const order = await heldByReview("review-forged");
    expect(await httpStatus(wf(order.id).reviewClosed({ eventId: "evt_forged" }, opts()))).toBe(403);
    // A recorded event of another type does not pass for one either.
    const dispute = fake.recordSignal(order.id, { type: "charge.dispute.created", objectId: "dp_1" });
    expect(await httpStatus(wf(order.id).reviewClosed({ eventId: dispute.eventId }, opts()))).toBe(403);
    await quietFor(300);
    nothingHandedOff(order.id);
    await closeReview(order.id, "approved");
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
  });
});

describe("after the hand-off", () => {
  it("a refund recorded then is not the run's: the order completes, and the gate ran once", async () => {
    const order = fake.seed({ name: "refund-late", items: TWO_CENTERS });
    fake.slow(order.id, "sendToCenter", { ms: 300 });
    await submit(order.id);
    await expect.poll(() => fake.handedOff(order.id), WAIT).toBe(true);
    expect(fake.recordSignal(order.id, fullRefund).afterHandOff).toBe(true);
    expect(await outcome(order.id)).toMatchObject({ status: "completed" });
    expect(fake.emails(order.id).map((e) => e.kind)).toEqual(["confirmation"]);
    expect(fake.calls(order.id, "checkBeforeHandOff")).toHaveLength(1);
  });
});

describe("an expired checkout", () => {
  it("ends the order as expired: no email, no stock, no center", async () => {
    const order = fake.seed({ name: "expired", payment: "expired" });
    await submit(order.id);
    expect(await outcome(order.id)).toMatchObject({ status: "expired" });
    expect(fake.emails(order.id)).toHaveLength(0);
    expect(fake.calls(order.id, "checkBeforeHandOff")).toHaveLength(0);
    nothingHandedOff(order.id);
    expect(fake.row(order.id)?.status).toBe("expired");
  });

  it("recorded as the outcome a run waiting for payment hears, ends it as expired (the record's word, not the caller's)", async () => {
    const order = fake.seed({ name: "expired-waiting", payment: "pending" });
    await submit(order.id);
    await expect.poll(async () => (await view(order.id))?.status, WAIT).toBe("awaiting_payment");
    const event = { outcome: "failed" as const, eventId: `evt_expired_${order.id}`, expired: true };
    fake.recordPaymentEvent(order.id, event);
    await wf(order.id).paymentEvent(event, opts());
    expect(await outcome(order.id)).toMatchObject({ status: "expired" });
    expect(fake.emails(order.id)).toHaveLength(0);

    // A caller claiming an expiry the record does not say is a plain failure.
    const other = fake.seed({ name: "expired-claimed", payment: "pending" });
    await submit(other.id);
    await expect.poll(async () => (await view(other.id))?.status, WAIT).toBe("awaiting_payment");
    const failed = { outcome: "failed" as const, eventId: `evt_failed_${other.id}` };
    fake.recordPaymentEvent(other.id, failed);
    await wf(other.id).paymentEvent({ ...failed, expired: true }, opts());
    expect(await outcome(other.id)).toMatchObject({ status: "payment_failed" });
  });
});
