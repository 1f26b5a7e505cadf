// What an operator reads in Slack when an order needs attention, and the buttons they decide with.
// Pure formatting (the time "now" is passed in); every string that a customer, a center, an
// upstream error or a Slack user could have shaped is escaped for mrkdwn.
import type { ActionsBlock, AnyBlock, Button, ContextBlock, KnownBlock, PlainTextElement } from "@slack/types";
import { z } from "zod";
import { DECISION_ACTIONS, type DecisionAction, type RecordedDecision } from "./decision.ts";
import { escapeCodeBlock, escapeInlineCode, escapeMrkdwn as esc } from "./mrkdwn.ts";

export type Alert = {
  incidentId: string;
  orderId: string;
  customerId: string;
  step: string;
  error: string;
  /** Set on a reminder: nobody has decided yet. */
  reminder?: { count: number; incidentWaitingMs: number; orderWaitingMs: number };
  /** The order's live view (JSON). */
  orderUrl: string;
  /** The Restate CLI command that shows this order's journal. */
  journalCommand: string;
  // Optional: alerts queued in SlackAlerts by an older version have none of the fields below.
  /** When the incident opened (ISO 8601): the alert says how long the order has waited. */
  openedAt?: string;
  /** The order's page in the operator console. */
  consoleUrl?: string;
  /** The order's invocation in the Restate UI, when the admin URL is known. */
  journalUrl?: string;
};

export type SlackMessage = { text: string; blocks: KnownBlock[] };

const MAX_DETAILED = 10; // Slack allows 50 blocks a message; keep a burst readable.
const MAX_WITH_BUTTONS = 5; // of those, the first few also get the decision buttons
const MAX_NAMED = 50; // in the top-level text, which Slack truncates past 40,000 characters

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const reminderLead = (r: NonNullable<Alert["reminder"]>) =>
  `:alarm_clock: Reminder ${r.count}, still undecided after ${waitedFor(r.incidentWaitingMs)} (the customer has waited ${waitedFor(r.orderWaitingMs)}): `;

const plain = (text: string): PlainTextElement => ({ type: "plain_text", text, emoji: true });

/** How long an order has waited for an operator, e.g. "5 min", "2 h 5 min", "3 d 4 h". */
export function waited(openedAt: string, now: Date | number): string | undefined {
  const ms = +now - Date.parse(openedAt);
  return Number.isFinite(ms) ? waitedFor(ms) : undefined;
}

/** A wait in words: "less than a minute", "45 min", "2 h 5 min", "3 d 4 h". */
export function waitedFor(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 1) return "less than a minute";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** A time as Slack shows it, in each reader's own time zone (the ISO time where it cannot). */
export function slackTime(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return esc(iso);
  return `<!date^${Math.floor(t / 1000)}^{date_short_pretty} {time}|${new Date(t).toISOString()}>`;
}

// The decision buttons. action_id is the decision; value names the incident (and its order), so
// a click decides exactly the incident it was shown for, never whichever is open by then.
export const ButtonValueSchema = z.object({ orderId: z.string().min(1).max(300), incidentId: z.string().min(1).max(300) });
export type ButtonValue = z.infer<typeof ButtonValueSchema>;
export const isDecisionAction = (actionId: string): actionId is DecisionAction => (DECISION_ACTIONS as readonly string[]).includes(actionId);

/** The buttons' words, and what a decided alert says instead of them. */
export const DECISION_LABELS: Record<DecisionAction, { button: string; done: string }> = {
  retry: { button: "Retry", done: "Retried" },
  skip: { button: "Mark done by hand", done: "Marked done by hand" },
  abandon: { button: "Abandon", done: "Abandoned" },
};

function decisionButtons(a: Alert): ActionsBlock {
  const value = JSON.stringify({ orderId: a.orderId, incidentId: a.incidentId } satisfies ButtonValue);
  const button = (action: DecisionAction, extra: Partial<Button> = {}): Button => ({
    type: "button",
    action_id: action,
    text: plain(DECISION_LABELS[action].button),
    value,
    ...extra,
  });
  return {
    type: "actions",
    elements: [
      button("retry", { style: "primary" }),
      button("skip"),
      button("abandon", {
        style: "danger",
        confirm: {
          title: plain("Abandon this order?"),
          text: {
            type: "mrkdwn",
            text: `Order \`${escapeInlineCode(clip(a.orderId, 100))}\` ends as *abandoned*: nothing more is shipped, stocked or confirmed, and postpay refunds nothing.`,
          },
          confirm: plain("Abandon"),
          deny: plain("Keep waiting"),
          style: "danger",
        },
      }),
    ],
  };
}

function alertBlocks(a: Alert, now: Date | number | undefined, withButtons: boolean): KnownBlock[] {
  const waitedFor = a.openedAt && now !== undefined ? waited(a.openedAt, now) : undefined;
  return [
    {
      type: "section",
      text: { type: "mrkdwn", text: `*Order \`${escapeInlineCode(a.orderId)}\` needs attention*: step *${esc(a.step)}* failed` },
      fields: [
        { type: "mrkdwn", text: `*Customer*\n${esc(a.customerId)}` },
        { type: "mrkdwn", text: `*Incident*\n${esc(a.incidentId)}` },
        ...(waitedFor ? [{ type: "mrkdwn" as const, text: `*Waiting*\n${waitedFor}, since ${slackTime(a.openedAt!)}` }] : []),
      ],
    },
    { type: "section", text: { type: "mrkdwn", text: `*Error*\n\`\`\`${escapeCodeBlock(clip(a.error, 2500))}\`\`\`` } },
    {
      type: "context",
      elements: [
        ...(a.consoleUrl ? [{ type: "mrkdwn" as const, text: `<${a.consoleUrl}|Open in the console>` }] : []),
        { type: "mrkdwn", text: `<${a.orderUrl}|Open the order>` },
        { type: "mrkdwn", text: `Journal: \`${escapeInlineCode(a.journalCommand)}\`` },
        ...(a.journalUrl ? [{ type: "mrkdwn" as const, text: `<${a.journalUrl}|Journal in the Restate UI>` }] : []),
      ],
    },
    ...(withButtons ? [decisionButtons(a)] : []),
  ];
}

