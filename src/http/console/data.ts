// What each console page shows, loaded in one place so the page and its live route (live.ts) read
// the same thing. A page's version is a digest of its data: it changes when what it shows does.
import { createHash } from "node:crypto";
import { z } from "zod";
import { listInventory } from "../../../db/catalog.ts";
import type { Db } from "../../../db/client.ts";
import { listOpenIncidents } from "../../../db/incidents.ts";
import { listOrders, OrderListCursorSchema } from "../../../db/order-list.ts";
import { emailsFor } from "../../../db/outbox.ts";
import { findOrderItems } from "../../../db/sessions.ts";
import type { OrderClient, ShipmentClient } from "../../adapters/restate-ingress.ts";
import { invocationTraceId } from "../../adapters/restate-query.ts";
import { DEFAULT_ADMIN_URL } from "../../config.ts";
import { ORDER_STATUSES } from "../../domain/order.ts";
import type { Operator } from "../../domain/operators.ts";
import type { FailureCounter } from "../middleware.ts";
import type { Logger } from "../../log.ts";
import { cursorCodec } from "../cursor.ts";
import { findAdminOrderView } from "../orders.ts";
import type { VersionDirectory } from "./versions.ts";

export type ConsoleDeps = {
  db: Db;
  orders: OrderClient;
  /** Decisions on shipment incidents go to the order's Shipments object. */
  shipments?: ShipmentClient;
  adminToken: string;
  /** https: the session cookie is Secure. */
  publicUrl: string;
  /** For the journal command and the Restate UI link; the CLI's default when unset. */
  restateAdminUrl?: string;
  /** Which version ran what (footer, order page); without it neither is shown. */
  versions?: VersionDirectory;
  /** TRACE_URL_TEMPLATE (`…{traceId}…`): each order's page links to its trace. */
  traceUrlTemplate?: string;
  log: Logger;
  /** OPERATORS: who else signs in, each with their own token. */
  operators?: readonly Operator[];
  /** Wrong tokens per client, shared with the admin and shop APIs. */
  tokenFailures: FailureCounter;
};

/** Products below this stock are highlighted on the inventory page. */
export const LOW_STOCK = 10;
export const ORDERS_PAGE_SIZE = 25;

export const version = (data: unknown) =>
  createHash("sha256").update(JSON.stringify(data)).digest("base64url").slice(0, 16);

/** The incident queue: open incidents, oldest first. */
export const queueData = async (db: Db) => ({ incidents: await listOpenIncidents(db) });
export type QueueData = Awaited<ReturnType<typeof queueData>>;

/** One order's whole story: the operators' view, what was bought, the emails sent. */
export async function orderPageData(deps: Pick<ConsoleDeps, "db" | "orders" | "versions">, id: string) {
  const order = await findAdminOrderView(deps, id);
  if (!order) return undefined;
  const [bought, emails] = [await findOrderItems(deps.db, id), await emailsFor(deps.db, id)];
  /** The version of the services the order's run is pinned to (its deployment's). */
  const ranOn = await deps.versions?.ranOn(order.invocationId);
  return { order, bought, emails, ranOn };
}
export type OrderPageData = NonNullable<Awaited<ReturnType<typeof orderPageData>>>;

/**
 * The order's trace in the trace viewer: Restate records the trace of each invocation (the
 * webhook's, whose traceparent the app passed on), so the id is asked of Restate, not stored.
 */
export async function traceUrlOf(deps: Pick<ConsoleDeps, "traceUrlTemplate" | "restateAdminUrl">, data: OrderPageData) {
  const { traceUrlTemplate: template } = deps;
  if (!template || !data.order.invocationId) return undefined;
  const adminUrl = deps.restateAdminUrl ?? DEFAULT_ADMIN_URL;
  const traceId = await invocationTraceId(adminUrl, data.order.invocationId).catch(() => undefined);
  return traceId && template.replaceAll("{traceId}", traceId);
}

const ListQuery = z.object({
  status: z.enum(ORDER_STATUSES).optional().catch(undefined),
  q: z.string().trim().max(200).optional().catch(undefined),
  after: z.string().max(300).optional().catch(undefined),
});
export type OrderListQuery = z.infer<typeof ListQuery>;

/** A cursor the console did not write is read as the first page. */
const listCursor = cursorCodec(OrderListCursorSchema);

/** A page of orders, newest first; a query the console did not write is read as no filter. */
export async function ordersData(db: Db, query: Record<string, string>) {
  const filter = ListQuery.parse(query);
  const { orders, next } = await listOrders(db, {
    status: filter.status,
    search: filter.q || undefined,
    limit: ORDERS_PAGE_SIZE,
    cursor: filter.after ? listCursor.decode(filter.after) : undefined,
  });
  return { filter, orders, nextCursor: next && listCursor.encode(next) };
}
export type OrdersData = Awaited<ReturnType<typeof ordersData>>;

export const inventoryData = async (db: Db) => ({ products: await listInventory(db), lowStock: LOW_STOCK });
export type InventoryData = Awaited<ReturnType<typeof inventoryData>>;
