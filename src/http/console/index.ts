// The operator console, /console: server-rendered pages (hono/html, auto-escaped) behind a session
// of one operator (their own token from OPERATORS, or ADMIN_TOKEN as "admin"; session.ts). Every POST passes hono's csrf() origin check and carries the
// session's CSRF token; decisions take the one decision path (decisions.ts), recorded as made
// through the console. Routes are thin: load (data.ts), render (pages/), answer.
import { setTimeout as sleep } from "node:timers/promises";
import { Hono, type Context } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { z } from "zod";
import { incidentViews } from "../../../db/incidents.ts";
import { decide } from "../decisions.ts";
import { ApiError, ERROR_STATUS, RETRY_AFTER, toApiError } from "../errors.ts";
import { limitBody } from "../middleware.ts";
import { inventoryData, orderPageData, ordersData, queueData, traceUrlOf, version, type ConsoleDeps } from "./data.ts";
import { messagePage } from "./layout.ts";
import { liveRoutes, liveUrl } from "./live.ts";
import { confirmPage, DecisionFormSchema } from "./pages/decide.ts";
import { inventoryPage } from "./pages/inventory.ts";
import { orderPage } from "./pages/order.ts";
import { ordersPage } from "./pages/orders.ts";
import { queuePage } from "./pages/queue.ts";
import { signInPage } from "./pages/sign-in.ts";
import { requireCsrfToken, requireSession, safeNext, sessionLock, type ConsoleEnv } from "./session.ts";

export type { ConsoleDeps } from "./data.ts";

const FORM_MAX_BYTES = 16 * 1024;
/** A wrong token waits this long; a client's wrong tries are also counted with the APIs' (TOKEN_FAILURES). */
const WRONG_TOKEN_DELAY_MS = 1000;

const CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'unsafe-inline'"],
  connectSrc: ["'self'"],
  imgSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

