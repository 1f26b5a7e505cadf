import type { ActionsBlock, Button, ContextBlock } from "@slack/types";
import { describe, expect, it } from "vitest";
import { slackMessage as unsignedMessage, waited, type Alert, type SlackMessage } from "../../src/domain/alerts.ts";
import {
  buttonKey,
  buttonSigner,
  ButtonValueSchema,
  decisionNotice,
  verifiedButtonValue,
  withNotices,
} from "../../src/domain/decision-buttons.ts";
import type { RecordedDecision } from "../../src/domain/decision.ts";

const sign = buttonSigner(buttonKey("unit-test slack signing secret"));
/** The alert as the services post it: buttons signed with the key derived from the signing secret. */
const slackMessage = (alerts: Alert[], now?: Date | number) => unsignedMessage(alerts, now, sign);

const OPENED = "2030-05-04T10:00:00.000Z";
const minutes = (n: number) => new Date(Date.parse(OPENED) + n * 60_000);

const alert = (n: number): Alert => ({
  incidentId: `ps_${n}#1`,
  orderId: `ps_${n}`,
  customerId: `cus_${n}`,
  step: "send to fc-east",
  error: "center fc-east answered 422: no",
  orderUrl: `http://127.0.0.1:3000/orders/ps_${n}`,
  journalCommand: `npx restate invocations describe inv_${n}`,
  openedAt: OPENED,
  consoleUrl: `http://127.0.0.1:3000/console/orders/ps_${n}`,
  journalUrl: `http://127.0.0.1:9070/ui/invocations/inv_${n}`,
});

const actionBlocks = (m: SlackMessage) => m.blocks.filter((b): b is ActionsBlock => b.type === "actions");
const buttons = (m: SlackMessage) => actionBlocks(m).map((b) => b.elements as Button[]);

