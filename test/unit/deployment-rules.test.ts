// The rules of src/domain/deployment.ts: what `npm run register` may do with a URL, and what a
// waiting invocation waits for, read from its journal as sys_journal shows it.
import { describe, expect, it } from "vitest";
import { planRegistration, waitingOn, type Deployment } from "../../src/domain/deployment.ts";

const services = (version: string | undefined, handlers = ["run", "status"]) => [
  { name: "OrderWorkflow", handlers, version },
  { name: "SlackAlerts", handlers: ["notify"], version },
];
const known: Deployment = {
  id: "dp_v1",
  uri: "http://services-v1:9080/",
  createdAt: "2026-12-01T00:00:00Z",
  services: services("v1"),
};
const plan = (uri: string, version: string | undefined, expected?: string, handlers?: string[]) =>
  planRegistration({ uri, discovered: { services: services(version, handlers) }, expected, deployments: [known] });

describe("registering a URL", () => {
  it("registers a URL Restate does not know, with the version its endpoint reports", () => {
    expect(plan("http://services-v2:9080/", "v2")).toEqual({ kind: "register", version: "v2" });
  });

  it("does nothing for the same URL serving the same version (trailing slash or not)", () => {
    expect(plan("http://services-v1:9080", "v1")).toMatchObject({ kind: "already", deployment: { id: "dp_v1" } });
  });

  it("refuses a known URL that now serves another version, naming the deployment and the safe way", () => {
    const refusal = plan("http://services-v1:9080/", "v2");
    expect(refusal).toMatchObject({ kind: "refuse" });
    expect(refusal.kind === "refuse" && refusal.reason).toMatch(
      /already deployment dp_v1, registered for version v1.*serves v2.*URL of its own/,
    );
  });

  it("refuses a known URL whose handlers changed under the same version label", () => {
    expect(plan("http://services-v1:9080/", "v1", undefined, ["run", "status", "cancel"])).toMatchObject({
      kind: "refuse",
      reason: expect.stringContaining("version v1 with other handlers"),
    });
  });

  it("refuses an endpoint that reports another version than SERVICE_VERSION, or none", () => {
    expect(plan("http://services-v3:9080/", "v2", "v3")).toMatchObject({
      kind: "refuse",
      reason: expect.stringContaining("reports v2"),
    });
    expect(plan("http://services-v3:9080/", undefined)).toMatchObject({
      kind: "refuse",
      reason: expect.stringContaining("no postpay.version"),
    });
  });
});

const entry = (index: number, lite: unknown) => ({ index, entry_type: "", entry_lite_json: JSON.stringify(lite) });

describe("what a waiting invocation waits for", () => {
  it("names the promise raced against a reminder timer once, and leaves out what completed", () => {
    const journal = [
      entry(0, { Command: { Input: {} } }),
      entry(1, { Command: { Run: { completion_id: 1, name: "record incident" } } }),
      entry(2, { Notification: { id: { CompletionId: 1 } } }),
      entry(3, { Command: { GetPromise: { key: "decision:ps_1#1", completion_id: 2 } } }),
      entry(4, { Command: { Sleep: { wake_up_time: 0, completion_id: 3, name: "remind" } } }),
      entry(5, { Notification: { id: { CompletionId: 3 } } }),
      entry(6, { Command: { GetPromise: { key: "decision:ps_1#1", completion_id: 4 } } }),
      entry(7, { Command: { Sleep: { wake_up_time: 3_600_000, completion_id: 5, name: "remind" } } }),
    ];
    expect(waitingOn(journal)).toEqual(['promise "decision:ps_1#1"', 'timer "remind" until 1970-01-01T01:00:00.000Z']);
  });

  it("names a call by its target and a step still running by its name", () => {
    const journal = [
      entry(0, {
        Command: {
          Call: {
            invocation_target: { Service: { name: "Slow", handler: "wait" } },
            invocation_id_completion_id: 1,
            result_completion_id: 2,
          },
        },
      }),
      entry(1, { Notification: { id: { CompletionId: 1 } } }),
      entry(2, { Command: { Run: { completion_id: 3, name: "send to fc-east" } } }),
    ];
    expect(waitingOn(journal)).toEqual(["call Slow/wait", 'step "send to fc-east" (running)']);
  });
});
