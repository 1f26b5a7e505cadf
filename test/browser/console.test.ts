// The operator console in a real headless Chromium, against the whole stack: a person signs in,
// sees an incident arrive in the queue, opens the order, retries once the center is fixed and
// watches the order complete on its page, which refreshes by itself. Wrong tokens, missing
// sessions and forms without their CSRF token decide nothing. After the hand-off, the address typed on
// the checkout page reaches the center and the order page follows the parcel (status, carrier, a link
// to its tracking, the fulfillment summary) to delivered. Screenshots go to test/browser/artifacts/.
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incidentsFor } from "../../db/incidents.ts";
import { SESSION_COOKIE } from "../../src/http/console/session.ts";
import {
  clickAndWait,
  evaluate,
  launchBrowser,
  screenshot,
  shownStatus,
  signIn,
  textOf,
  waitInPage,
} from "../support/browser.ts";
import { PRODUCTS, startStack, type Stack } from "../support/stack.ts";
import { until } from "../support/wait.ts";

let stack: Stack;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  // Pens are scarce here, so the inventory page has a low-stock product to highlight.
  stack = await startStack({ products: PRODUCTS.map((p) => (p.id === "sku-pen" ? { ...p, stock: 5 } : p)) });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** A fresh browser profile: no cookies from another test. */
async function freshPage() {
  const page = await (await browser.createBrowserContext()).newPage();
  pages.push(page);
  return page;
}

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844, isMobile: true, hasTouch: true };

const token = () => stack.config.adminToken;

/** An order whose fc-north shipment the center rejects (422): an incident waiting for an operator. */
async function rejectedAtNorth(customerId: string) {
  stack.centers.script("fc-north", [{ status: 422, body: { error: "address not serviceable" } }]);
  const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout(
    [
      { productId: "sku-mug", quantity: 1 },
      { productId: "sku-cap", quantity: 2 },
    ],
    customerId,
  );
  await stack.pay(stripeCheckoutSessionId);
  return id;
}

describe("signing in", () => {
  it("refuses a wrong token slowly, lets nobody in without a session, and signs out", async () => {
    const page = await freshPage();
    await page.goto(`${stack.http.url}/console/inventory`);
    expect(page.url()).toBe(`${stack.http.url}/console/sign-in?next=%2Fconsole%2Finventory`);

    await page.type("#token", "not-the-admin-token-0123456789");
    const started = Date.now();
    const refused = await clickAndWait(page, "button[type=submit]");
    expect(refused?.status()).toBe(401);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(await textOf(page, "[role=alert]")).toContain("not an operator's token");
    expect(await page.cookies()).toEqual([]);

    // Without a session a POST is refused outright.
    const post = `fetch("/console/orders/ps_x/decision", { method: "POST", body: new URLSearchParams({ action: "retry", incidentId: "ps_x#1" }) }).then((r) => r.status)`;
    expect(await evaluate(page, post)).toBe(401);

    await page.type("#token", token());
    await clickAndWait(page, "button[type=submit]");
    expect(page.url()).toBe(`${stack.http.url}/console/inventory`); // back where the operator was going
    const [cookie] = await page.cookies();
    expect(cookie).toMatchObject({
      name: SESSION_COOKIE,
      httpOnly: true,
      sameSite: "Strict",
      path: "/console",
      secure: false,
    });

    // Inventory: the scarce product is highlighted, the others are not.
    expect(
      await evaluate(page, `[...document.querySelectorAll("#inventory tr.low")].map((r) => r.dataset.product)`),
    ).toEqual(["sku-pen"]);
    await screenshot(page, "inventory");

    await clickAndWait(page, "form.sign-out button");
    expect(page.url()).toContain("/console/sign-in");
    await page.goto(`${stack.http.url}/console`);
    expect(page.url()).toContain("/console/sign-in");
  });
});

