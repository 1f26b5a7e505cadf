// `npm run demo`: places one order against a running `npm start` and follows it to the end:
// checkout (as the shop's backend, with its API key) → pay in the Stripe emulator (which sends the
// signed webhook) → poll the customer's order page → print the order as that page shows it, every
// step included. Then, as each stand-in center would, report its parcel shipped and then delivered
// (signed events, through the centers' control endpoint), printing the page's tracking as the
// order moves to delivered, and the emails the customer got (read as an operator, through
// GET /admin/orders/:id/emails: without SMTP_URL they stay in the outbox). With --pay-in-browser
// it stops after the checkout and prints the checkout page's URL: pay or decline there, and
// follow it in the console.
//
// The page is the workflow's live view, published once per phase. The run's output is journaled
// after its last publish, so once Restate's ingress gives the output, the page shows every step:
// the demo waits for it before its last read instead of trusting the first final status it polls.
import { parseEnv } from "../src/config.ts";
import { isFinal } from "../src/domain/order.ts";
import type { PublicOrderView } from "../src/domain/order-view.ts";
import { givenOr, localPorts } from "./local-ports.ts";
import { localTokens } from "./local-secrets.ts";

// Where `npm start` put everything: the same environment (POSTPAY_PORT_OFFSET included) finds it.
const env = parseEnv();
const ports = localPorts();
const app = env.PUBLIC_URL ?? `http://127.0.0.1:${givenOr(process.env.HTTP_PORT, ports.http)}`;
const ingress = process.env.RESTATE_INGRESS_URL?.trim()
  ? env.RESTATE_INGRESS_URL[0]!.replace(/\/+$/, "")
  : `http://127.0.0.1:${ports.restateIngress}`;
const emulator = env.STRIPE_API_BASE ?? `http://127.0.0.1:${ports.stripeEmulator}`;
const centers = `http://127.0.0.1:${ports.centers}`;
const tokens = localTokens(env.POSTPAY_DATA_DIR);
const shopApiKey = env.SHOP_API_KEY ?? tokens.shopApiKey;
const adminToken = env.ADMIN_TOKEN ?? tokens.adminToken;

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(60_000),
  }).catch((err: Error) => {
    throw new Error(`${url} unreachable (${err.message}): is \`npm start\` running?`);
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status} ${text}`);
  return JSON.parse(text);
}

const stepList = (order: PublicOrderView) =>
  order.steps.map((s) => `${s.name}${s.status === "done" ? "" : ` (${s.status})`}`).join(" → ");
const time = (iso: string) => iso.slice(11, 23);
const pause = () => new Promise((r) => setTimeout(r, 200));

type Shipment = PublicOrderView["shipments"][number];
const tracking = (s: Shipment) =>
  s.trackingNumber ? `${s.carrier} ${s.trackingNumber} <${s.trackingUrl}>` : "no tracking yet";
const shipmentLines = (order: PublicOrderView) =>
  order.shipments.map((s) => `    ${s.centerId.padEnd(9)} ${s.status.padEnd(10)} ${tracking(s)}`).join("\n");

/** As a center's staff would: its stand-in signs the event and sends it to postpay's door. */
async function report(id: string, centerId: string, status: "shipped" | "delivered") {
  const sent = await call("POST", `${centers}/_control/centers/${centerId}/events`, { orderId: id, status });
  if (sent.status !== 200) throw new Error(`${centerId}'s ${status} event: postpay answered ${sent.status}`);
  // The event is recorded; the order's Shipments object applies it a moment later.
  let order: PublicOrderView = await call("GET", `${app}/orders/${id}`);
  for (let i = 0; i < 100 && order.shipments.find((s) => s.centerId === centerId)?.status !== status; i++) {
    await pause();
    order = await call("GET", `${app}/orders/${id}`);
  }
  console.log(`${centerId} reports ${status} (event ${sent.event.eventId}) → postpay answered ${sent.status}`);
  console.log(`  fulfillment: ${order.fulfillment}\n${shipmentLines(order)}`);
}