export function consoleRoutes(deps: ConsoleDeps) {
  const { db, log } = deps;
  const lock = sessionLock(deps.adminToken, {
    secure: deps.publicUrl.startsWith("https:"),
    operators: deps.operators,
  });
  const failures = deps.tokenFailures;
  const publicOrigin = new URL(deps.publicUrl).origin;
  const ui = new Hono<ConsoleEnv>();

  ui.onError((err, c) => errorPage(c, err, deps));
  ui.use("*", secureHeaders({ contentSecurityPolicy: CSP, referrerPolicy: "same-origin" }), async (c, next) => {
    await next();
    c.header("Cache-Control", "no-store");
  });
  // Origin check on every POST, sign-in included: the page must be ours (behind a proxy, PUBLIC_URL's).
  ui.use("*", csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || origin === publicOrigin }));
  ui.post("*", limitBody(FORM_MAX_BYTES));

  ui.get("/sign-in", async (c) => {
    const next = safeNext(c.req.query("next"));
    return (await lock.read(c)) ? c.redirect(next, 303) : c.html(signInPage({ next }));
  });
  ui.post("/sign-in", async (c) => {
    // A client past its wrong tokens (here or on the APIs) is not even checked: guessing stops.
    const wait = failures.blocked(c);
    if (wait !== undefined) return tooManyTries(c, wait);
    const form = await c.req.parseBody();
    const next = safeNext(form.next);
    const operator = typeof form.token === "string" ? lock.operatorOf(form.token) : undefined;
    if (!operator) {
      log.warn({ client: c.get("client") }, "console sign-in refused: not an operator's token");
      const over = failures.fail(c);
      await sleep(WRONG_TOKEN_DELAY_MS);
      if (over !== undefined) return tooManyTries(c, over);
      return c.html(signInPage({ next, refused: true }), 401);
    }
    await lock.start(c, operator);
    log.info({ client: c.get("client"), operator }, "operator signed in to the console");
    return c.redirect(next, 303);
  });

  // Everything below needs the session; every POST below also the session's CSRF token.
  ui.use(
    "*",
    requireSession(lock, (c) =>
      c.html(messagePage("Signed out", "Your session has ended: sign in again.", {}, "/console/sign-in"), 401),
    ),
  );
  ui.use(
    "*",
    requireCsrfToken(lock, (c) =>
      c.html(messagePage("Refused", "This form has no valid CSRF token: reload the page and try again."), 403),
    ),
  );
  ui.route("/", liveRoutes(deps));
  ui.use("*", async (c, next) => {
    if (deps.versions) c.set("session", { ...c.get("session"), footer: await deps.versions.footer() });
    await next();
  });

  ui.post("/sign-out", (c) => {
    lock.end(c);
    return c.redirect("/console/sign-in", 303);
  });

  ui.get("/", async (c) => {
    const data = await queueData(db);
    return c.html(queuePage(c.get("session"), data, liveUrl("queue", version(data))));
  });

  ui.get("/orders", async (c) => c.html(ordersPage(c.get("session"), await ordersData(db, c.req.query()))));

  ui.get("/orders/:id", async (c) => {
    const id = c.req.param("id");
    const data = await orderPageData(deps, id);
    if (!data) throw new ApiError("not_found", `There is no order ${id}.`);
    const decided = DecisionFormSchema.shape.action.safeParse(c.req.query("decided")).data;
    return c.html(
      orderPage(c.get("session"), data, {
        live: liveUrl("order", version(data), id),
        decided,
        restateAdminUrl: deps.restateAdminUrl,
        traceUrl: await traceUrlOf(deps, data),
      }),
    );
  });

  ui.post("/orders/:id/decision", async (c) => {
    const orderId = c.req.param("id");
    const form = DecisionFormSchema.safeParse(await c.req.parseBody());
    if (!form.success) throw new ApiError("invalid_request", z.prettifyError(form.error));
    const { action, incidentId, note = null, confirmed } = form.data;
    if (action !== "retry" && !confirmed) {
      const incident = (await incidentViews(db, orderId)).find((i) => i.id === incidentId && i.status === "open");
      if (!incident) throw new ApiError("conflict", `Incident ${incidentId} is not open on order ${orderId}.`);
      return c.html(confirmPage(c.get("session"), { orderId, incidentId, step: incident.step }, action, note));
    }
    const result = await decide(
      deps,
      orderId,
      { action, note, incidentId },
      { decidedBy: c.get("session").operator, via: "console" },
    );
    log.info({ orderId, ...result, via: "console", decidedBy: c.get("session").operator }, "operator decision");
    return c.redirect(`/console/orders/${encodeURIComponent(orderId)}?decided=${action}`, 303);
  });

  ui.get("/inventory", async (c) => c.html(inventoryPage(c.get("session"), await inventoryData(db))));

  return ui;
}

/** 429 as a page: this client sent too many wrong tokens (here or to the APIs). */
function tooManyTries(c: Context<ConsoleEnv>, retryAfterS: number) {
  c.header("Retry-After", String(retryAfterS));
  return c.html(
    messagePage("Too many tries", `Too many wrong tokens from here: try again in ${Math.ceil(retryAfterS / 60)} min.`),
    429,
  );
}

/** Errors as pages: the same codes and statuses as the JSON API (errors.ts), in words. */
function errorPage(c: Context<ConsoleEnv>, err: Error, deps: ConsoleDeps) {
  const session = c.get("session");
  if (err instanceof HTTPException && err.status === 403) {
    return c.html(messagePage("Refused", "This request did not come from a console page.", { session }), 403);
  }
  const apiError = toApiError(err);
  const status = ERROR_STATUS[apiError.code];
  if (status >= 500) deps.log.error({ method: c.req.method, path: c.req.path, err }, "console request failed");
  if (apiError.code === "payload_too_large") c.header("Connection", "close");
  const retryAfter = RETRY_AFTER[apiError.code];
  if (retryAfter) c.header("Retry-After", String(retryAfter));
  return c.html(messagePage(status === 404 ? "Not found" : "Could not do that", apiError.message, { session }), status);
}
