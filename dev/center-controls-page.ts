// A page on the local fulfillment centers (GET / on their port) to break a center from a browser
// and fix it again: queue a rejection or a run of outages, or clear what is queued; and to report
// on the orders a center took: shipped, delivered or an exception, as signed events to postpay.
// The same controls exist as JSON (POST /_control/centers/:id/script and /events) for tests.
import { Hono } from "hono";
import { html } from "hono/html";
import type { CenterEvents } from "./center-events.ts";

/** What a center answers its next order with, as scripted by a test or this page. */
export type ScriptedResponse = { status: number; body?: unknown; delayMs?: number };

export type CenterControls = {
  ids: string[];
  script(centerId: string, responses: ScriptedResponse[]): void;
  clear(centerId: string): void;
  queued(centerId: string): number;
  events: Pick<CenterEvents, "send" | "canSend">;
  /** The order ids a center has taken, oldest first. */
  ordersAt(centerId: string): string[];
};

const REPORTS = ["shipped", "delivered", "exception"] as const;

const reportButtons = (controls: CenterControls, id: string) =>
  controls.events.canSend(id)
    ? html`<ul>${controls
        .ordersAt(id)
        .slice(-10)
        .map(
          (orderId) =>
            html`<li><code>${orderId}</code> ${REPORTS.map(
              (status) =>
                html`<form method="post" action="/_control/centers/${id}/page"><input type="hidden" name="orderId" value="${orderId}"><button name="mode" value="${status}">${status}</button></form>`,
            )}</li>`,
        )}</ul>`
    : html`<p>No webhook secret for this center: it sends no shipment events.</p>`;

const BREAKS: Record<string, { label: string; responses: ScriptedResponse[] }> = {
  reject: {
    label: "Reject the next order (422)",
    responses: [{ status: 422, body: { error: { code: "rejected", message: "rejected from the control page" } } }],
  },
  outage: { label: "Fail the next 5 requests (503)", responses: Array.from({ length: 5 }, () => ({ status: 503 })) },
};

export function centerControlsPage(controls: CenterControls) {
  const app = new Hono();
  app.get("/", (c) =>
    c.html(html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Local fulfillment centers</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:1rem auto;padding:0 1rem}
section{border:1px solid #dde1e8;border-radius:8px;padding:.5rem 1rem;margin:.8rem 0}form{display:inline}button{font:inherit;margin:.2rem}</style></head>
<body><h1>Local fulfillment centers</h1>
<p>Break a center, watch the order become an incident in the console, then clear it and decide Retry.</p>
${controls.ids.map(
  (id) => html`<section id="${id}"><h2>${id}</h2><p>${controls.queued(id)} scripted answer(s) queued.</p>
${Object.entries(BREAKS).map(([mode, b]) => html`<form method="post" action="/_control/centers/${id}/page"><button name="mode" value="${mode}">${b.label}</button></form>`)}
<form method="post" action="/_control/centers/${id}/page"><button name="mode" value="clear">Clear (back to normal)</button></form>
<h3>Report on its orders</h3>${reportButtons(controls, id)}</section>`,
)}</body></html>`),
  );
  app.post("/_control/centers/:id/page", async (c) => {
    const id = c.req.param("id");
    if (!controls.ids.includes(id)) return c.text(`no fulfillment center ${id}`, 404);
    const form = await c.req.parseBody();
    const mode = form.mode;
    if (REPORTS.includes(mode as (typeof REPORTS)[number]) && typeof form.orderId === "string") {
      const sent = await controls.events.send(id, {
        orderId: form.orderId,
        status: mode as (typeof REPORTS)[number],
        ...(mode === "exception" && { note: "reported from the control page" }),
      });
      if (sent.status !== 200) return c.text(`postpay answered ${sent.status}: ${JSON.stringify(sent.body)}`, 502);
    } else if (mode === "clear") controls.clear(id);
    else if (typeof mode === "string" && BREAKS[mode]) controls.script(id, BREAKS[mode].responses);
    else return c.text("mode must be reject, outage, clear, shipped, delivered or exception", 400);
    return c.redirect("/", 303);
  });
  return app;
}