/** The customer's emails, as operators read them; waits for `kinds` (they follow the status by a moment). */
async function emails(id: string, kinds: string[]) {
  const admin = { authorization: `Bearer ${adminToken}` };
  let sent: { kind: string; subject: string; sentAt: string | null }[] = [];
  for (let i = 0; i < 100 && !kinds.every((k) => sent.some((e) => e.kind === k)); i++) {
    if (i) await pause();
    sent = (await call("GET", `${app}/admin/orders/${id}/emails`, undefined, admin)).emails;
  }
  return sent;
}

try {
  const checkout = await call(
    "POST",
    `${app}/checkout`,
    {
      customerId: "cus_demo",
      email: "demo@example.com",
      items: [
        { productId: "sku-mug", quantity: 2 },
        { productId: "sku-tee", quantity: 1 },
        { productId: "sku-cap", quantity: 1 },
      ],
    },
    { authorization: `Bearer ${shopApiKey}` },
  );
  const id: string = checkout.paymentSessionId;
  console.log(`checkout created: order ${id} (Stripe ${checkout.stripeCheckoutSessionId})`);
  if (process.argv.includes("--pay-in-browser")) {
    console.log(`\npay or decline it here:  ${checkout.url}`);
    console.log(`then follow it here:     ${app}/console/orders/${id}`);
    process.exit(0);
  }
  const paid = await call(
    "POST",
    `${emulator}/_emulator/checkout/sessions/${checkout.stripeCheckoutSessionId}/complete`,
    {},
  );
  console.log(`paid; Stripe event ${paid.eventId} delivered → webhook answered ${paid.status}`);

  // Progress, as the page shows it while the order runs (before its run begins it has no steps).
  let order: PublicOrderView = await call("GET", `${app}/orders/${id}`);
  let last = "";
  for (let i = 0; i < 300 && !isFinal(order.status) && order.status !== "needs_attention"; i++) {
    const line = order.steps.length ? `${order.status}: ${stepList(order)}` : order.status;
    if (line !== last) console.log(line);
    last = line;
    await new Promise((r) => setTimeout(r, 200));
    order = await call("GET", `${app}/orders/${id}`);
  }
  // A final status: wait for the run's output, then read the page again.
  if (isFinal(order.status)) {
    await call("GET", `${ingress}/restate/workflow/OrderWorkflow/${encodeURIComponent(id)}/attach`);
    order = await call("GET", `${app}/orders/${id}`);
  }

  console.log(`\n${order.status} — GET /orders/${id}:`);
  for (const [n, s] of order.steps.entries())
    console.log(`  ${String(n + 1).padStart(2)}. ${s.name.padEnd(28)} ${s.status.padEnd(8)} ${time(s.at)}`);
  for (const s of order.shipments)
    console.log(
      `  shipment from ${s.centerId}: ${s.shipmentId ?? "fulfilled by hand"}, arriving ${s.estimatedArrival ?? "n/a"}`,
    );
  console.log(`  estimated arrival: ${order.estimatedArrival ?? "n/a"}`);
  if (order.status === "needs_attention") console.log(`\nan operator decides: ${app}/console/orders/${id}`);

  if (order.status === "completed") {
    console.log(`\nafter the hand-off — fulfillment: ${order.fulfillment}\n${shipmentLines(order)}\n`);
    for (const status of ["shipped", "delivered"] as const)
      for (const s of order.shipments) await report(id, s.centerId, status);

    const expected = ["confirmation", ...order.shipments.map((s) => `shipped:${s.centerId}`), "delivered"];
    const sent = await emails(id, expected);
    console.log(`\nthe customer's emails (GET /admin/orders/${id}/emails, as an operator):`);
    for (const e of sent) console.log(`  ${e.kind.padEnd(17)} ${e.subject}${e.sentAt ? "  (sent)" : ""}`);
    if (sent.some((e) => !e.sentAt)) console.log("  (not sent: kept in the outbox and logged, as SMTP_URL is unset)");
  }
  const cli = ports.offset ? `RESTATE_ADMIN_URL=http://127.0.0.1:${ports.restateAdmin} npx restate` : "npx restate";
  console.log(`\njournal: ${cli} invocations list --service OrderWorkflow --key ${id} --all`);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
