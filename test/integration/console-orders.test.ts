// The console's order list (db/orders.ts listOrders) on a real database: newest first, pages that
// cover every order exactly once, filters by status, and a search that takes `_` and `%` literally.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.ts";
import { listOrders } from "../../db/order-list.ts";
import { beginOrder, setOrderStatus } from "../../db/orders.ts";
import { insertPaymentSession } from "../../db/sessions.ts";
import { prepareDatabase } from "../../dev/run-database.ts";
import { parseEnv } from "../../src/config.ts";

const closers: (() => unknown)[] = [];
let db: Db;
/** Order ids, oldest first. */
const placed: string[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "postpay-console-orders-"));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  const catalog = {
    centers: [{ id: "fc-a", name: "A", orderUrl: "http://127.0.0.1:1/orders", leadTimeDays: 1 }],
    products: [],
  };
  const database = await prepareDatabase(
    { postgres: parseEnv().DATABASE_URL, label: "console", dir, inMemory: true },
    catalog,
    (c) => closers.push(c),
  );
  db = await database.open();
  // 21 orders; customers cus_0 … cus_9 twice, and one whose id has no underscore after "cus".
  for (let i = 0; i < 21; i++) {
    const id = `ps_list_${String(i).padStart(2, "0")}`;
    const customerId = i === 20 ? "cusX9" : `cus_${i % 10}`;
    await insertPaymentSession(db, {
      id,
      customerId,
      email: `${customerId}@example.com`,
      items: [],
      amountTotal: 100 + i,
      currency: "usd",
      stripeCheckoutSessionId: `cs_${id}`,
    });
    await beginOrder(db, id);
    if (i % 4 === 0) await setOrderStatus(db, id, "needs_attention", "send to fc-a");
    placed.push(id);
  }
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe("listOrders", () => {
  it("pages through every order once, newest first", async () => {
    const seen: string[] = [];
    let cursor: Awaited<ReturnType<typeof listOrders>>["next"] | undefined;
    let pages = 0;
    do {
      const page = await listOrders(db, { limit: 6, ...(cursor && { cursor }) });
      seen.push(...page.orders.map((o) => o.id));
      cursor = page.next;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toEqual([...placed].reverse());
    const [newest] = (await listOrders(db, { limit: 1 })).orders;
    expect(newest).toMatchObject({
      id: "ps_list_20",
      customerId: "cusX9",
      status: "needs_attention",
      amountTotal: 120,
      currency: "usd",
    });
  });

  it("filters by status and searches order and customer ids by prefix, literally", async () => {
    const attention = await listOrders(db, { status: "needs_attention", limit: 50 });
    expect(attention.orders.map((o) => o.id)).toEqual([
      "ps_list_20",
      "ps_list_16",
      "ps_list_12",
      "ps_list_08",
      "ps_list_04",
      "ps_list_00",
    ]);
    expect(attention.orders.every((o) => o.failedStep === "send to fc-a")).toBe(true);

    const byCustomer = await listOrders(db, { search: "cus_9", limit: 50 });
    expect(byCustomer.orders.map((o) => o.id)).toEqual(["ps_list_19", "ps_list_09"]); // not cusX9: "_" is no wildcard
    expect((await listOrders(db, { search: "ps_list_1", limit: 50 })).orders).toHaveLength(10);
    expect((await listOrders(db, { search: "%", limit: 50 })).orders).toEqual([]);
  });
});
