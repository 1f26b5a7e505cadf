// Which failures are "the database cannot be reached" (db/errors.ts): the HTTP app answers those 503
// with Retry-After, and an order's step waits them out instead of escalating (services/step-runner.ts).
// Real errors from the real drivers where they are cheap to provoke (a closed port, an address
// nobody answers, PGlite's own constraint check, nodemailer refused), shapes of the server's
// SQLSTATEs otherwise. Never by message text; only errors that came from the database.
import net from "node:net";
import { DrizzleQueryError, sql } from "drizzle-orm";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../db/client.ts";
import { DatabaseError, isDatabaseUnavailable } from "../../db/errors.ts";
import { centers } from "../../db/schema.ts";
import { freePort } from "../../dev/restate-server.ts";

const failureOf = async (work: () => Promise<unknown>) => {
  const started = performance.now();
  const err = await work().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, ms: performance.now() - started };
};

/** A driver error as postgres-js gives it for a server's ErrorResponse, inside Drizzle's wrapper. */
const serverSaid = (code: string) =>
  new DrizzleQueryError(
    "select 1",
    [],
    Object.assign(new Error(`server said ${code}`), { name: "PostgresError", code }),
  );

describe("PostgreSQL that cannot be reached", () => {
  let refused: Database;
  beforeAll(async () => {
    refused = await openDatabase({ url: `postgres://postgres@127.0.0.1:${await freePort()}/postpay`, poolSize: 1 });
  });
  afterAll(async () => {
    await refused?.close().catch(() => {});
  });

  it("a refused connection is unavailable, for a query and for a transaction's BEGIN alike", async () => {
    const query = await failureOf(() => refused.db.execute(sql`select 1`));
    expect(isDatabaseUnavailable(query.err)).toBe(true);
    const tx = await failureOf(() => refused.db.transaction(async (t) => t.execute(sql`select 1`)));
    expect(tx.err).toBeInstanceOf(DatabaseError);
    expect(isDatabaseUnavailable(tx.err)).toBe(true);
  });

  // 2 s connect_timeout (db/client.ts); bound 5 s: slack for a loaded 2-core machine.
  it("a server that takes the connection and never answers is unavailable after the 2 s connect timeout, not 30 s", async () => {
    const silent = net.createServer((socket) => socket.on("data", () => {}));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as net.AddressInfo;
    const hung = await openDatabase({ url: `postgres://postgres@127.0.0.1:${port}/postpay`, poolSize: 1 });
    try {
      const { err, ms } = await failureOf(() => hung.db.execute(sql`select 1`));
      expect((err as Error).cause).toMatchObject({ code: "CONNECT_TIMEOUT" });
      expect(isDatabaseUnavailable(err)).toBe(true);
      expect(ms).toBeLessThan(5_000);
    } finally {
      await hung.close().catch(() => {});
      silent.close();
    }
  });

  it.each([
    ["57P01", "terminating connection due to administrator command (fast/immediate shutdown)"],
    ["57P03", "the database system is starting up / shutting down"],
    ["08006", "connection failure"],
    ["53300", "too many connections"],
    ["57014", "canceling statement due to statement timeout"],
  ])("SQLSTATE %s (%s) is unavailable", (code) => {
    expect(isDatabaseUnavailable(serverSaid(code))).toBe(true);
  });

  it.each(["CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT"])(
    "postgres-js's %s is unavailable",
    (code) => {
      expect(isDatabaseUnavailable(Object.assign(new Error("write CONNECTION_CLOSED"), { code }))).toBe(true);
    },
  );
});

describe("not unavailable", () => {
  it.each([
    ["23505", "unique violation"],
    ["23514", "check violation (stock below zero)"],
    ["22P02", "invalid text representation (bad data)"],
    ["40P01", "deadlock: retried as the step's own attempt"],
  ])("SQLSTATE %s (%s)", (code) => {
    expect(isDatabaseUnavailable(serverSaid(code))).toBe(false);
  });

  it("a constraint violation from PGlite, and PGlite closed: in-process, PGlite has no connection to lose", async () => {
    const pglite = await openDatabase({ pgliteDir: "memory://" });
    await pglite.migrate();
    const center = { id: "fc-1", name: "One", orderUrl: "http://c/1", leadTimeDays: 1 };
    await pglite.db.insert(centers).values(center);
    const duplicate = await failureOf(() => pglite.db.insert(centers).values(center));
    expect(duplicate.err).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(duplicate.err)).toBe(false);
    await pglite.close();
    const closed = await failureOf(() => pglite.db.execute(sql`select 1`));
    expect(closed.err).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(closed.err)).toBe(false);
  });

  it("a mail server that refuses connections (nodemailer keeps Node's code): not the database", async () => {
    const smtp = nodemailer.createTransport({ host: "127.0.0.1", port: await freePort(), connectionTimeout: 2_000 });
    const { err } = await failureOf(() => smtp.sendMail({ from: "a@b.test", to: "c@d.test", text: "hi" }));
    expect((err as { code?: string }).code).toMatch(/^E/);
    expect(isDatabaseUnavailable(err)).toBe(false);
    const timedOut = Object.assign(new Error("Greeting never received"), { code: "ETIMEDOUT", command: "CONN" });
    expect(isDatabaseUnavailable(timedOut)).toBe(false);
  });

  it("words in a message: a center unreachable, or an error that only says ECONNREFUSED", () => {
    expect(isDatabaseUnavailable(new Error("center fc-west unreachable: connect ECONNREFUSED 127.0.0.1:4001"))).toBe(
      false,
    );
    expect(isDatabaseUnavailable(new Error("ECONNREFUSED"))).toBe(false);
  });
});
