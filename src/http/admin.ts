// The operators' API: /admin/*. One lock: ADMIN_TOKEN as a bearer token (wrong ones limited per client).
import { Hono } from "hono";
import type { Db } from "../../db/client.ts";
import { listInventory } from "../../db/catalog.ts";
import { listOpenIncidents } from "../../db/incidents.ts";
import { emailsFor } from "../../db/outbox.ts";
import { findOrderItems } from "../../db/sessions.ts";
import type { OrderClient, ShipmentClient } from "../adapters/restate-ingress.ts";
import { ADMIN_TOKEN_LABEL, DecisionSchema } from "../domain/decision.ts";
import type { Logger } from "../log.ts";
import { decide } from "./decisions.ts";
import { ApiError } from "./errors.ts";
import { type FailureCounter, JSON_MAX_BYTES, jsonBody, limitBody, requireBearer } from "./middleware.ts";
import { findAdminOrderView } from "./orders.ts";

export type AdminDeps = {
  db: Db;
  orders: OrderClient;
  shipments?: ShipmentClient;
  adminToken: string;
  log: Logger;
  /** Wrong tokens per client, shared with the shop API and the console's sign-in. */
  tokenFailures: FailureCounter;
};

export function adminRoutes(deps: AdminDeps) {
  const admin = new Hono();
  admin.use("*", requireBearer(deps.adminToken, "admin token", deps.tokenFailures));

  admin.get("/incidents", async (c) => c.json({ incidents: await listOpenIncidents(deps.db) }));
  admin.get("/inventory", async (c) => c.json({ products: await listInventory(deps.db) }));

  admin.get("/orders/:id", async (c) => {
    const id = c.req.param("id");
    const order = await findAdminOrderView(deps, id);
    if (!order) throw new ApiError("not_found", `no order ${id}`);
    return c.json(order);
  });

  // What the customer was sent, as the outbox keeps it (with SMTP_URL unset, the only place it is).
  admin.get("/orders/:id/emails", async (c) => {
    const id = c.req.param("id");
    if (!(await findOrderItems(deps.db, id))) throw new ApiError("not_found", `no order ${id}`);
    const emails = (await emailsFor(deps.db, id)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    return c.json({
      orderId: id,
      emails: emails.map(({ kind, recipient, subject, body, createdAt, sentAt }) => ({
        kind,
        recipient,
        subject,
        body,
        createdAt,
        sentAt,
      })),
    });
  });

  admin.post("/orders/:id/resolution", limitBody(JSON_MAX_BYTES), async (c) => {
    const orderId = c.req.param("id");
    const decision = await jsonBody(c, DecisionSchema);
    const result = await decide(deps, orderId, decision, { decidedBy: ADMIN_TOKEN_LABEL, via: "admin-api" });
    deps.log.info({ orderId, ...result }, "operator decision");
    return c.json(result);
  });

  return admin;
}
