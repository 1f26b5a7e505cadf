// A deploy with orders in flight, as docs/operating.md ("Deploying a new version") tells it: version
// 1 (the real services) leaves orders waiting for an operator, for an async payment and between two
// reminders; version 2, whose workflow differs before all those waiting points (a step added in
// front, a step renamed), gets a URL of its own and is registered beside version 1 with
// `npm run register`. New orders run on version 2; the waiting ones finish on version 1, once;
// version 2's shared handlers serve version 1's orders; `npm run deployments -- retire` refuses
// version 1 until they are done; registering version 1's URL again with version 2's code is refused.
//
// Version 2 is built here from the real factory (createServices) with a wrapper around the
// workflow's run handler: a context whose ctx.run renames one step, and one step run before it.
// Nothing in the product knows about it.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as restate from "@restatedev/restate-sdk";
import * as clients from "@restatedev/restate-sdk-clients";
import { html } from "hono/html";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRestateServer, type RestateServer } from "../../dev/restate-server.ts";
import { SERVICE, STEP } from "../../services/durable.ts";
import { createServices, type ServiceOptions } from "../../services/index.ts";
import type { OrderWorkflow } from "../../services/order-workflow.ts";
import { createRestateAdmin, type RestateAdmin } from "../../src/adapters/restate-admin.ts";
import { deploymentReport } from "../../src/deployments/report.ts";
import { inertPorts, recordWaiting, replayAll } from "../../src/deployments/replay.ts";
import { PermanentError } from "../../src/domain/errors.ts";
import { OrderStartSchema } from "../../src/domain/order.ts";
import type { OrderView } from "../../src/domain/order-view.ts";
import { page } from "../../src/http/console/layout.ts";
import { createVersionDirectory } from "../../src/http/console/versions.ts";
import { createLogger } from "../../src/log.ts";
import { startServiceEndpoint, type ServiceEndpoint } from "../../src/runtime/endpoint.ts";
import { FakePorts, item } from "../support/fake-ports.ts";
import { until } from "../support/wait.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);
const REMIND_AFTER_MS = 2000;
const OPTIONS: ServiceOptions = {
  steps: { maxAttempts: 2, initialRetryMs: 20, maxRetryMs: 50 },
  escalation: { remindAfterMs: REMIND_AFTER_MS },
  alerts: { minIntervalMs: 50, maxBackoffMs: 500 },
  shipments: { deadlineMs: 3_600_000 },
  stuckOrders: { stuckAfterMs: 3_600_000, sweepEveryMs: 60_000 },
};
const ADDED_STEP = "score fraud risk";
const RENAMED = { [STEP.loadPaymentSession]: "load the payment session" } as Record<string, string>;
const log = createLogger({ level: "error", bindings: { test: "upgrade" } });

const fake = new FakePorts();
let baseDir: string;
let server: RestateServer;
let admin: RestateAdmin;
let ingress: clients.Ingress;
const endpoints: ServiceEndpoint[] = [];
let v2StatusCalls = 0;

/** The parts of the SDK's workflow definition this wrapper reuses. */
type Handler = (ctx: never, input?: never) => Promise<unknown>;
type Definition = { name: string; workflow: Record<string, Handler>; options?: restate.WorkflowOptions };
type Ports = Parameters<typeof createServices>[0];

