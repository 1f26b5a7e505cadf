// In-memory ports for workflow tests: the order workflow runs on a real restate-server, but its
// outside world is this object. No HTTP, no database, no Restate inside; every call is recorded
// with its time, and tests script what the world answers (payment outcome, failures, barriers).
//
// Everything that knows the shape of OrderPorts lives in the "ports" section of FakePorts, so a
// change of that interface is an edit there. The effects mirror what the real adapters persist
// (db/orders.ts, db/incidents.ts), keyed the same way, so `row(id)` reads like the orders table.
import { DrizzleQueryError } from "drizzle-orm";
import { isDatabaseUnavailable } from "../../db/errors.ts";
import type { AlertPorts, OrderPorts, ShipmentPorts, StripeSignalFacts } from "../../services/ports.ts";
import { DecisionSchema, type Decision, type RecordedDecision } from "../../src/domain/decision.ts";
import type { PaymentEvent } from "../../src/domain/stripe-events.ts";
import type { Alert, SlackMessage } from "../../src/domain/alerts.ts";
import type { EmailContent } from "../../src/domain/emails.ts";
import { PermanentError } from "../../src/domain/errors.ts";
import type { ShipTo } from "../../src/domain/ship-to.ts";
import { centersOf } from "../../src/domain/shipments.ts";
import { gateVerdict, type GateVerdict, type RecordedSignal } from "../../src/domain/stripe-signals.ts";
import {
  addDays,
  type Center,
  type CenterGroup,
  type LineItemSnapshot,
  type OrderSession,
  type OrderStart,
  type PaymentToCheck,
  type OrderStatus,
  type PaymentCheck,
  type ShipmentRecord,
} from "../../src/domain/order.ts";

export type PortName = Exclude<keyof (OrderPorts & AlertPorts), "alertLinks" | "isPlatformFault"> | "findUnshipped";

/** One call of a port. `target` is the center id for center steps, the email kind for emails. */
export type PortCall = {
  port: PortName;
  orderId: string | undefined;
  target: string | undefined;
  args: unknown[];
  /** The line items a center step was given (takeStock, sendToCenter). */
  items?: LineItemSnapshot[];
  at: number;
  endedAt?: number;
  /** Set when the call threw (scripted failure, barrier timeout). */
  error?: string;
};

export type PaymentScript = PaymentCheck | PaymentCheck["outcome"];

export type FailureScript = {
  /** Only calls for this center id (center steps) or email kind (sendEmail). */
  target?: string;
  /** The error to throw; a fresh one per call. */
  error: () => Error;
  /** How many calls fail before the port behaves again; Infinity for "always". Default 1. */
  times?: number;
};

export type SeedOptions = {
  /** Becomes part of the order id, for readable journals. */
  name?: string;
  centers?: Center[];
  items?: LineItemSnapshot[];
  payment?: PaymentScript;
  /** The arrival date each center answers with; default: its lead time from the call. */
  arrivals?: Record<string, string | null>;
  /** The address the shop gave at checkout (default SHIP_TO); null: Checkout is to collect one. */
  shipTo?: ShipTo | null;
};

/**
 * What a repository function throws while the database cannot be reached: Drizzle's wrapper around
 * the driver's socket error (as db/client.ts's pool gives it for a refused connection).
 */
export const databaseDown = () =>
  new DrizzleQueryError(
    "insert into fulfillment_requests …",
    [],
    Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED", syscall: "connect" }),
  );

/** What a repository function throws for bad data: a unique violation (SQLSTATE 23505) from the server. */
export const constraintViolation = () =>
  new DrizzleQueryError(
    "insert into fulfillment_requests …",
    [],
    Object.assign(new Error("duplicate key value violates unique constraint"), {
      name: "PostgresError",
      code: "23505",
    }),
  );

export const SHIP_TO: ShipTo = {
  name: "Jenny Rosen",
  line1: "1 Main St",
  city: "Springfield",
  postalCode: "12345",
  country: "US",
};

export type Incident = {
  id: string;
  orderId: string;
  customerId: string;
  step: string;
  error: string;
  /** What the HTTP app recorded for an operator (the workflow acts only on this). */
  recorded?: RecordedDecision;
  /** What the workflow took up. */
  decision?: Pick<Decision, "action">;
};

