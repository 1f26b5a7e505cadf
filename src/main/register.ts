// `npm run register`: makes the service endpoint at SERVICE_URL a Restate deployment
// (RESTATE_ADMIN_URL). It never overwrites one: Restate pins every invocation to its deployment
// and replays its journal on whatever code answers at that URL, so a URL Restate already knows
// for another version is refused (exit 2), and the same version again changes nothing (exit 0).
// `--force` re-registers in place: development only. Then it starts the stuck-order sweeper
// (RESTATE_INGRESS_URL) unless it is already going.
import { createRestateAdmin, type RestateAdmin, startStuckOrderWatch } from "../adapters/restate-admin.ts";
import { DEFAULT_ADMIN_URL } from "../config.ts";
import { planRegistration, SAFE_WAY, versionOf } from "../domain/deployment.ts";
import { boot, fail } from "./common.ts";

const FORCE = process.argv.includes("--force");
const say = (line: string) => process.stdout.write(`${line}\n`);

/** The endpoint (or Restate) may still be starting: ask again until the deadline. */
async function discover(admin: RestateAdmin, uri: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await admin.discover(uri);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const { env, log } = boot();
try {
  const adminUrl = env.RESTATE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const uri = env.SERVICE_URL ?? `http://127.0.0.1:${env.SERVICE_PORT}`;
  const admin = createRestateAdmin(adminUrl);
  const discovered = await discover(admin, uri, 120_000);
  const version = versionOf(discovered) ?? "an unknown version";

  if (FORCE) {
    const known = (await admin.deployments()).find((d) => d.uri.replace(/\/+$/, "") === uri.replace(/\/+$/, ""));
    const { id } = await admin.register(uri, { force: true });
    say(`registered ${uri} as deployment ${id} (version ${version}) with --force, for development only.`);
    if (known) {
      say(
        `It replaced what ${known.id} (version ${versionOf(known) ?? "unknown"}) was in place: invocations pinned to it ` +
          "now replay their journals on this code. A step renamed or added before where they wait is a journal " +
          `mismatch retried forever, or other code run silently on an old journal. ${SAFE_WAY}`,
      );
    }
    await startStuckOrderWatch(env.RESTATE_INGRESS_URL[0]!);
    process.exit(0);
  }

  const plan = planRegistration({
    uri,
    discovered,
    expected: env.SERVICE_VERSION,
    deployments: await admin.deployments(),
  });
  if (plan.kind === "already") {
    say(`${uri} is already deployment ${plan.deployment.id} (version ${plan.version}): nothing to do.`);
  } else if (plan.kind === "register") {
    const { id } = await admin.register(uri, { force: false });
    say(`registered ${uri} as deployment ${id} (version ${plan.version}).`);
    log.info({ deploymentId: id, serviceUrl: uri, version: plan.version }, "deployment registered");
  } else {
    process.stderr.write(`register refused: ${plan.reason}\n`);
    process.exit(2);
  }
  await startStuckOrderWatch(env.RESTATE_INGRESS_URL[0]!);
} catch (err) {
  fail(log, err);
}
