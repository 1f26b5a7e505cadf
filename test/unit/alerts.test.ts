import { describe, expect, it } from "vitest";
import { slackMessage, waited, type Alert } from "../../src/domain/alerts.ts";

const alert = (n: number): Alert => ({
  incidentId: `ps_${n}#1`,
  orderId: `ps_${n}`,
  customerId: `cus_${n}`,
  step: "send to fc-east",
  error: "center fc-east answered 422: no",
  openedAt: "2026-11-23T10:00:00.000Z",
  orderUrl: `http://127.0.0.1:3000/orders/ps_${n}`,
  journalCommand: `npx restate invocations describe inv_${n}`,
});

describe("the Slack alert", () => {
  it("names order, step, error, customer, link and journal command in its top-level text", () => {
    const { text, blocks } = slackMessage([alert(1)]);
    for (const part of ["ps_1", "send to fc-east", "422", "cus_1", "/orders/ps_1", "restate invocations describe inv_1"]) {
      expect(text).toContain(part);
    }
    expect(JSON.stringify(blocks)).toContain("<http://127.0.0.1:3000/orders/ps_1|Open the order>");
  });

  it("coalesces a burst into one message that still names every order", () => {
    const burst = Array.from({ length: 25 }, (_, i) => alert(i));
    const { text, blocks } = slackMessage(burst);
    expect(text).toContain("25 orders need attention");
    for (const a of burst) expect(text).toContain(a.orderId);
    expect(blocks.length).toBeLessThanOrEqual(50); // Slack's limit per message
    expect(JSON.stringify(blocks)).toContain("and 15 more");
  });

  it("keeps the text readable for a long backlog: fifty orders by name, then a count", () => {
    const { text } = slackMessage(Array.from({ length: 80 }, (_, i) => alert(i)));
    expect(text).toContain("80 orders need attention");
    expect(text).toContain("ps_49 ");
    expect(text).not.toContain("ps_50 ");
    expect(text).toContain("and 30 more under /admin/incidents");
  });
});

describe("customer- and center-controlled text in an alert", () => {
  const hostile = (overrides: Partial<Alert>) => slackMessage([{ ...alert(1), ...overrides }]);
  const everything = (m: { text: string; blocks: unknown[] }) => `${m.text}\n${JSON.stringify(m.blocks)}`;

  it("cannot ping the channel, whether as <!channel>, <!here> or a bare @here", () => {
    const m = everything(hostile({ customerId: "<!channel> <!here|here> @here @everyone", error: "<!subteam^S123> @channel" }));
    expect(m).not.toMatch(/<!(channel|here|subteam)/);
    expect(m).not.toMatch(/@(here|everyone|channel)\b/);
    expect(m).toContain("&lt;!channel&gt;");
  });

  it("cannot add a link of its own", () => {
    const m = everything(hostile({ error: "center answered 422: <https://evil.example/login|Click to fix>", customerId: "<https://evil.example>" }));
    expect(m).not.toContain("<https://evil.example");
    expect(m).toContain("&lt;https://evil.example/login|Click to fix&gt;");
  });

  it("cannot break out of the error's code block or the journal's inline code", () => {
    const { blocks } = hostile({ error: "boom ``` *bold* <!channel> ```", journalCommand: "npx restate `rm -rf`" });
    const errorBlock = JSON.stringify(blocks[1]);
    const inner = /```(.*)```/.exec(JSON.parse(errorBlock).text.text)![1]!;
    expect(inner).not.toContain("```");
    expect(JSON.stringify(blocks[2])).not.toMatch(/`rm/);
  });

  it("keeps & < > readable (Slack shows the escapes as the characters)", () => {
    const m = hostile({ customerId: "Tom & Jerry <tj>" });
    expect(m.text).toContain("Tom &amp; Jerry &lt;tj&gt;");
  });
});

describe("how long someone has waited", () => {
  it.each([
    [30_000, "30 s"],
    [45 * 60_000, "45 min"],
    [60 * 60_000, "1 h"],
    [125 * 60_000, "2 h 5 min"],
  ])("%i ms reads as %s", (ms, text) => {
    expect(waited(ms)).toBe(text);
  });

  it("leads a reminder with its count and both waits, in the text Slack notifies with", () => {
    const { text } = slackMessage([{ ...alert(1), reminder: { count: 2, incidentWaitingMs: 2 * 3_600_000, orderWaitingMs: 125 * 60_000 } }]);
    expect(text).toMatch(/^:alarm_clock: Reminder 2, still undecided after 2 h \(the customer has waited 2 h 5 min\): Order ps_1/);
  });
});
