// What the business gauges of GET /metrics read, at scrape time: small aggregates, each one
// statement over an index or a small table, so a scrape every 15 s costs the database little.
import { sql } from "drizzle-orm";
import { rowsOf, type Db } from "./client.ts";

const num = (v: unknown) => Number(v ?? 0);

/** Orders by status (only the statuses that have any). */
export async function countOrdersByStatus(db: Db): Promise<{ status: string; count: number }[]> {
  const rows = rowsOf<{ status: string; count: unknown }>(
    await db.execute(sql`SELECT status, count(*) AS count FROM orders GROUP BY status`),
  );
  return rows.map((r) => ({ status: r.status, count: num(r.count) }));
}

/**
 * Paid orders not final (processing, needs_attention), per status, counted as older than each of
 * `thresholdsSeconds` (cumulative: an order 2 h old counts under 5m, 30m and 1h).
 */
export async function countUnfinishedOrdersOlderThan(
  db: Db,
  thresholdsSeconds: number[],
): Promise<{ status: string; olderThan: number; count: number }[]> {
  const columns = sql.join(
    thresholdsSeconds.map(
      (t, i) => sql`count(*) FILTER (WHERE created_at < now() - make_interval(secs => ${t})) AS ${sql.raw(`c${i}`)}`,
    ),
    sql`, `,
  );
  const rows = rowsOf<Record<string, unknown>>(
    await db.execute(
      sql`SELECT status, ${columns} FROM orders WHERE status IN ('processing', 'needs_attention') GROUP BY status`,
    ),
  );
  return rows.flatMap((r) =>
    thresholdsSeconds.map((t, i) => ({ status: String(r.status), olderThan: t, count: num(r[`c${i}`]) })),
  );
}

/** Open incidents per step, with how long the oldest has been open and the oldest still undecided. */
export async function openIncidentsByStep(
  db: Db,
): Promise<{ step: string; count: number; oldestSeconds: number; oldestUndecidedSeconds: number | null }[]> {
  const rows = rowsOf<{ step: string; count: unknown; oldest: unknown; undecided: unknown }>(
    await db.execute(sql`
      SELECT step, count(*) AS count,
        extract(epoch FROM now() - min(created_at)) AS oldest,
        extract(epoch FROM now() - min(created_at) FILTER (WHERE decided_at IS NULL)) AS undecided
      FROM incidents WHERE status = 'open' GROUP BY step`),
  );
  return rows.map((r) => ({
    step: r.step,
    count: num(r.count),
    oldestSeconds: num(r.oldest),
    oldestUndecidedSeconds: r.undecided === null ? null : num(r.undecided),
  }));
}

/** Emails in the outbox not sent yet, and the age of the oldest. */
export async function outboxBacklog(db: Db): Promise<{ count: number; oldestSeconds: number }> {
  const [row] = rowsOf<{ count: unknown; oldest: unknown }>(
    await db.execute(sql`
      SELECT count(*) AS count, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest
      FROM email_outbox WHERE sent_at IS NULL`),
  );
  return { count: num(row?.count), oldestSeconds: num(row?.oldest) };
}