describe("deciding an incident", () => {
  it("shows a new incident in the queue by itself; Retry after the center is fixed completes the order, live on its page", async () => {
    const page = await freshPage();
    await signIn(page, stack.http.url, token());
    expect(await textOf(page, "h1")).toContain("Incidents");

    const id = await rejectedAtNorth("cus_browser");
    const row = `[data-incident^="${id}#1."]`;
    // No reload from the test: the queue refreshes itself when the incident is recorded.
    await waitInPage<boolean>(page, `!!document.querySelector('${row}')`, (found) => found);
    const text = (await textOf(page, row))!;
    expect(text).toContain("send to fc-north");
    expect(text).toContain("address not serviceable");
    expect(text).toContain("cus_browser");
    await screenshot(page, "queue");
    await page.setViewport(PHONE);
    await screenshot(page, "queue-phone");
    await page.setViewport(DESKTOP);

    await clickAndWait(page, `${row} a[href^="/console/orders/"]`);
    expect(await textOf(page, "#order-id")).toBe(id);
    expect(await shownStatus(page)).toBe("needs_attention");
    expect(await textOf(page, '#steps [data-step="send to fc-north"]')).toContain("failed");
    await screenshot(page, "order-needs-attention");

    // The center is fixed, and answers a little slowly: the retry is still running when the page loads.
    stack.centers.script("fc-north", [{ status: 201, delayMs: 1500 }]);
    await page.type("#open-incident input[name=note]", "center fixed");
    await clickAndWait(page, '#open-incident button[value="retry"]');
    expect(page.url()).toBe(`${stack.http.url}/console/orders/${id}?decided=retry`);
    expect(["processing", "needs_attention"]).toContain(await shownStatus(page));

    await waitInPage(page, `document.querySelector("#status [data-status]")?.dataset.status`, (s) => s === "completed");
    const decision = (await textOf(page, `#incidents [data-incident^="${id}#1."]`))!;
    expect(decision).toContain("retry by admin via console");
    expect(decision).toContain("center fixed");
    const north = await evaluate<string[]>(
      page,
      `[...document.querySelectorAll('#steps [data-step="send to fc-north"]')].map((r) => r.textContent.replace(/\\s+/g, " "))`,
    );
    expect(north).toEqual([
      expect.stringContaining("failed"),
      expect.stringMatching(/done [\d:.]+ [\d:.]+ \d+(\.\d)? m?s/),
    ]); // started, finished, took
    expect(await textOf(page, "#emails")).toContain("confirmation");
    expect(await textOf(page, "#journal-command")).toMatch(
      /^RESTATE_ADMIN_URL=http:\/\/127\.0\.0\.1:\d+ npx restate invocations describe inv_/,
    );
    await screenshot(page, "order-completed");
    await page.setViewport(PHONE);
    await screenshot(page, "order-completed-phone", false);

    const [incident] = await incidentsFor(stack.db, id);
    expect(incident).toMatchObject({
      status: "resolved",
      resolution: "retry",
      note: "center fixed",
      decidedBy: "admin",
      decidedVia: "console",
    });
  });

  it("refuses a decision form without its CSRF token or from another origin; a confirmed Abandon goes through", async () => {
    const id = await rejectedAtNorth("cus_csrf");
    await stack.waitForStatus(id, ["needs_attention"]);
    const page = await freshPage();
    await signIn(page, stack.http.url, token(), `/console/orders/${id}`);

    // The hidden field removed: the form is posted without its token.
    await evaluate(page, `document.querySelector('#open-incident input[name="csrf"]').remove()`);
    const withoutToken = await clickAndWait(page, '#open-incident button[value="retry"]');
    expect(withoutToken?.status()).toBe(403);
    expect(await textOf(page, "h1")).toBe("Refused");

    // The right token, but posted by a page of another origin: hono's origin check refuses it.
    await page.goBack();
    const csrfToken = await evaluate<string>(page, `document.querySelector('#open-incident input[name="csrf"]').value`);
    const incidentId = (await stack.waitForStatus(id, ["needs_attention"])).incident!.id;
    await page.goto(`${stack.stripe.url}/_emulator/events`);
    const forged = `(() => { const f = document.createElement("form"); f.method = "post"; f.action = ${JSON.stringify(`${stack.http.url}/console/orders/${id}/decision`)};
      for (const [k, v] of Object.entries({ action: "retry", incidentId: ${JSON.stringify(incidentId)}, csrf: ${JSON.stringify(csrfToken)} })) {
        const i = document.createElement("input"); i.name = k; i.value = v; f.append(i); }
      document.body.append(f); f.submit(); })()`;
    const [crossOrigin] = await Promise.all([page.waitForNavigation(), evaluate(page, forged)]);
    expect(crossOrigin?.status()).toBe(403);

    expect((await incidentsFor(stack.db, id))[0]).toMatchObject({ status: "open", resolution: null });
    expect((await stack.waitForStatus(id, ["needs_attention"])).incident?.id).toBe(incidentId);

    // Abandon asks first; only the confirmation decides.
    await page.goto(`${stack.http.url}/console/orders/${id}`);
    await clickAndWait(page, '#open-incident button[value="abandon"]');
    expect(await textOf(page, "h1")).toBe("Abandon the order?");
    expect((await incidentsFor(stack.db, id))[0]!.resolution).toBeNull();
    await page.type("input[name=note]", "customer cancelled");
    await clickAndWait(page, "button.danger");
    await waitInPage(page, `document.querySelector("#status [data-status]")?.dataset.status`, (s) => s === "abandoned");
    expect((await incidentsFor(stack.db, id))[0]).toMatchObject({
      resolution: "abandon",
      note: "customer cancelled",
      decidedVia: "console",
    });
  });

  it("opens the order from a link on another site (a Slack alert) for a signed-in operator", async () => {
    const id = await rejectedAtNorth("cus_link");
    const page = await freshPage();
    await signIn(page, stack.http.url, token());
    // localhost and 127.0.0.1 are different sites: the SameSite=Strict cookie is not sent on this click.
    await page.goto(`${stack.stripe.url.replace("127.0.0.1", "localhost")}/_emulator/events`);
    await evaluate(
      page,
      `(() => { const a = document.createElement("a"); a.id = "alert"; a.href = ${JSON.stringify(`${stack.http.url}/console/orders/${id}`)}; a.textContent = "Open the order"; document.body.append(a); })()`,
    );
    await page.click("#alert");
    await waitInPage(page, `document.querySelector("#order-id")?.textContent`, (t) => t === id);
    expect(page.url()).toBe(`${stack.http.url}/console/orders/${id}`);
  });
});