describe("the Slack alert", () => {
  it("names order, step, error, customer, link and journal command in its top-level text", () => {
    const { text, blocks } = slackMessage([alert(1)]);
    for (const part of [
      "ps_1",
      "send to fc-east",
      "422",
      "cus_1",
      "/orders/ps_1",
      "restate invocations describe inv_1",
    ]) {
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
    const m = everything(
      hostile({ customerId: "<!channel> <!here|here> @here @everyone", error: "<!subteam^S123> @channel" }),
    );
    expect(m).not.toMatch(/<!(channel|here|subteam)/);
    expect(m).not.toMatch(/@(here|everyone|channel)\b/);
    expect(m).toContain("&lt;!channel&gt;");
  });

  it("cannot add a link of its own", () => {
    const m = everything(
      hostile({
        error: "center answered 422: <https://evil.example/login|Click to fix>",
        customerId: "<https://evil.example>",
      }),
    );
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

describe("the decision buttons of an alert", () => {
  it("are Retry, Mark done by hand and Abandon, each naming the decision (action_id), the order and the incident (value)", () => {
    const [row, ...others] = buttons(slackMessage([alert(1)], minutes(5)));
    expect(others).toHaveLength(0);
    expect(row!.map((b) => [b.action_id, b.text.text])).toEqual([
      ["retry", "Retry"],
      ["skip", "Mark done by hand"],
      ["abandon", "Abandon"],
    ]);
    for (const button of row!) {
      expect(ButtonValueSchema.parse(JSON.parse(button.value!))).toEqual({ orderId: "ps_1", incidentId: "ps_1#1" });
    }
  });

  it("carry our HMAC over order, incident and action: a value verifies only for its own button and key", () => {
    const [retry, skip] = buttons(slackMessage([alert(1)], minutes(5)))[0]!;
    const target = { orderId: "ps_1", incidentId: "ps_1#1" };
    expect(verifiedButtonValue(sign, retry!.value, "retry")).toEqual(target);
    expect(verifiedButtonValue(sign, skip!.value, "skip")).toEqual(target);
    // Retry's value sent with skip's action, another key's value, no MAC, a changed incident: none verifies.
    expect(verifiedButtonValue(sign, retry!.value, "skip")).toBeUndefined();
    expect(verifiedButtonValue(buttonSigner(buttonKey("another secret")), retry!.value, "retry")).toBeUndefined();
    expect(verifiedButtonValue(sign, JSON.stringify(target), "retry")).toBeUndefined();
    const moved = { ...JSON.parse(retry!.value!), incidentId: "ps_1#2" };
    expect(verifiedButtonValue(sign, JSON.stringify(moved), "retry")).toBeUndefined();
    expect(verifiedButtonValue(sign, "not json", "retry")).toBeUndefined();
  });

  it("are left out when nothing could verify a click (no signing secret): the console decides", () => {
    expect(buttons(unsignedMessage([alert(1)], minutes(5)))).toEqual([]);
  });

  it("ask before Mark done by hand, saying what it means for the step: on verify payment, treat as paid", () => {
    const [, skip] = buttons(slackMessage([{ ...alert(1), step: "verify payment" }], minutes(5)))[0]!;
    expect(skip!.confirm).toMatchObject({
      title: { type: "plain_text", text: "Treat as paid?" },
      text: { type: "mrkdwn", text: expect.stringContaining("as if Stripe had confirmed the payment") },
      confirm: { type: "plain_text", text: "Treat as paid" },
      deny: { type: "plain_text", text: "Keep waiting" },
    });
    const [, sendSkip] = buttons(slackMessage([alert(1)], minutes(5)))[0]!;
    expect(sendSkip!.confirm?.text.text).toContain("postpay sends nothing to fc-east");
  });

  it("ask for confirmation before Abandon and Mark done by hand, never before Retry (Slack's confirm dialog)", () => {
    const [retry, skip, abandon] = buttons(slackMessage([alert(1)], minutes(5)))[0]!;
    expect(retry!.confirm).toBeUndefined();
    expect(skip!.confirm).toBeDefined();
    expect(abandon!.style).toBe("danger");
    expect(abandon!.confirm).toMatchObject({
      title: { type: "plain_text", text: "Abandon this order?" },
      text: { type: "mrkdwn", text: expect.stringContaining("ps_1") },
      confirm: { type: "plain_text", text: "Abandon" },
      deny: { type: "plain_text", text: "Keep waiting" },
      style: "danger",
    });
  });

  it("sit under links to the order's console page, its journal command and its journal in the Restate UI", () => {
    const m = slackMessage([alert(1)], minutes(5));
    const links = JSON.stringify(m.blocks.find((b) => b.type === "context"));
    expect(links).toContain("<http://127.0.0.1:3000/console/orders/ps_1|Open in the console>");
    expect(links).toContain("<http://127.0.0.1:9070/ui/invocations/inv_1|Journal in the Restate UI>");
    expect(links).toContain("npx restate invocations describe inv_1");
    expect(m.text).toContain("console: http://127.0.0.1:3000/console/orders/ps_1");
    // Without the admin URL there is no UI link; the CLI command is still there.
    const { journalUrl: _, ...withoutUi } = alert(1);
    expect(JSON.stringify(slackMessage([withoutUi], minutes(5)).blocks)).not.toContain("Restate UI");
  });

  it("are kept, in a digest, for the first five alerts, each deciding its own incident", () => {
    const m = slackMessage(
      Array.from({ length: 8 }, (_, i) => alert(i)),
      minutes(5),
    );
    const incidents = buttons(m).map((row) => row.map((b) => JSON.parse(b.value!).incidentId));
    expect(incidents).toEqual([0, 1, 2, 3, 4].map((i) => Array(3).fill(`ps_${i}#1`)));
    expect(JSON.stringify(m.blocks)).toContain("Buttons for the first 5; decide the others in the console.");
    expect(JSON.stringify(m.blocks)).toContain("/console/orders/ps_7|Open in the console");
    expect(
      slackMessage(
        Array.from({ length: 80 }, (_, i) => alert(i)),
        minutes(5),
      ).blocks.length,
    ).toBeLessThanOrEqual(50);
  });
});

describe("how long an order has waited", () => {
  it("is counted from the incident's opening to when the message is built", () => {
    const at = (m: number) => slackMessage([alert(1)], minutes(m));
    expect(at(5).text).toContain("waiting 5 min");
    expect(JSON.stringify(at(5).blocks)).toContain(
      "*Waiting*\\n5 min, since <!date^1904119200^{date_short_pretty} {time}|2030-05-04T10:00:00.000Z>",
    );
    expect(at(125).text).toContain("waiting 2 h 5 min");
    expect(at(0.5).text).toContain("waiting less than a minute");
    expect(waited(OPENED, minutes(60 * 24 * 3 + 60 * 4))).toBe("3 d 4 h");
    expect(waited(OPENED, minutes(60 * 3))).toBe("3 h");
  });

  it("is left out for an alert queued before alerts knew when their incident opened", () => {
    const { openedAt: _, ...old } = alert(1);
    const m = slackMessage([old], minutes(5));
    expect(m.text).not.toContain("waiting");
    expect(JSON.stringify(m.blocks)).not.toContain("Waiting");
    expect(buttons(m)).toHaveLength(1);
  });
});

describe("an alert once its incident is decided", () => {
  const decision = (over: Partial<RecordedDecision> = {}): RecordedDecision => ({
    action: "retry",
    note: null,
    decidedBy: "alice (U0ALICE)",
    via: "slack",
    decidedAt: "2030-05-04T10:07:00.000Z",
    ...over,
  });

  it("says who decided what, and when, in Slack's own time format", () => {
    expect(decisionNotice({ kind: "decided", decision: decision() })).toBe(
      ":white_check_mark: Retried by alice (U0ALICE) at <!date^1904119620^{date_short_pretty} {time}|2030-05-04T10:07:00.000Z>",
    );
    expect(decisionNotice({ kind: "decided", decision: decision({ action: "skip" }) })).toContain(
      "Marked done by hand by alice (U0ALICE) at",
    );
    expect(decisionNotice({ kind: "decided", decision: decision({ action: "abandon" }) })).toContain(
      ":no_entry: Abandoned by alice (U0ALICE) at",
    );
  });

  it("says a later click changed nothing, naming the decision that stands", () => {
    const text = decisionNotice({
      kind: "already-decided",
      decision: decision({ decidedBy: "admin", via: "admin-api" }),
      attempted: "abandon",
    });
    expect(text).toMatch(
      /^:information_source: Already decided by admin \(retry\) at <!date\^\d+\^.*>; this abandon changed nothing\.$/,
    );
    expect(decisionNotice({ kind: "closed", attempted: "skip" })).toContain(
      "no longer open; your skip changed nothing",
    );
  });

  it("loses the buttons of that incident only; the rest of the message stays as it was", () => {
    const digest = slackMessage([alert(1), alert(2)], minutes(5));
    const updated = withNotices(digest.blocks, new Map([["ps_2#1", "Retried by alice"]]));
    expect(updated).toHaveLength(digest.blocks.length);
    const rows = updated.filter((b) => b.type === "actions") as ActionsBlock[];
    expect(rows.map((b) => JSON.parse((b.elements[0] as Button).value!).incidentId)).toEqual(["ps_1#1"]);
    const notice = updated.find(
      (b) => b.type === "context" && JSON.stringify(b).includes("Retried by alice"),
    ) as ContextBlock;
    expect(updated.indexOf(notice)).toBe(digest.blocks.indexOf(actionBlocks(digest)[1]!));
    expect(updated.filter((b) => b.type !== "actions" && !JSON.stringify(b).includes("Retried by alice"))).toEqual(
      digest.blocks.filter((b) => b.type !== "actions"),
    );
  });

  it("cannot be made to ping or link by a Slack user's name", () => {
    const text = decisionNotice({
      kind: "decided",
      decision: decision({ decidedBy: "<!channel> @here <https://evil.example|x> (U1)" }),
    });
    expect(text).not.toMatch(/<!channel|@here\b|<https:\/\/evil/);
    expect(text).toContain("&lt;!channel&gt;");
  });
});

describe("a reminder", () => {
  it("leads with its count and both waits, in the text Slack notifies with, and keeps the buttons", () => {
    const m = slackMessage([
      { ...alert(1), reminder: { count: 2, incidentWaitingMs: 2 * 3_600_000, orderWaitingMs: 125 * 60_000 } },
    ]);
    expect(m.text).toMatch(
      /^:alarm_clock: Reminder 2, still undecided after 2 h \(the customer has waited 2 h 5 min\): Order ps_1/,
    );
    expect(
      buttons(m)
        .flat()
        .map((b) => b.action_id),
    ).toEqual(["retry", "skip", "abandon"]);
  });

  it("is marked as such in a digest", () => {
    const { text } = slackMessage([
      alert(1),
      { ...alert(2), reminder: { count: 1, incidentWaitingMs: 3_600_000, orderWaitingMs: 3_700_000 } },
    ]);
    expect(text).toContain("ps_2 (send to fc-east, reminder 1)");
  });
});
