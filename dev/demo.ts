// `npm run demo`: places one order against a running `npm start` and follows it to the end:
// checkout (as the shop's backend, with its API key) → pay in the Stripe emulator (which sends the
// signed webhook) → poll the customer's order page. With --pay-in-browser it stops after the
// checkout and prints the checkout page's URL: pay or decline there, and follow it in the console.
import { parseEnv } from "../src/config.ts";
import { localShopApiKey } from "./local-secrets.ts";

const env = parseEnv();
const app = env.PUBLIC_URL ?? `http://127.0.0.1:${env.HTTP_PORT}`;
const emulator = env.STRIPE_API_BASE ?? "http://127.0.0.1:12111";
const shopApiKey = env.SHOP_API_KEY ?? localShopApiKey(env.POSTPAY_DATA_DIR);

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  }).catch((err: Error) => {
    throw new Error(`${url} unreachable (${err.message}): is \`npm start\` running?`);
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status} ${text}`);
  return JSON.parse(text);
}

try {
  const checkout = await call("POST", `${app}/checkout`, {
    customerId: "cus_demo",
    email: "demo@example.com",
    items: [
      { productId: "sku-mug", quantity: 2 },
      { productId: "sku-tee", quantity: 1 },
      { productId: "sku-cap", quantity: 1 },
    ],
  }, { authorization: `Bearer ${shopApiKey}` });
  console.log(`checkout created: order ${checkout.paymentSessionId} (Stripe ${checkout.stripeCheckoutSessionId})`);
  if (process.argv.includes("--pay-in-browser")) {
    console.log(`\npay or decline it here:  ${checkout.url}`);
    console.log(`then follow it here:     ${app}/console/orders/${checkout.paymentSessionId}`);
    process.exit(0);
  }
  const paid = await call("POST", `${emulator}/_emulator/checkout/sessions/${checkout.stripeCheckoutSessionId}/complete`, {});
  console.log(`paid; Stripe event ${paid.eventId} delivered → webhook answered ${paid.status}`);

  let last = "";
  for (let i = 0; i < 300; i++) {
    const order = await call("GET", `${app}/orders/${checkout.paymentSessionId}`);
    const line = `${order.status}: ${order.steps.map((s: { name: string; status: string }) => `${s.name}${s.status === "done" ? "" : ` (${s.status})`}`).join(" → ")}`;
    if (line !== last) console.log(line);
    last = line;
    if (["completed", "payment_failed", "abandoned", "needs_attention"].includes(order.status)) {
      console.log(`\nestimated arrival: ${order.estimatedArrival ?? "n/a"}`);
      console.log(`journal: npx restate invocations list --service OrderWorkflow --key ${checkout.paymentSessionId} --all`);
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