/** Version 2: the real services, the workflow's run wrapped (one step added, one renamed); status counted. */
function versionTwo(ports: Ports = fake): ReturnType<typeof createServices> {
  return createServices(ports, OPTIONS).map((service) => {
    if (service.name !== SERVICE.order) return service;
    const v1 = service as unknown as Definition;
    const run = v1.workflow.run as unknown as (ctx: restate.WorkflowContext, start: unknown) => Promise<unknown>;
    const status = v1.workflow.status as unknown as (ctx: restate.WorkflowSharedContext) => Promise<unknown>;
    const renaming = (ctx: restate.WorkflowContext) =>
      new Proxy(ctx, {
        get(target, prop) {
          if (prop === "run") {
            return (name: string, ...rest: unknown[]) =>
              (target.run as (...args: unknown[]) => unknown)(RENAMED[name] ?? name, ...rest);
          }
          const value = Reflect.get(target, prop, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    return restate.workflow({
      name: v1.name,
      handlers: {
        ...v1.workflow,
        run: restate.handlers.workflow.workflow(
          { input: restate.serde.schema(OrderStartSchema), accept: "application/json" },
          async (ctx: restate.WorkflowContext, start) => {
            await ctx.run(ADDED_STEP, async () => "low");
            return run(renaming(ctx), start);
          },
        ),
        status: restate.handlers.workflow.shared(
          { idempotencyRetention: 0, journalRetention: 0 },
          async (ctx: restate.WorkflowSharedContext) => {
            v2StatusCalls++;
            return status(ctx);
          },
        ),
      },
      options: v1.options,
    }) as unknown as typeof service;
  });
}

async function serve(services: ReturnType<typeof createServices>, version: string, port = 0) {
  const endpoint = await startServiceEndpoint(services, { log, version, port });
  endpoints.push(endpoint);
  return endpoint;
}

/** `npm run <script>` as an operator runs it: exit code and what it printed. */
async function npmRun(script: string, args: string[], env: Record<string, string>) {
  const file = path.join(root, "src/main", `${script}.ts`);
  try {
    const { stdout, stderr } = await run(process.execPath, [file, ...args], {
      cwd: root,
      env: {
        ...process.env,
        LOG_LEVEL: "error",
        RESTATE_ADMIN_URL: server.adminUrl,
        RESTATE_INGRESS_URL: server.ingressUrl,
        ...env,
      },
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

const wf = (id: string) => ingress.workflowClient({ name: SERVICE.order } as OrderWorkflow, id);
const status = async (id: string) => ((await wf(id).status()) as OrderView | null)?.status;

async function runInvocation(id: string) {
  const [row] = await admin.query<{ id: string; pinned_deployment_id: string; status: string }>(
    `SELECT id, pinned_deployment_id, status FROM sys_invocation WHERE target_service_name = '${SERVICE.order}' AND target_service_key = '${id}' AND target_handler_name = 'run'`,
  );
  return row!;
}
const journalOf = (invocationId: string) =>
  admin.query<{ entry_type: string; name: string }>(
    `SELECT entry_type, name FROM sys_journal WHERE id = '${invocationId}' ORDER BY index`,
  );
/** Reminder timers of a waiting order that have fired (each is followed by a reminder to Slack). */
const remindersFired = async (id: string) =>
  (await journalOf((await runInvocation(id)).id)).filter((e) => e.entry_type === "Notification: Sleep").length;

async function stuckOrder(name: string) {
  const order = fake.seed({ name, items: [item("sku-mug", "fc-east"), item("sku-cap", "fc-north")] });
  fake.fail(order.id, "sendToCenter", { target: "fc-north", error: () => new PermanentError("422 closed"), times: 9 });
  await wf(order.id).workflowSubmit(fake.startHint(order.id));
  await until(async () => (await status(order.id)) === "needs_attention", { what: `${name} needs attention` });
  return order.id;
}

function completedOnce(id: string) {
  expect(fake.succeeded(id, "sendToCenter", "fc-north")).toHaveLength(1);
  expect(fake.succeeded(id, "sendToCenter", "fc-east")).toHaveLength(1);
  expect(fake.emails(id).filter((e) => e.kind === "confirmation")).toHaveLength(1);
  expect(fake.succeeded(id, "recordHistory")).toHaveLength(1);
}

beforeAll(async () => {
  baseDir = mkdtempSync(path.join(tmpdir(), "postpay-upgrade-"));
  server = await startRestateServer({
    baseDir,
    configFile: path.join(root, "restate.toml"),
    env: { RESTATE_DEFAULT_RETRY_POLICY__MAX_INTERVAL: "1s" },
  });
  admin = createRestateAdmin(server.adminUrl);
  ingress = clients.connect({ url: server.ingressUrl });
});

afterAll(async () => {
  for (const e of endpoints) await e.close();
  await server?.stop();
  if (baseDir) rmSync(baseDir, { recursive: true, force: true });
});

describe("deploying version 2 beside version 1 while orders wait", () => {
  it("finishes the waiting orders on version 1, runs new ones on version 2, and retires version 1 once drained", async () => {
    // Version 1, registered as the runbook says.
    const v1 = await serve(createServices(fake, OPTIONS), "v1");
    const first = await npmRun("register", [], { SERVICE_URL: v1.url, SERVICE_VERSION: "v1" });
    expect(first.out).toContain("registered");
    expect(first.code).toBe(0);
    const again = await npmRun("register", [], { SERVICE_URL: v1.url, SERVICE_VERSION: "v1" });
    expect(again).toMatchObject({ code: 0, out: expect.stringContaining("nothing to do") });

    // Orders left waiting on version 1.
    const attention = await stuckOrder("attention");
    const reminded = await stuckOrder("reminded");
    const payment = fake.seed({ name: "payment", payment: "pending" }).id;
    await wf(payment).workflowSubmit(fake.startHint(payment));
    await until(async () => (await status(payment)) === "awaiting_payment", { what: "awaiting payment" });
    await until(async () => (await remindersFired(reminded)) >= 1, { what: "a first reminder" });
    const [v1Deployment] = await admin.deployments();

    // Version 2 on a URL of its own, registered beside version 1.
    const v2 = await serve(versionTwo(), "v2");
    const second = await npmRun("register", [], { SERVICE_URL: v2.url, SERVICE_VERSION: "v2" });
    expect(second).toMatchObject({ code: 0, out: expect.stringContaining("(version v2)") });
    const v2Deployment = (await admin.deployments()).find((d) => d.id !== v1Deployment!.id)!;

    // Both listed; version 1 still holds the three orders, the oldest waiting for its decision.
    const report = await deploymentReport(admin);
    expect(report.map((d) => [d.id, d.version])).toEqual([
      [v1Deployment!.id, "v1"],
      [v2Deployment.id, "v2"],
    ]);
    expect(report[0]!.nonFinal).toBeGreaterThanOrEqual(3);
    expect(report[0]!.oldestWaitingOrder).toMatchObject({ orderId: attention });
    expect(report[0]!.oldestWaitingOrder!.waitingOn).toEqual([
      `promise "decision:${fake.incidents(attention)[0]!.id}"`,
      expect.stringMatching(/^timer "remind" until /),
    ]);
    const listed = await npmRun("deployments", [], {});
    expect(listed.out).toContain(`${v1Deployment!.id}  version v1`);
    expect(listed.out).toContain(`oldest waiting order ${attention}`);

    // Retiring version 1 now is refused, naming what still runs there.
    const early = await npmRun("deployments", ["retire", v1Deployment!.id], {});
    expect(early.code).toBe(2);
    for (const id of [attention, reminded, payment]) expect(early.out).toContain((await runInvocation(id)).id);

    // The replay check: version 1's waiting journals replay on version 1's code, not on version 2's.
    const recorded = await recordWaiting(admin, v1Deployment!.id);
    const runs = (verdicts: Awaited<ReturnType<typeof replayAll>>) =>
      verdicts.filter((v) => v.target.startsWith(`${SERVICE.order}/`) && v.target.endsWith("/run"));
    const onV1 = runs(await replayAll(createServices(inertPorts<Ports>(), OPTIONS), recorded));
    expect(onV1.map((v) => v.outcome)).toEqual(["replays", "replays", "replays"]);
    const onV2 = runs(await replayAll(versionTwo(inertPorts<Ports>()), recorded));
    expect(onV2.map((v) => v.outcome)).toEqual(["mismatch", "mismatch", "mismatch"]);
    expect(onV2[0]!.detail).toContain(ADDED_STEP);
    const journals = path.join(baseDir, "journals");
    const check = await npmRun("replay-check", ["--deployment", v1Deployment!.id, "--record", journals], {});
    expect(check).toMatchObject({ code: 0, out: expect.stringContaining("0 do not") });
    expect(await npmRun("replay-check", ["--journals", journals], {})).toMatchObject({ code: 0 });
    // RECORD_JOURNALS=test/fixtures/journals: the waiting orders' journals become CI's fixtures.
    const fixtures = process.env.RECORD_JOURNALS;
    if (fixtures) {
      mkdirSync(fixtures, { recursive: true });
      for (const r of recorded.filter((r) => r.service === SERVICE.order && r.handler === "run")) {
        writeFileSync(
          path.join(fixtures, `${r.key.replace(/_\d+_\d+_\w+$/, "")}.json`),
          `${JSON.stringify(r, null, 1)}\n`,
        );
      }
    }

    // Version 2's status handler answers for version 1's orders, from their views.
    const calls = v2StatusCalls;
    expect(await status(attention)).toBe("needs_attention");
    expect(await status(payment)).toBe("awaiting_payment");
    expect(v2StatusCalls).toBeGreaterThan(calls);

    // A new order runs on version 2, with its added and renamed steps.
    const fresh = fake.seed({ name: "fresh" }).id;
    await wf(fresh).workflowSubmit(fake.startHint(fresh));
    expect(await wf(fresh).workflowAttach()).toMatchObject({ status: "completed" });
    const freshRun = await runInvocation(fresh);
    expect(freshRun.pinned_deployment_id).toBe(v2Deployment.id);
    const freshSteps = (await journalOf(freshRun.id)).filter((e) => e.entry_type === "Command: Run").map((e) => e.name);
    expect(freshSteps.slice(0, 2)).toEqual([ADDED_STEP, RENAMED[STEP.loadPaymentSession]]);

    // The console says which version ran what: its footer both versions, an order's page its run's.
    const versions = createVersionDirectory(admin, "v2", 0);
    expect(await versions.ranOn((await runInvocation(attention)).id)).toBe("v1");
    expect(await versions.ranOn(freshRun.id)).toBe("v2");
    const footer = await versions.footer();
    expect(footer).toEqual({ app: "v2", deployed: ["v2", "v1"] });
    const shell = String(
      await page({ title: "t", session: { id: "s", expiresAt: 0, csrfToken: "c", operator: "admin", footer } }, html``),
    );
    expect(shell).toContain("postpay v2 · services v2, v1 (the older ones drain their orders)");

    // The reminded order gets another reminder after the deploy: it goes on waiting on version 1.
    const fired = await remindersFired(reminded);
    await until(async () => (await remindersFired(reminded)) > fired, { what: "a reminder after the deploy" });

    // Every waiting order is decided or paid, and finishes on version 1, once.
    for (const id of [attention, reminded]) {
      fake.clearFailures(id);
      fake.recordDecision(id, { action: "retry" });
      await wf(id).resolve({ action: "retry" });
    }
    fake.setPayment(payment, "paid");
    fake.recordPaymentEvent(payment, { outcome: "succeeded", eventId: "evt_upgrade" });
    await wf(payment).paymentEvent({ outcome: "succeeded", eventId: "evt_upgrade" });
    for (const id of [attention, reminded, payment]) {
      expect(await wf(id).workflowAttach()).toMatchObject({ status: "completed" });
      expect(await runInvocation(id)).toMatchObject({ pinned_deployment_id: v1Deployment!.id, status: "completed" });
      const steps = (await journalOf((await runInvocation(id)).id)).map((e) => e.name);
      expect(steps).not.toContain(ADDED_STEP);
      completedOnce(id);
    }

    // Version 1's URL now answering with version 2's code: registering it again is refused.
    await v1.close();
    const swapped = await serve(versionTwo(), "v2", v1.port);
    const overwrite = await npmRun("register", [], { SERVICE_URL: v1.url, SERVICE_VERSION: "v2" });
    expect(overwrite.code).toBe(2);
    expect(overwrite.out).toContain(`already deployment ${v1Deployment!.id}, registered for version v1`);
    await swapped.close();

    // Nothing runs on version 1 any more: it is retired.
    const retired = await npmRun("deployments", ["retire", v1Deployment!.id], {});
    expect(retired).toMatchObject({ code: 0, out: expect.stringContaining(`retired ${v1Deployment!.id}`) });
    expect((await admin.deployments()).map((d) => d.id)).toEqual([v2Deployment.id]);
    expect((await versions.footer()).deployed).toEqual(["v2"]);
  });

  it("re-registers a URL in place only with --force, for development, saying what that risks", async () => {
    const first = await serve(createServices(fake, OPTIONS), "dev-1");
    expect((await npmRun("register", [], { SERVICE_URL: first.url })).code).toBe(0);
    await first.close();
    const second = await serve(versionTwo(), "dev-2", first.port);
    const refused = await npmRun("register", [], { SERVICE_URL: first.url });
    expect(refused).toMatchObject({ code: 2, out: expect.stringContaining("registered for version dev-1") });
    const forced = await npmRun("register", ["--force"], { SERVICE_URL: first.url });
    expect(forced.code).toBe(0);
    expect(forced.out).toContain("with --force, for development only");
    expect(forced.out).toContain("now replay their journals on this code");
    const [deployment] = (await admin.deployments()).filter((d) => d.uri.startsWith(first.url));
    expect(deployment!.services.map((svc) => svc.version)).toContain("dev-2");
    await second.close();
  });
});