export const CENTERS: Center[] = [
  { id: "fc-east", name: "East", orderUrl: "http://fake/fc-east", leadTimeDays: 2 },
  { id: "fc-north", name: "North", orderUrl: "http://fake/fc-north", leadTimeDays: 3 },
  { id: "fc-west", name: "West", orderUrl: "http://fake/fc-west", leadTimeDays: 4 },
];

export const item = (
  productId: string,
  fulfillmentCenterId: string,
  quantity = 1,
  unitPriceCents = 1000,
): LineItemSnapshot => ({
  productId,
  name: `Product ${productId}`,
  quantity,
  unitPriceCents,
  fulfillmentCenterId,
});

export const ITEMS: LineItemSnapshot[] = [
  item("sku-mug", "fc-east", 2),
  item("sku-pen", "fc-east", 3, 300),
  item("sku-cap", "fc-north"),
  item("sku-tee", "fc-west", 1, 2500),
];

type OrderState = {
  session: OrderSession;
  payment: PaymentCheck;
  /** The centers each abandon notice named as already having the order. */
  abandonNotices: string[][];
  /** What findShipTo finds later (an address an operator stored, or Stripe's). */
  laterShipTo?: ShipTo;
  arrivals: Record<string, string | null>;
  failures: (FailureScript & { port: PortName; left: number })[];
  delays: { port: PortName; target?: string; ms: number }[];
  barrier?: Barrier;
  /** What the real adapters would have persisted. */
  row?: { status: OrderStatus };
  openedAt?: number;
  stock: Map<string, number>;
  shipments: Map<string, ShipmentRecord & { manual: boolean }>;
  history?: { shipments: ShipmentRecord[]; estimatedArrival: string };
  incidents: Map<string, Incident>;
  /** Stripe events the HTTP app would have verified and recorded. */
  paymentEvents: Map<string, PaymentEvent>;
  /** Refunds, disputes, warnings, reviews as the webhook records them (db/stripe-events.ts). */
  signals: RecordedSignal[];
  /** Set by the hand-off gate, as orders.handed_off_at. */
  handedOff: boolean;
};

type Barrier = {
  ports: Set<PortName>;
  parties: number;
  timeoutMs: number;
  arrived: number;
  released: boolean;
  broken: boolean;
  release: () => void;
  done: Promise<void>;
};

let seq = 0;

export class FakePorts implements OrderPorts, AlertPorts, ShipmentPorts {
  private readonly orders = new Map<string, OrderState>();
  private readonly log: PortCall[] = [];

  // ---- scripting -------------------------------------------------------------------------------

