// What the emulator remembers (Checkout Sessions, the events sent about them, responses kept for
// Idempotency-Key replay) and what paying changes: a session moves as on Stripe, and each change
// is sent as a signed event to the webhook, as Stripe would send it. The payment after checkout
// (PaymentIntent, charge, refunds, disputes, warnings, reviews): payments.ts.
import Stripe from "stripe";
import { EmulatorError, type EmulatedSession, randomId } from "./objects.ts";
import { createPayments, type EventType, type ObjectOf } from "./payments.ts";

export { EmulatorError, type EmulatedSession, randomId };
import { signWebhook } from "./sign-webhook.ts";

/** What Checkout collects when the session asks for a ship-to address (Stripe's shape). */
export type ShippingDetails = NonNullable<NonNullable<EmulatedSession["collected_information"]>["shipping_details"]>;

/** A customer's address as a developer types it on the emulator's page (or the control API's default). */
export const TEST_SHIPPING: ShippingDetails = {
  name: "Jenny Rosen",
  address: {
    line1: "354 Oyster Point Blvd",
    line2: null,
    city: "South San Francisco",
    state: "CA",
    postal_code: "94080",
    country: "US",
  },
};

/** Stripe's event envelope around an emulated object: one of the events postpay listens to. */
export type EmulatedEvent = {
  [T in EventType]: Pick<
    Stripe.EventBase,
    "id" | "object" | "api_version" | "created" | "livemode" | "pending_webhooks" | "request"
  > & { type: T; data: { object: ObjectOf[T] } };
}[EventType];

/** What the webhook endpoint answered; status 0 means it could not be reached (body = the error). */
export type Delivery = { eventId: string; status: number; body: string };
export type CompleteOptions = {
  paymentStatus?: "paid" | "unpaid";
  amountTotal?: number;
  currency?: string;
  /** The address the customer entered, when the session collects one (default TEST_SHIPPING; null: none). */
  shippingDetails?: ShippingDetails | null;
};
export type AsyncOutcome = "succeeded" | "failed";

/** The fields of a new session that come from the create request. */
export type SessionRequest = Pick<
  EmulatedSession,
  | "mode"
  | "amount_total"
  | "currency"
  | "client_reference_id"
  | "customer_email"
  | "metadata"
  | "success_url"
  | "cancel_url"
  | "shipping_address_collection"
> & { paymentIntentMetadata?: Record<string, string> };

/** A line item as the hosted checkout page lists it (Stripe keeps them apart from the session, too). */
export type PageLineItem = { name: string; quantity: number; unitAmount: number };

const DELIVERY_TIMEOUT_MS = 10_000;
const nowSecs = () => Math.floor(Date.now() / 1000);

