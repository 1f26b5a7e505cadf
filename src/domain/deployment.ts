// Deployments of postpay's services as Restate knows them, and the rules for changing them. Pure:
// what Restate's admin API says goes in, decisions and words come out.
//
// Restate pins every invocation to the deployment it started on and replays its journal there, so
// a URL must keep serving the code it was registered with until its invocations have ended. What
// is behind a URL is told by the endpoint itself: every service it serves carries the build's
// version in its metadata (VERSION_METADATA_KEY), which Restate records at registration.
import { z } from "zod";

export const VERSION_METADATA_KEY = "postpay.version";

/** A version fits a host name and an image tag: `services-<version>`, `postpay-app:<version>`. */
export const SERVICE_VERSION_FORMAT = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/, "must be letters, digits, dots and dashes (it is part of a host name)");

export type DeployedService = { name: string; handlers: string[]; version: string | undefined };

export type Deployment = { id: string; uri: string; createdAt: string; services: DeployedService[] };

/** The version a deployment's services report; undefined when none (or when they disagree). */
export function versionOf(deployment: Pick<Deployment, "services">): string | undefined {
  const versions = new Set(deployment.services.map((s) => s.version));
  return versions.size === 1 ? [...versions][0] : undefined;
}

const sameUri = (a: string, b: string) => a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
const shape = (d: Pick<Deployment, "services">) =>
  JSON.stringify(d.services.map((s) => [s.name, [...s.handlers].sort()]).sort());

export type RegistrationPlan =
  | { kind: "register"; version: string }
  | { kind: "already"; deployment: Deployment; version: string }
  | { kind: "refuse"; reason: string };

export const SAFE_WAY =
  "Run the new version at a URL of its own (SERVICE_URL=http://services-<version>:9080/) and register that; " +
  "the old deployment keeps serving the orders it started. Retire it once `npm run deployments` shows nothing runs on it.";

/**
 * What `npm run register` may do with `uri`, given what the endpoint there reports now
 * (`discovered`, found by a dry run), the version the operator expects (SERVICE_VERSION, if given)
 * and the deployments Restate knows.
 */
export function planRegistration(input: {
  uri: string;
  discovered: Pick<Deployment, "services">;
  expected: string | undefined;
  deployments: Deployment[];
}): RegistrationPlan {
  const reported = versionOf(input.discovered);
  if (!reported) {
    return { kind: "refuse", reason: `the endpoint at ${input.uri} reports no ${VERSION_METADATA_KEY}` };
  }
  if (input.expected && input.expected !== reported) {
    return {
      kind: "refuse",
      reason: `SERVICE_VERSION is ${input.expected} but the endpoint at ${input.uri} reports ${reported}`,
    };
  }
  const known = input.deployments.find((d) => sameUri(d.uri, input.uri));
  if (!known) return { kind: "register", version: reported };
  const was = versionOf(known) ?? "an unknown version";
  if (was === reported && shape(known) === shape(input.discovered)) {
    return { kind: "already", deployment: known, version: reported };
  }
  const what = was === reported ? `version ${was} with other handlers` : `version ${was}`;
  return {
    kind: "refuse",
    reason:
      `${input.uri} is already deployment ${known.id}, registered for ${what}; the endpoint there now serves ` +
      `${reported}. Restate would keep ${known.id}'s orders replaying their journals on the new code. ${SAFE_WAY}`,
  };
}

/** A row of sys_journal, as read for one invocation. */
export type JournalRow = { index: number; entry_type: string; name?: string | null; entry_lite_json: string };

type Lite = {
  Command?: Record<string, Record<string, unknown>>;
  Notification?: { id?: { CompletionId?: number } };
};

/** What a command that waits for a completion is, in words. */
function describe(kind: string, body: Record<string, unknown>): string {
  if (kind === "GetPromise") return `promise "${body.key}"`;
  if (kind === "Sleep") {
    const at = typeof body.wake_up_time === "number" ? new Date(body.wake_up_time).toISOString() : "?";
    return `timer "${body.name || "sleep"}" until ${at}`;
  }
  if (kind === "Call") {
    const target = Object.values(
      (body.invocation_target ?? {}) as Record<string, { name?: string; handler?: string }>,
    )[0];
    return `call ${target?.name ?? "?"}/${target?.handler ?? "?"}`;
  }
  if (kind === "Run") return `step "${body.name}" (running)`;
  return kind;
}

/** The commands of a journal still waiting for their completion: what the invocation waits for. */
export function waitingOn(rows: JournalRow[]): string[] {
  const completed = new Set<number>();
  const open: { ids: number[]; what: string }[] = [];
  for (const row of rows) {
    const lite = JSON.parse(row.entry_lite_json) as Lite;
    const done = lite.Notification?.id?.CompletionId;
    if (done !== undefined) completed.add(done);
    for (const [kind, body] of Object.entries(lite.Command ?? {})) {
      const ids = ["completion_id", "result_completion_id"].map((k) => body[k]).filter((v) => typeof v === "number");
      if (ids.length) open.push({ ids: ids as number[], what: describe(kind, body) });
    }
  }
  // A promise raced against a timer is awaited anew after each timer: the same promise, once.
  return [...new Set(open.filter((c) => !c.ids.some((id) => completed.has(id))).map((c) => c.what))];
}