describe("buying through the Stripe emulator's checkout page", () => {
  it("Pay completes the order, Decline ends it as payment_failed; the orders page filters and searches them", async () => {
    const page = await freshPage();
    const paid = await stack.checkout([{ productId: "sku-tee", quantity: 2 }], "cus_pays");
    await page.goto(paid.url);
    expect(await textOf(page, "#items")).toContain("T-shirt × 2");
    expect(await textOf(page, "#total")).toBe("50.00 USD");
    await screenshot(page, "checkout");
    await clickAndWait(page, 'button[value="pay"]');
    expect(await textOf(page, "#outcome")).toBe("Payment succeeded");
    await stack.waitForStatus(paid.paymentSessionId, ["completed"]);

    const declined = await stack.checkout([{ productId: "sku-mug", quantity: 1 }], "cus_declines");
    await page.goto(declined.url);
    await clickAndWait(page, 'button[value="decline"]');
    expect(await textOf(page, "#outcome")).toBe("Payment declined");
    await stack.waitForStatus(declined.paymentSessionId, ["payment_failed"]);

    await signIn(page, stack.http.url, token(), "/console/orders?status=payment_failed");
    const listed = () =>
      evaluate<string[]>(page, `[...document.querySelectorAll("#orders tr[data-order]")].map((r) => r.dataset.order)`);
    expect(await listed()).toEqual([declined.paymentSessionId]);
    await page.goto(`${stack.http.url}/console/orders?q=cus_pay`);
    expect(await listed()).toEqual([paid.paymentSessionId]);
    await page.goto(`${stack.http.url}/console/orders`);
    const all = await listed();
    expect(all.slice(0, 2)).toEqual([declined.paymentSessionId, paid.paymentSessionId]); // newest first
    await screenshot(page, "orders");
  });
});