export function createEmulatorState(options: {
  webhookSecret: string;
  webhookUrl?: string;
  payPageUrl: (id: string) => string;
}) {
  const sessions = new Map<string, EmulatedSession>();
  const events = new Map<string, EmulatedEvent>();
  const lineItems = new Map<string, PageLineItem[]>();
  // Idempotency-Key → the request it was first used with and the exact response Stripe would replay.
  const idempotency = new Map<string, { request: string; status: number; body: string }>();
  let webhookUrl = options.webhookUrl;
  const closing = new AbortController();

  const deliver = async (event: EmulatedEvent): Promise<Delivery> => {
    if (!webhookUrl) return { eventId: event.id, status: 0, body: "no webhook URL configured" };
    // Stripe sends the same payload on every attempt; only the signature's timestamp is new.
    const payload = JSON.stringify(event, null, 2);
    try {
      const res = await fetch(webhookUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json; charset=utf-8",
          "stripe-signature": signWebhook(payload, options.webhookSecret),
          "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        },
        body: payload,
        signal: AbortSignal.any([AbortSignal.timeout(DELIVERY_TIMEOUT_MS), closing.signal]),
      });
      return { eventId: event.id, status: res.status, body: await res.text() };
    } catch (err) {
      return { eventId: event.id, status: 0, body: (err as Error).message };
    }
  };

  const emit = <T extends EventType>(type: T, object: ObjectOf[T]) => {
    const event = {
      id: randomId("evt_"),
      object: "event",
      api_version: Stripe.API_VERSION,
      created: nowSecs(),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
      data: { object: structuredClone(object) },
    } as EmulatedEvent;
    events.set(event.id, event);
    return deliver(event);
  };

  const mustGet = (id: string) => {
    const session = sessions.get(id);
    if (!session) throw new EmulatorError(404, `No such checkout.session: '${id}'`);
    return session;
  };

  const piMetadata = new Map<string, Record<string, string>>();
  const payments = createPayments(emit, mustGet);

  return {
    idempotency,
    payments,
    session: (id: string) => sessions.get(id),
    lineItems: (id: string) => lineItems.get(id) ?? [],
    sessionCount: () => sessions.size,
    events: () => [...events.values()],
    setWebhookUrl(url: string | undefined) {
      webhookUrl = url;
    },

    /** A new open, unpaid session, as POST /v1/checkout/sessions creates it. */
    openSession({ paymentIntentMetadata, ...request }: SessionRequest, items: PageLineItem[] = []): EmulatedSession {
      const id = randomId("cs_test_", 58);
      const created = nowSecs();
      piMetadata.set(id, paymentIntentMetadata ?? {});
      const session: EmulatedSession = {
        id,
        object: "checkout.session",
        ...request,
        status: "open",
        payment_status: "unpaid",
        amount_subtotal: request.amount_total,
        url: options.payPageUrl(id),
        payment_intent: null,
        collected_information: null,
        created,
        expires_at: created + 24 * 3600,
        livemode: false,
      };
      sessions.set(id, session);
      lineItems.set(id, items);
      return session;
    },

    /** The customer finishes checkout: paid, or unpaid while a delayed payment method settles. */
    complete(id: string, opts: CompleteOptions = {}) {
      const session = mustGet(id);
      if (session.status !== "open")
        throw new EmulatorError(409, `checkout.session ${id} is ${session.status}, not open`);
      const allowed = session.shipping_address_collection?.allowed_countries;
      const shipping = opts.shippingDetails === undefined ? TEST_SHIPPING : opts.shippingDetails;
      if (allowed && shipping && !allowed.includes(shipping.address.country as (typeof allowed)[number])) {
        throw new EmulatorError(400, `this checkout ships to ${allowed.join(", ")}, not ${shipping.address.country}`);
      }
      session.status = "complete";
      session.payment_status = opts.paymentStatus ?? "paid";
      session.url = null; // Stripe drops the hosted page URL once the session is over.
      // Checkout asks for an address only when the session collects one.
      if (allowed)
        session.collected_information = { business_name: null, individual_name: null, shipping_details: shipping };
      if (opts.amountTotal !== undefined) session.amount_total = opts.amountTotal;
      if (opts.currency !== undefined) session.currency = opts.currency.toLowerCase();
      session.payment_intent = payments.open(session, piMetadata.get(id) ?? {}, session.payment_status === "paid");
      return emit("checkout.session.completed", session);
    },

    /** A delayed payment method settles, one way or the other. */
    asyncResult(id: string, outcome: AsyncOutcome) {
      const session = mustGet(id);
      if (session.status !== "complete" || session.payment_status !== "unpaid") {
        throw new EmulatorError(
          409,
          `checkout.session ${id} has no pending async payment (status ${session.status}, payment_status ${session.payment_status})`,
        );
      }
      if (outcome === "succeeded") session.payment_status = "paid";
      payments.settle(session.payment_intent as string, outcome === "succeeded");
      return emit(`checkout.session.async_payment_${outcome}`, session);
    },

    /** The session's time ran out before the customer paid (Stripe: 24 h by default). */
    expire(id: string) {
      const session = mustGet(id);
      if (session.status !== "open")
        throw new EmulatorError(409, `checkout.session ${id} is ${session.status}, not open`);
      session.status = "expired";
      session.url = null;
      return emit("checkout.session.expired", session);
    },

    /** Sends an event again, as Stripe retries or a developer redelivers from the dashboard. */
    resend(eventId: string) {
      const event = events.get(eventId);
      if (!event) throw new EmulatorError(404, `No such event: '${eventId}'`);
      return deliver(event);
    },

    /** Cuts deliveries in flight short. */
    close() {
      closing.abort(new Error("Stripe emulator closed"));
    },
  };
}

export type EmulatorState = ReturnType<typeof createEmulatorState>;
