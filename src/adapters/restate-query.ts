// Restate's own records, read with SQL through its admin API (`POST /query`): which order runs it
// keeps retrying without progress (the stuck-order sweeper), and which trace an invocation belongs
// to (the console's trace link). Only fixed statements; an invocation id is checked before use.
const RETRYING_RUNS = `
  SELECT i.id AS id, i.target_service_key AS order_id, i.last_failure AS last_failure,
         i.last_failure_related_command_name AS step, i.created_at AS created_at,
         max(j.appended_at) AS last_progress_at
  FROM sys_invocation i LEFT JOIN sys_journal j ON j.id = i.id
  WHERE i.target_service_name = 'OrderWorkflow' AND i.target_handler_name = 'run'
    AND i.status IN ('backing-off', 'running') AND i.last_failure IS NOT NULL
  GROUP BY i.id, i.target_service_key, i.last_failure, i.last_failure_related_command_name, i.created_at`;

export type RetryingRun = {
  invocationId: string;
  orderId: string;
  /** The step Restate retries (the failing command's name), when it has one. */
  step: string | undefined;
  lastFailure: string;
  /** The newest journal entry's time: the run's last progress (ISO 8601). */
  lastProgressAt: string;
};

async function query<T>(adminUrl: string, statement: string, timeoutMs: number): Promise<T[]> {
  const res = await fetch(`${adminUrl}/query`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query: statement }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`Restate's admin API answered ${res.status} to a query: ${await res.text()}`);
  return ((await res.json()) as { rows: T[] }).rows;
}

const iso = (t: string | number | null) => (t === null ? undefined : new Date(t).toISOString());

/** OrderWorkflow runs that Restate is retrying (their last attempt failed), with their last progress. */
export async function findRetryingRuns(adminUrl: string, timeoutMs = 10_000): Promise<RetryingRun[]> {
  type Row = {
    id: string;
    order_id: string;
    last_failure: string;
    step: string | null;
    created_at: string;
    last_progress_at: string | null;
  };
  return (await query<Row>(adminUrl, RETRYING_RUNS, timeoutMs)).map((r) => ({
    invocationId: r.id,
    orderId: r.order_id,
    step: r.step ?? undefined,
    lastFailure: r.last_failure,
    lastProgressAt: iso(r.last_progress_at) ?? iso(r.created_at)!,
  }));
}

/** The trace an invocation belongs to (the webhook's, when the app traced it); undefined if unknown. */
export async function invocationTraceId(adminUrl: string, invocationId: string, timeoutMs = 2000) {
  if (!/^inv_[0-9A-Za-z]+$/.test(invocationId)) return undefined;
  const rows = await query<{ trace_id: string | null }>(
    adminUrl,
    `SELECT trace_id FROM sys_invocation WHERE id = '${invocationId}'`,
    timeoutMs,
  );
  const id = rows[0]?.trace_id;
  return id && /^[0-9a-f]{32}$/.test(id) && !/^0+$/.test(id) ? id : undefined;
}
