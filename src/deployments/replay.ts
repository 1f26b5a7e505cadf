// The replay check: the recorded journal of a waiting invocation, replayed against the current code
// by the SDK itself, in this process, the way the invocation will be replayed when it resumes.
//
// Restate offers no offline replay, but its journal is in sys_journal: every entry's protocol
// message (`raw`) and type. Framed as restate-server frames them (a StartMessage, then the entries),
// they are what an endpoint receives when an invocation resumes; the SDK replays them against the
// handler and answers with a journal mismatch (error 570: which entry, what differs) or, having
// replayed everything, goes on from the waiting point: it suspends again, or runs the next steps.
// Ports are inert here, so nothing the code does after the waiting point reaches the world.
//
// What a pass proves: this code takes the same path, with the same commands (kind, name, promise
// key, call target, state key) as the journal up to where the invocation waits, so resuming it on
// this code in place does not mismatch. What it does not prove: that what comes after the waiting
// point is right, that payloads read later (promise values, state) parse in this code (the shared
// schemas in services/durable.ts cover those), or anything about invocations not waiting now.
import * as restate from "@restatedev/restate-sdk/fetch";
import type { RestateAdmin } from "../adapters/restate-admin.ts";
import { bytesField, frame, MESSAGE, messageType, readAnswer, varintField } from "./protocol.ts";

export type RecordedEntry = { entry_type: string; raw: string };
export type RecordedInvocation = {
  invocationId: string;
  service: string;
  handler: string;
  key: string;
  protocolVersion: number;
  entries: RecordedEntry[];
};
export type ReplayVerdict = {
  invocationId: string;
  target: string;
  outcome: "replays" | "mismatch" | "unknown";
  detail: string;
};

/** The SDK's code for "the code took another path than the journal". */
const JOURNAL_MISMATCH = 570;

/** What an inert port throws: the code went past the recorded journal and tried to act. */
export const INERT = "replay check: ports are inert";

/** Ports that refuse every call: the replayed code never reaches the world. */
export const inertPorts = <T extends object>() =>
  new Proxy({} as T, {
    get: () => () => {
      throw new Error(INERT);
    },
  });

type Services = Parameters<typeof restate.createEndpointHandler>[0]["services"];

/** Replays each recorded invocation against `services` (built from inert ports). */
export async function replayAll(services: Services, recorded: RecordedInvocation[]): Promise<ReplayVerdict[]> {
  const endpoint = restate.createEndpointHandler({ services, logger: () => {} });
  const verdicts: ReplayVerdict[] = [];
  for (const inv of recorded) {
    const target = `${inv.service}/${inv.key ? `${inv.key}/` : ""}${inv.handler}`;
    const base = { invocationId: inv.invocationId, target };
    let body: Buffer;
    try {
      const start = Buffer.concat([
        bytesField(1, Buffer.from(inv.invocationId)),
        bytesField(2, Buffer.from(inv.invocationId)),
        varintField(3, inv.entries.length),
        varintField(5, 1), // partial state: the SDK asks for what it reads, and waits
        bytesField(6, Buffer.from(inv.key)),
      ]);
      const entries = inv.entries.map((e) => frame(messageType(e.entry_type), Buffer.from(e.raw, "hex")));
      body = Buffer.concat([frame(MESSAGE.start, start), ...entries]);
    } catch (err) {
      verdicts.push({ ...base, outcome: "unknown", detail: (err as Error).message });
      continue;
    }
    const res = await endpoint(
      new Request(`http://replay/invoke/${inv.service}/${inv.handler}`, {
        method: "POST",
        headers: { "content-type": `application/vnd.restate.invocation.v${inv.protocolVersion}` },
        body: new Uint8Array(body),
      }),
    );
    const { types, error } = readAnswer(Buffer.from(await res.arrayBuffer()));
    const waitsAgain = types.some((t) => t === MESSAGE.suspension || t === MESSAGE.end || t === MESSAGE.output);
    if (error?.code === JOURNAL_MISMATCH) verdicts.push({ ...base, outcome: "mismatch", detail: error.message });
    else if (res.ok && (error ? error.message.includes(INERT) : waitsAgain)) {
      // Past the journal's end the code waits again, or acts (an inert port refuses): both are after replay.
      verdicts.push({
        ...base,
        outcome: "replays",
        detail: error ? "replayed, then went on to a step" : "replayed, waits again",
      });
    } else {
      verdicts.push({ ...base, outcome: "unknown", detail: error?.message ?? `endpoint answered ${res.status}` });
    }
  }
  return verdicts;
}

type InvocationRow = { id: string; service: string; handler: string; key: string | null; protocol: number };

/** The journals of every invocation that has not ended (only those pinned to `deploymentId`, if given). */
export async function recordWaiting(admin: RestateAdmin, deploymentId?: string): Promise<RecordedInvocation[]> {
  if (deploymentId && !/^dp_[A-Za-z0-9]+$/.test(deploymentId))
    throw new Error(`"${deploymentId}" is not a deployment id`);
  const invocations = await admin.query<InvocationRow>(
    `SELECT id, target_service_name AS service, target_handler_name AS handler, target_service_key AS key,
       pinned_service_protocol_version AS protocol FROM sys_invocation
     WHERE status != 'completed' AND pinned_deployment_id ${deploymentId ? `= '${deploymentId}'` : "IS NOT NULL"}
     ORDER BY created_at`,
  );
  return Promise.all(
    invocations.map(async (inv) => ({
      invocationId: inv.id,
      service: inv.service,
      handler: inv.handler,
      key: inv.key ?? "",
      protocolVersion: Number(inv.protocol),
      entries: await admin.query<RecordedEntry>(
        `SELECT entry_type, raw FROM sys_journal WHERE id = '${inv.id.replace(/[^A-Za-z0-9_]/g, "")}' ORDER BY index`,
      ),
    })),
  );
}
