// What runs where: every deployment with its version, how many invocations are still pinned to it,
// and the oldest order waiting on it with what it waits for (read from Restate's introspection
// tables). Retiring a deployment is refused while anything runs on it.
import type { RestateAdmin } from "../adapters/restate-admin.ts";
import { versionOf, waitingOn, type Deployment, type JournalRow } from "../domain/deployment.ts";
import { SERVICE } from "../../services/durable.ts";

export type WaitingInvocation = {
  invocationId: string;
  target: string;
  status: string;
  createdAt: string;
  /** What its journal waits for: promises, timers, calls, steps still running. */
  waitingOn: string[];
};

export type DeploymentRow = {
  id: string;
  uri: string;
  version: string | undefined;
  createdAt: string;
  /** Invocations pinned to it that have not ended. */
  nonFinal: number;
  /** The services whose newest revision it serves: new invocations of these start on it. */
  newestFor: string[];
  oldestWaitingOrder: (WaitingInvocation & { orderId: string }) | undefined;
};

type InvocationRow = { id: string; target: string; key: string | null; status: string; created_at: string };

const DEPLOYMENT_ID = /^dp_[A-Za-z0-9]+$/;
const checkedId = (id: string) => {
  if (!DEPLOYMENT_ID.test(id)) throw new Error(`"${id}" is not a deployment id (dp_…)`);
  return id;
};

/** Non-final invocations pinned to `deploymentId`, oldest first (at most `limit`). */
async function pinnedTo(admin: RestateAdmin, deploymentId: string, where = "", limit = 10) {
  return admin.query<InvocationRow>(
    `SELECT id, target, target_service_key AS key, status, created_at FROM sys_invocation
     WHERE pinned_deployment_id = '${checkedId(deploymentId)}' AND status != 'completed' ${where}
     ORDER BY created_at LIMIT ${limit}`,
  );
}

/** An invocation with what its journal waits for. */
async function withJournal(admin: RestateAdmin, row: InvocationRow): Promise<WaitingInvocation> {
  const journal = await admin.query<JournalRow>(
    `SELECT index, entry_type, name, entry_lite_json FROM sys_journal WHERE id = '${row.id.replace(/[^A-Za-z0-9_]/g, "")}' ORDER BY index`,
  );
  return {
    invocationId: row.id,
    target: row.target,
    status: row.status,
    createdAt: row.created_at,
    waitingOn: waitingOn(journal),
  };
}

async function newestDeployments(admin: RestateAdmin): Promise<Map<string, string[]>> {
  const services = await admin.query<{ name: string; deployment_id: string }>(
    "SELECT name, deployment_id FROM sys_service",
  );
  const newest = new Map<string, string[]>();
  for (const s of services) newest.set(s.deployment_id, [...(newest.get(s.deployment_id) ?? []), s.name]);
  return newest;
}

export async function deploymentReport(admin: RestateAdmin): Promise<DeploymentRow[]> {
  const [deployments, counts, newest] = await Promise.all([
    admin.deployments(),
    admin.query<{ deployment: string | null; n: number }>(
      "SELECT pinned_deployment_id AS deployment, count(*) AS n FROM sys_invocation WHERE status != 'completed' GROUP BY pinned_deployment_id",
    ),
    newestDeployments(admin),
  ]);
  return Promise.all(
    deployments.map(async (d: Deployment): Promise<DeploymentRow> => {
      const [order] = await pinnedTo(
        admin,
        d.id,
        `AND target_service_name = '${SERVICE.order}' AND target_handler_name = 'run'`,
        1,
      );
      return {
        id: d.id,
        uri: d.uri,
        version: versionOf(d),
        createdAt: d.createdAt,
        nonFinal: Number(counts.find((c) => c.deployment === d.id)?.n ?? 0),
        newestFor: newest.get(d.id) ?? [],
        oldestWaitingOrder: order && { orderId: order.key ?? "?", ...(await withJournal(admin, order)) },
      };
    }),
  );
}

/** Invocations not yet started, so pinned to no deployment (they start on the newest). */
export async function unpinned(admin: RestateAdmin): Promise<number> {
  const [row] = await admin.query<{ n: number }>(
    "SELECT count(*) AS n FROM sys_invocation WHERE pinned_deployment_id IS NULL AND status != 'completed'",
  );
  return Number(row?.n ?? 0);
}

export type Retirement = { retired: Deployment } | { refused: string; running: WaitingInvocation[] };

/** Removes a deployment that nothing runs on and that is no service's newest; refuses otherwise. */
export async function retire(admin: RestateAdmin, id: string): Promise<Retirement> {
  const deployment = (await admin.deployments()).find((d) => d.id === checkedId(id));
  if (!deployment) return { refused: `Restate knows no deployment ${id}`, running: [] };
  const newestFor = (await newestDeployments(admin)).get(id) ?? [];
  if (newestFor.length) {
    return {
      refused: `${id} serves the newest revision of ${newestFor.join(", ")}: register the version that replaces it first`,
      running: [],
    };
  }
  const running = await pinnedTo(admin, id, "", 20);
  if (running.length) {
    const shown = await Promise.all(running.map((r) => withJournal(admin, r)));
    return {
      refused: `${running.length === 20 ? "20 or more" : running.length} invocations still run on ${id}`,
      running: shown,
    };
  }
  await admin.remove(id);
  return { retired: deployment };
}