  /** A new payment session with a fresh id (the workflow key); defaults: 4 items over 3 centers, paid. */
  seed(options: SeedOptions = {}): OrderSession {
    const id = `ps_${options.name ?? "order"}_${process.pid}_${++seq}_${Math.random().toString(36).slice(2, 8)}`;
    const items = options.items ?? ITEMS;
    const used = new Set(items.map((i) => i.fulfillmentCenterId));
    const session: OrderSession = {
      id,
      customerId: `cus_${options.name ?? "test"}`,
      email: `${options.name ?? "customer"}@example.com`,
      items,
      amountTotal: items.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0),
      currency: "usd",
      stripeCheckoutSessionId: `cs_${id}`,
      orderedAt: 0, // set when beginOrder opens the order
      centers: (options.centers ?? CENTERS).filter((c) => used.has(c.id)),
      shipTo: options.shipTo === undefined ? SHIP_TO : options.shipTo,
    };
    this.orders.set(id, {
      session,
      payment: toCheck(options.payment ?? "paid"),
      arrivals: options.arrivals ?? {},
      failures: [],
      delays: [],
      paymentEvents: new Map(),
      signals: [],
      handedOff: false,
      abandonNotices: [],
      stock: new Map(),
      shipments: new Map(),
      incidents: new Map(),
    });
    return session;
  }

  /** What the webhook hands the order's run: the checkout it verified and the quoted total. */
  startHint(orderId: string): OrderStart {
    const { stripeCheckoutSessionId, amountTotal, currency } = this.state(orderId).session;
    return { payment: { stripeCheckoutSessionId, amountTotal, currency } };
  }

  /** What Stripe says about the order's payment from now on. */
  setPayment(orderId: string, payment: PaymentScript) {
    this.state(orderId).payment = toCheck(payment);
  }

  /** The address findShipTo finds from now on (an operator stored one). */
  setLaterShipTo(orderId: string, shipTo: ShipTo) {
    this.state(orderId).laterShipTo = shipTo;
  }

  /** The next `times` calls of `port` for this order (and target) throw. */
  fail(orderId: string, port: PortName, script: FailureScript) {
    const entry = { ...script, port, left: script.times ?? 1 };
    this.state(orderId).failures.push(entry);
  }

  /** Calls of `port` for this order (and target) answer only after `ms`: a slow center, a slow SMTP. */
  slow(orderId: string, port: PortName, { target, ms }: { target?: string; ms: number }) {
    this.state(orderId).delays.push({ port, target, ms });
  }

  /** Ends every scripted failure of the order (the outage is over, the operator fixed the data). */
  clearFailures(orderId: string) {
    this.state(orderId).failures.length = 0;
  }

  /**
   * Calls of `ports` for this order wait until `parties` of them have started, then all go on.
   * Steps run one after another never get there: each waiting call gives up after `timeoutMs`
   * with a PermanentError, which the workflow escalates.
   */
  barrier(orderId: string, options: { ports: PortName[]; parties: number; timeoutMs?: number }) {
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    const barrier: Barrier = {
      ports: new Set(options.ports),
      parties: options.parties,
      timeoutMs: options.timeoutMs ?? 10_000,
      arrived: 0,
      released: false,
      broken: false,
      release,
      done,
    };
    this.state(orderId).barrier = barrier;
    return { released: () => barrier.released };
  }

  // ---- reading ---------------------------------------------------------------------------------

  /** Every call for the order, in the order they started (failed ones included). */
  calls(orderId: string, port?: PortName, target?: string): PortCall[] {
    return this.log.filter(
      (c) => c.orderId === orderId && (!port || c.port === port) && (target === undefined || c.target === target),
    );
  }

  /** Calls that returned normally. */
  succeeded(orderId: string, port?: PortName, target?: string): PortCall[] {
    return this.calls(orderId, port, target).filter((c) => c.endedAt !== undefined && c.error === undefined);
  }

  /** Per center, the product ids of each successful call of a center step, one list per call. */
  requests(orderId: string, port: "takeStock" | "sendToCenter"): Record<string, string[][]> {
    const byCenter: Record<string, string[][]> = {};
    for (const c of this.succeeded(orderId, port)) {
      const target = c.target ?? "?";
      byCenter[target] ??= [];
      byCenter[target].push((c.items ?? []).map((i) => i.productId).sort());
    }
    return byCenter;
  }

  /** For each abandon notice sent, the centers it named as already having the order. */
  abandonNotices(orderId: string): string[][] {
    return this.state(orderId).abandonNotices;
  }

  /** Emails sent for the order. */
  emails(orderId: string): (EmailContent & { to: string })[] {
    return this.succeeded(orderId, "sendEmail").map((c) => ({
      to: c.args[1] as string,
      ...(c.args[2] as EmailContent),
    }));
  }

  /** Every Slack message posted (one webhook for all orders; a burst becomes one digest). */
  slackMessages(): (SlackMessage & { at: number })[] {
    return this.log
      .filter((c) => c.port === "postToSlack" && c.error === undefined && c.endedAt !== undefined)
      .map((c) => ({ ...(c.args[0] as SlackMessage), at: c.at }));
  }

  /** Incidents opened for the order, in order, with the decision once one was recorded. */
  incidents(orderId: string): Incident[] {
    return [...this.state(orderId).incidents.values()];
  }

  /** The order row as the database would hold it. */
  row(orderId: string) {
    return this.state(orderId).row;
  }

  /**
   * What the HTTP app does before it nudges the workflow: records an operator's decision on the
   * named (or latest undecided) incident, once. An invalid decision is never recorded.
   */
  recordDecision(orderId: string, decision: Decision, decidedBy = "admin-api") {
    if (!DecisionSchema.safeParse(decision).success) return;
    const incidents = [...this.state(orderId).incidents.values()];
    const incident = decision.incidentId
      ? incidents.find((i) => i.id === decision.incidentId)
      : incidents.findLast((i) => !i.recorded);
    if (!incident || incident.recorded) return;
    incident.recorded = {
      action: decision.action,
      note: decision.note ?? null,
      decidedBy,
      via: "admin-api",
      decidedAt: new Date().toISOString(),
    };
  }

  /** What the HTTP app does with a Stripe event whose signature it verified. */
  recordPaymentEvent(orderId: string, event: PaymentEvent) {
    const events = this.state(orderId).paymentEvents;
    if (!events.has(event.eventId)) events.set(event.eventId, event);
  }

  /**
   * What the webhook does with a verified refund, dispute, warning or review: records it once per
   * event id, on the side of the hand-off the order is on (the fake's gate and this run one at a
   * time, as the row lock makes them). Returns the record.
   */
  recordSignal(
    orderId: string,
    signal: Pick<RecordedSignal, "type" | "objectId"> & Partial<RecordedSignal>,
  ): RecordedSignal {
    const state = this.state(orderId);
    const eventId = signal.eventId ?? `evt_${signal.type}_${++seq}`;
    const known = state.signals.find((s) => s.eventId === eventId);
    if (known) return known;
    const recorded: RecordedSignal = {
      paymentIntentId: `pi_${orderId}`,
      chargeId: `ch_${orderId}`,
      amount: null,
      currency: "usd",
      reason: null,
      status: null,
      livemode: false,
      chargeAmount: null,
      amountRefunded: null,
      receivedAt: new Date().toISOString(),
      ...signal,
      eventId,
      orderId,
      afterHandOff: state.handedOff,
    };
    state.signals.push(recorded);
    return recorded;
  }

  /** Whether the hand-off gate marked the order handed off. */
  handedOff(orderId: string) {
    return this.state(orderId).handedOff;
  }

  /** Stock taken per product (taken once per order and product, like the inventory moves). */
  stockTaken(orderId: string): Record<string, number> {
    return Object.fromEntries(this.state(orderId).stock);
  }

  /** Shipments per center: sent to the center, or settled by hand (`manual`). */
  shipments(orderId: string) {
    return Object.fromEntries(this.state(orderId).shipments);
  }

  history(orderId: string) {
    return this.state(orderId).history;
  }

  // ---- ports -----------------------------------------------------------------------------------

  // Opens the order row once, like db/orders.ts beginOrder: the first call's time is when the
  // order began.
  beginOrder(orderId: string): Promise<OrderSession | undefined> {
    return this.call("beginOrder", orderId, undefined, [orderId], () => {
      const state = this.orders.get(orderId);
      if (!state) return undefined;
      state.row ??= { status: "processing" };
      state.openedAt ??= Date.now();
      return { ...structuredClone(state.session), orderedAt: state.openedAt };
    });
  }

  /** The scripted answer for the order's own checkout; any other checkout is one somebody paid. */
  checkPayment(payment: PaymentToCheck): Promise<PaymentCheck> {
    return this.call("checkPayment", payment.id, undefined, [payment], () => {
      const state = this.state(payment.id);
      return payment.stripeCheckoutSessionId === state.session.stripeCheckoutSessionId
        ? { ...state.payment }
        : { outcome: "paid" as const };
    });
  }

  findShipTo(order: PaymentToCheck): Promise<ShipTo> {
    return this.call("findShipTo", order.id, undefined, [order], () => {
      const found = this.state(order.id).laterShipTo;
      if (!found)
        throw new PermanentError("no ship-to address: none given at checkout, none collected by Stripe's Checkout");
      return found;
    });
  }

  takeStock(orderId: string, items: LineItemSnapshot[]): Promise<void> {
    return this.call("takeStock", orderId, items[0]?.fulfillmentCenterId, [orderId, items], items, () => {
      const stock = this.state(orderId).stock;
      for (const i of items) if (!stock.has(i.productId)) stock.set(i.productId, i.quantity);
    });
  }

  sendToCenter(order: OrderSession, group: CenterGroup, shipTo: ShipTo | null): Promise<ShipmentRecord> {
    return this.call("sendToCenter", order.id, group.center.id, [order, group, shipTo], group.items, () => {
      const state = this.state(order.id);
      const id = group.center.id;
      const arrival = id in state.arrivals ? state.arrivals[id]! : addDays(Date.now(), group.center.leadTimeDays);
      const record = { centerId: id, shipmentId: `shp_${order.id}_${id}`, estimatedArrival: arrival };
      if (!state.shipments.has(id)) state.shipments.set(id, { ...record, manual: false });
      return record;
    });
  }

  recordManualFulfillment(orderId: string, centerId: string): Promise<ShipmentRecord> {
    return this.call("recordManualFulfillment", orderId, centerId, [orderId, centerId], () => {
      const record = { centerId, shipmentId: null, estimatedArrival: null };
      const shipments = this.state(orderId).shipments;
      if (!shipments.has(centerId)) shipments.set(centerId, { ...record, manual: true });
      return record;
    });
  }

  // The Shipments object's ports: after the hand-off, which these specs end at. The order's run
  // asks that object to watch its shipments; with nothing recorded here it finds none waiting.
  findUnshipped(orderId: string) {
    return this.call("findUnshipped", orderId, undefined, [orderId], () => []);
  }
  findShipmentEvent = async () => undefined;
  applyShipmentEvent = async () => undefined;
  openShipmentIncident = async () => undefined;
  findShipmentIncident = async () => undefined;
  resolveShipmentIncident = async () => undefined;
  resendToCenter = async () => undefined;
  settleShipmentByHand = async () => undefined;

  emailAbandonNotice(order: OrderSession): Promise<void> {
    return this.call("emailAbandonNotice", order.id, undefined, [order], () => {
      const handed = [...this.state(order.id).shipments.keys()];
      this.state(order.id).abandonNotices.push(handed);
    });
  }

  emailSupport(alert: Alert): Promise<"sent" | "no support address"> {
    return this.call("emailSupport", alert.orderId, alert.incidentId, [alert], () => "sent" as const);
  }

  sendEmail(orderId: string, to: string, content: EmailContent): Promise<void> {
    return this.call("sendEmail", orderId, content.kind, [orderId, to, content], () => undefined);
  }

  recordHistory(order: OrderSession, shipments: ShipmentRecord[], estimatedArrival: string): Promise<void> {
    return this.call("recordHistory", order.id, undefined, [order, shipments, estimatedArrival], () => {
      const state = this.state(order.id);
      state.history ??= { shipments, estimatedArrival };
    });
  }

  findDecision(incidentId: string): Promise<RecordedDecision | undefined> {
    const state = [...this.orders.values()].find((s) => s.incidents.has(incidentId));
    return this.call(
      "findDecision",
      state?.session.id,
      undefined,
      [incidentId],
      () => state?.incidents.get(incidentId)?.recorded,
    );
  }

  findPaymentEvent(
    eventId: string,
  ): Promise<{ orderId: string; outcome: PaymentEvent["outcome"]; expired?: boolean } | undefined> {
    const state = [...this.orders.values()].find((s) => s.paymentEvents.has(eventId));
    return this.call("findPaymentEvent", state?.session.id, undefined, [eventId], () => {
      const event = state?.paymentEvents.get(eventId);
      return event && { orderId: state!.session.id, outcome: event.outcome, expired: event.expired ?? false };
    });
  }

  checkBeforeHandOff(orderId: string, options: { shipAnyway?: boolean } = {}): Promise<GateVerdict> {
    return this.call("checkBeforeHandOff", orderId, options.shipAnyway ? "ship anyway" : undefined, [orderId], () => {
      const state = this.state(orderId);
      if (state.handedOff) return { verdict: "go" as const };
      const verdict = gateVerdict(state.signals, options);
      if (verdict.verdict === "go") state.handedOff = true;
      return verdict;
    });
  }

  findStripeSignal(eventId: string): Promise<StripeSignalFacts | undefined> {
    const state = [...this.orders.values()].find((s) => s.signals.some((x) => x.eventId === eventId));
    return this.call("findStripeSignal", state?.session.id, undefined, [eventId], () => {
      const signal = state?.signals.find((x) => x.eventId === eventId);
      return signal && { ...signal, customerId: state!.session.customerId, centerIds: centersOf(state!.session.items) };
    });
  }

  setStatus(orderId: string, status: OrderStatus): Promise<void> {
    return this.call("setStatus", orderId, status, [orderId, status], () => {
      this.state(orderId).row = { status };
    });
  }

  openIncident(incident: {
    id: string;
    orderId: string;
    customerId: string;
    step: string;
    error: string;
  }): Promise<string> {
    return this.call("openIncident", incident.orderId, incident.step, [incident], () => {
      const state = this.state(incident.orderId);
      // As the database answers for an open incident it already had (or, in a test, the id an
      // older deployment journaled).
      const id = this.incidentIds.get(incident.orderId)?.shift() ?? incident.id;
      if (!state.incidents.has(id)) state.incidents.set(id, { ...incident, id });
      state.row = { status: "needs_attention" };
      return id;
    });
  }

  private readonly incidentIds = new Map<string, string[]>();
  /** The ids openIncident answers for this order's next incidents, in order. */
  answerIncidentIds(orderId: string, ...ids: string[]) {
    this.incidentIds.set(orderId, ids);
  }

  resolveIncident(incidentId: string, decision: Pick<Decision, "action">): Promise<void> {
    const state = [...this.orders.values()].find((s) => s.incidents.has(incidentId));
    return this.call("resolveIncident", state?.session.id, decision.action, [incidentId, decision], () => {
      const incident = state?.incidents.get(incidentId);
      if (!state || !incident) throw new PermanentError(`unknown incident ${incidentId}`);
      if (incident.decision) return; // decided once, like the open → resolved row update
      incident.decision = decision;
      state.row = { status: decision.action === "abandon" ? "abandoned" : "processing" };
    });
  }

  /** The real classification (db/errors.ts), so a fake port can fail the way the database does. */
  isPlatformFault(err: unknown): boolean {
    return isDatabaseUnavailable(err);
  }

  alertLinks(orderId: string, invocationId: string): ReturnType<OrderPorts["alertLinks"]> {
    return {
      orderUrl: `http://fake/orders/${orderId}`,
      consoleUrl: `http://fake/console/orders/${orderId}`,
      journalCommand: `npx restate invocations describe ${invocationId}`,
    };
  }

  /** The stuck-order sweeper is specified against Restate itself (test/integration/stuck-orders.test.ts). */
  async findStuckOrders(): Promise<Alert[]> {
    return [];
  }

  postToSlack(message: SlackMessage): Promise<"posted" | "logged"> {
    return this.call("postToSlack", undefined, undefined, [message], () => "posted" as const);
  }

  // ---- mechanics -------------------------------------------------------------------------------

  private state(orderId: string): OrderState {
    const state = this.orders.get(orderId);
    if (!state) throw new Error(`fake ports: order ${orderId} was never seeded`);
    return state;
  }

  private async call<T>(
    port: PortName,
    orderId: string | undefined,
    target: string | undefined,
    args: unknown[],
    ...rest: [body: () => T] | [items: LineItemSnapshot[], body: () => T]
  ): Promise<T> {
    const body = rest.length === 1 ? rest[0] : rest[1];
    const items = rest.length === 2 ? structuredClone(rest[0]) : undefined;
    const call: PortCall = {
      port,
      orderId,
      target,
      args: structuredClone(args),
      ...(items && { items }),
      at: Date.now(),
    };
    this.log.push(call);
    try {
      const state = orderId === undefined ? undefined : this.orders.get(orderId);
      if (state?.barrier?.ports.has(port)) await passBarrier(state.barrier);
      const delay = state?.delays.find((d) => d.port === port && (d.target === undefined || d.target === target));
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay.ms));
      const failure = state?.failures.find(
        (f) => f.port === port && f.left > 0 && (f.target === undefined || f.target === target),
      );
      if (failure) {
        failure.left--;
        throw failure.error();
      }
      const value = body();
      call.endedAt = Date.now();
      return value;
    } catch (err) {
      call.endedAt = Date.now();
      call.error = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }
}

async function passBarrier(b: Barrier) {
  if (b.released) return;
  b.arrived++;
  if (b.broken)
    throw new PermanentError(`barrier: call ${b.arrived} started after the first gave up waiting for ${b.parties}`);
  if (b.arrived >= b.parties) {
    b.released = true;
    b.release();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Fail the later calls at once, so a sequential workflow escalates now rather than
      // after one timeout per call.
      b.broken = true;
      reject(
        new PermanentError(
          `barrier: only ${b.arrived} of ${b.parties} calls started together within ${b.timeoutMs} ms`,
        ),
      );
    }, b.timeoutMs);
  });
  try {
    await Promise.race([b.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function toCheck(payment: PaymentScript): PaymentCheck {
  if (typeof payment !== "string") return payment;
  switch (payment) {
    case "failed":
      return { outcome: "failed", reason: "the card was declined" };
    case "mismatch":
      return { outcome: "mismatch", reason: "Stripe charged 999 eur, the order is 1000 usd" };
    default:
      return { outcome: payment };
  }
}