/**
 * One message for one alert, or one digest for a burst: every alert is named in the top-level
 * text (so nothing is dropped silently), the first few also get full blocks, and the first of
 * those the decision buttons. `now` is when the message is built: alerts say how long their
 * order has waited by then.
 */
export function slackMessage(alerts: Alert[], now?: Date | number): SlackMessage {
  if (alerts.length === 1) {
    const a = alerts[0]!;
    const waitedFor = a.openedAt && now !== undefined ? waited(a.openedAt, now) : undefined;
    return {
      text: esc(
        `${a.reminder ? reminderLead(a.reminder) : ":rotating_light: "}Order ${a.orderId} needs attention: step "${a.step}" failed: ${clip(a.error, 300)} (customer ${a.customerId})` +
          `${waitedFor ? `, waiting ${waitedFor}` : ""} ${a.orderUrl}${a.consoleUrl ? ` | console: ${a.consoleUrl}` : ""} | journal: ${a.journalCommand}`,
      ),
      blocks: alertBlocks(a, now, true),
    };
  }
  const detailed = alerts.slice(0, MAX_DETAILED);
  const rest = alerts.length - detailed.length;
  const named = alerts
    .slice(0, MAX_NAMED)
    .map((a) => `${a.orderId} (${esc(a.step)}${a.reminder ? `, reminder ${a.reminder.count}` : ""})`)
    .join(", ");
  const unnamed = alerts.length - Math.min(alerts.length, MAX_NAMED);
  const unbuttoned = detailed.length - Math.min(detailed.length, MAX_WITH_BUTTONS);
  return {
    text: `:rotating_light: ${alerts.length} orders need attention: ${named}${unnamed ? `, and ${unnamed} more under /admin/incidents` : ""}`,
    blocks: [
      { type: "header", text: plain(`${alerts.length} orders need attention`) },
      ...detailed.flatMap((a, i) => [...alertBlocks(a, now, i < MAX_WITH_BUTTONS), { type: "divider" as const }]),
      ...(unbuttoned > 0 || rest > 0
        ? [
            {
              type: "section" as const,
              text: {
                type: "mrkdwn" as const,
                text: [
                  unbuttoned > 0 ? `Buttons for the first ${MAX_WITH_BUTTONS}; decide the others in the console.` : "",
                  rest > 0 ? `…and ${rest} more, listed above and under /admin/incidents.` : "",
                ]
                  .filter(Boolean)
                  .join(" "),
              },
            },
          ]
        : []),
    ],
  };
}

/** What became of a click on a decision button. */
export type ClickOutcome =
  /** This click's decision is the one recorded (shown as recorded: who, when). */
  | { kind: "decided"; decision: RecordedDecision }
  /** Someone decided the incident before; the click changed nothing. */
  | { kind: "already-decided"; decision: RecordedDecision; attempted: DecisionAction }
  /** The incident is no longer open and no decision is known for it. */
  | { kind: "closed"; attempted: DecisionAction };

/** The line that takes the place of an alert's buttons once its incident is decided. */
export function decisionNotice(outcome: ClickOutcome): string {
  if (outcome.kind === "closed") return `:information_source: This incident is no longer open; your ${outcome.attempted} changed nothing.`;
  const d = outcome.decision;
  if (outcome.kind === "already-decided") {
    return `:information_source: Already decided by ${esc(d.decidedBy)} (${d.action}) at ${slackTime(d.decidedAt)}; this ${outcome.attempted} changed nothing.`;
  }
  const icon = d.action === "abandon" ? ":no_entry:" : ":white_check_mark:";
  return `${icon} ${DECISION_LABELS[d.action].done} by ${esc(d.decidedBy)} at ${slackTime(d.decidedAt)}`;
}

/** The incident a block's decision buttons decide, if it is such a block. */
export function incidentOfBlock(block: AnyBlock): ButtonValue | undefined {
  if (block.type !== "actions") return undefined;
  for (const element of (block as ActionsBlock).elements ?? []) {
    if (element.type !== "button" || !element.action_id || !isDecisionAction(element.action_id) || !element.value) continue;
    try {
      const parsed = ButtonValueSchema.safeParse(JSON.parse(element.value));
      if (parsed.success) return parsed.data;
    } catch {
      // not one of ours
    }
  }
  return undefined;
}

/**
 * A message as Slack showed it, with the decision buttons of each decided incident replaced by
 * its notice (`notices`, by incident id); everything else stays as it was.
 */
export function withNotices(blocks: AnyBlock[], notices: ReadonlyMap<string, string>): AnyBlock[] {
  return blocks.map((block) => {
    const incident = incidentOfBlock(block);
    const notice = incident && notices.get(incident.incidentId);
    if (!notice) return block;
    const replaced: ContextBlock = { type: "context", elements: [{ type: "mrkdwn", text: notice }] };
    return replaced;
  });
}