describe("an order after the hand-off", () => {
  it("takes the address typed on the checkout page to the center, and its page tracks the parcel to delivered", async () => {
    const page = await freshPage();
    const order = await stack.checkout([{ productId: "sku-tee", quantity: 1 }], "cus_ships");
    await page.goto(order.url);
    // The form comes prefilled with a test address: the customer types their own over it.
    const typed = {
      name: "Ada O'Hara",
      line1: "12 St James's Square",
      line2: "Flat 3",
      city: "London",
      state: "",
      postal_code: "SW1Y 4JH",
    };
    for (const [field, value] of Object.entries(typed))
      await page.locator(`#shipping input[name=${field}]`).fill(value);
    await page.select("#shipping select[name=country]", "GB");
    await screenshot(page, "checkout-address");
    await clickAndWait(page, 'button[value="pay"]');
    expect(await textOf(page, "#outcome")).toBe("Payment succeeded");
    await stack.waitForStatus(order.paymentSessionId, ["completed"]);

    // What fc-west was handed: the address as typed (a blank optional field is left out).
    const [handed] = stack.acceptedFor(order.paymentSessionId);
    expect(handed?.order.shipTo).toEqual({
      name: "Ada O'Hara",
      line1: "12 St James's Square",
      line2: "Flat 3",
      city: "London",
      postalCode: "SW1Y 4JH",
      country: "GB",
    });

    await signIn(page, stack.http.url, token(), `/console/orders/${order.paymentSessionId}`);
    expect(await evaluate(page, `document.querySelector("#ship-to").innerText`)).toBe(
      "Ada O'Hara\n12 St James's Square\nFlat 3\nSW1Y 4JH London\nGB",
    );
    expect(await textOf(page, "#fulfillment")).toBe("awaiting shipment");
    const west = '#shipments tr[data-center="fc-west"]';
    const shipmentStatus = () =>
      evaluate<string>(page, `document.querySelector('${west} [data-shipment-status]')?.dataset.shipmentStatus`);
    expect(await shipmentStatus()).toBe("accepted");
    // The shipment moves first, its email follows in the same invocation: reload until it is stored.
    const reloadUntilEmailed = async (kind: string) => {
      const kinds = () =>
        evaluate<string[]>(
          page,
          `[...document.querySelectorAll('#emails [data-label="Kind"]')].map((td) => td.textContent)`,
        );
      const stored = async () => {
        await page.reload();
        return (await kinds()).includes(kind);
      };
      await until(stored, {
        intervalMs: 200,
        what: `a ${kind} email`,
      });
      return kinds();
    };

    // The center reports the parcel on its way, signed with its secret, as a real one would.
    const parcel = {
      carrier: "Parcelwise",
      trackingNumber: "PW0042GB",
      trackingUrl: "https://tracking.example.com/PW0042GB",
    };
    const shipped = await stack.centers.sendEvent("fc-west", {
      orderId: order.paymentSessionId,
      status: "shipped",
      ...parcel,
    });
    expect(shipped.status).toBe(200);
    const fulfillment = async () =>
      (await stack.api("GET", `/orders/${order.paymentSessionId}`)).body.fulfillment as string;
    await expect.poll(fulfillment).toBe("shipped");
    // A completed order's page does not refresh itself: the operator reloads it.
    await page.reload();
    expect(await shipmentStatus()).toBe("shipped");
    expect(await textOf(page, "#fulfillment")).toBe("shipped");
    expect(await textOf(page, `${west} [data-label="Tracking"]`)).toBe("Parcelwise PW0042GB");
    expect(
      await evaluate(
        page,
        `(({ href, textContent }) => ({ href, text: textContent }))(document.querySelector('${west} [data-label="Tracking"] a'))`,
      ),
    ).toEqual({ href: parcel.trackingUrl, text: parcel.trackingNumber });
    expect(await textOf(page, `${west} [data-label="Shipped"]`)).not.toBe("—");
    await reloadUntilEmailed("shipped:fc-west");
    await screenshot(page, "order-shipped");

    const delivered = await stack.centers.sendEvent("fc-west", {
      orderId: order.paymentSessionId,
      status: "delivered",
      ...parcel,
    });
    expect(delivered.status).toBe(200);
    await expect.poll(fulfillment).toBe("delivered");
    await page.reload();
    expect(await shipmentStatus()).toBe("delivered");
    expect(await textOf(page, "#fulfillment")).toBe("delivered");
    expect(await textOf(page, `${west} [data-label="Tracking"]`)).toBe("Parcelwise PW0042GB");
    expect(await reloadUntilEmailed("delivered")).toEqual(["confirmation", "shipped:fc-west", "delivered"]);
    await screenshot(page, "order-delivered");
  });
});

describe("Stripe's news on an order's page", () => {
  it("shows the payment with its Dashboard link, and a dispute opened, then lost", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(
      [{ productId: "sku-mug", quantity: 1 }],
      "cus_browser_dispute",
    );
    await stack.pay(cs);
    await stack.waitForStatus(id, ["completed"]);
    const { disputeId, delivery } = await stack.stripe.openDispute(cs, "product_not_received");
    expect(delivery.status).toBe(200);
    expect((await stack.stripe.closeDispute(disputeId, "lost")).delivery.status).toBe(200);

    const page = await freshPage();
    await page.setViewport(DESKTOP);
    await signIn(page, stack.http.url, token(), `/console/orders/${id}`);
    const link = await evaluate<string>(page, `document.querySelector("#dashboard-link").href`);
    expect(link).toMatch(/^https:\/\/dashboard\.stripe\.com\/test\/payments\/pi_/);
    expect(await textOf(page, "#payment")).toContain("charge ch_");
    const rows = await evaluate<string[][]>(
      page,
      `[...document.querySelectorAll("#stripe-events tbody tr")].map((r) => [r.dataset.type, r.innerText])`,
    );
    expect(rows.map(([type]) => type)).toEqual(["charge.dispute.created", "charge.dispute.closed"]);
    for (const [, text] of rows) for (const fact of ["12.00 USD", "product_not_received"]) expect(text).toContain(fact);
    expect(rows[0]![1]).toMatch(/dispute opened[\s\S]*status needs_response/);
    expect(rows[1]![1]).toMatch(/dispute closed[\s\S]*status lost/);
    await screenshot(page, "order-dispute");
  });
});
