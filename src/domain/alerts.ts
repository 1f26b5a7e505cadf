// What an operator reads in Slack when an order needs attention; the buttons they decide with are
// decision-buttons.ts.
// Pure formatting (the time "now" is passed in); every string that a customer, a center, an
// upstream error or a Slack user could have shaped is escaped for mrkdwn.
import type { KnownBlock } from "@slack/types";
import { decisionButtons, type ButtonSigner } from "./decision-buttons.ts";
import { clip, escapeCodeBlock, escapeInlineCode, escapeMrkdwn as esc, plain, slackTime } from "./mrkdwn.ts";

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
  /**
   * Set: news for operators, nothing to decide (a dispute, a fraud warning, a review): `step` is its
   * title, `error` its details, `incidentId` the Stripe event id; posted without buttons.
   */
  notice?: true;
  /** The payment in the Stripe Dashboard. */
  dashboardUrl?: string;
  /**
   * Set when no incident was opened: the order has made no progress since `since` (ISO 8601)
   * while Restate retries `step` (a database or endpoint outage). Nothing to decide: no buttons.
   */
  stuck?: { since: string };
};

const stuckLead = (a: Alert, now: Date | number | undefined) =>
  `Order ${a.orderId} is stuck: no progress${now === undefined ? "" : ` for ${waited(a.stuck!.since, now) ?? "a while"}`} on step "${a.step}", which Restate keeps retrying (no incident: nothing to decide)`;

export type SlackMessage = { text: string; blocks: KnownBlock[] };

const MAX_DETAILED = 10; // Slack allows 50 blocks a message; keep a burst readable.
const MAX_WITH_BUTTONS = 5; // of those, the first few also get the decision buttons
const MAX_NAMED = 50; // in the top-level text, which Slack truncates past 40,000 characters

const reminderLead = (r: NonNullable<Alert["reminder"]>) =>
  `:alarm_clock: Reminder ${r.count}, still undecided after ${waitedFor(r.incidentWaitingMs)} (the customer has waited ${waitedFor(r.orderWaitingMs)}): `;

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

function alertBlocks(a: Alert, now: Date | number | undefined, sign: ButtonSigner | undefined): KnownBlock[] {
  const waitedFor = a.openedAt && now !== undefined && !a.notice ? waited(a.openedAt, now) : undefined;
  const order = `*Order \`${escapeInlineCode(a.orderId)}\``;
  const head: KnownBlock = a.stuck
    ? { type: "section", text: { type: "mrkdwn", text: `*${esc(stuckLead(a, now))}*` } }
    : {
        type: "section",
        text: {
          type: "mrkdwn",
          text: a.notice ? `${order}*: ${esc(a.step)}` : `${order} needs attention*: step *${esc(a.step)}* failed`,
        },
        fields: [
          { type: "mrkdwn", text: `*Customer*\n${esc(a.customerId)}` },
          { type: "mrkdwn", text: `*${a.notice ? "Stripe event" : "Incident"}*\n${esc(a.incidentId)}` },
          ...(waitedFor
            ? [{ type: "mrkdwn" as const, text: `*Waiting*\n${waitedFor}, since ${slackTime(a.openedAt!)}` }]
            : []),
        ],
      };
  return [
    head,
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: `*${a.notice ? "Details" : "Error"}*\n\`\`\`${escapeCodeBlock(clip(a.error, 2500))}\`\`\``,
      },
    },
    {
      type: "context",
      elements: [
        ...(a.dashboardUrl
          ? [{ type: "mrkdwn" as const, text: `<${a.dashboardUrl}|Payment in the Stripe Dashboard>` }]
          : []),
        ...(a.consoleUrl ? [{ type: "mrkdwn" as const, text: `<${a.consoleUrl}|Open in the console>` }] : []),
        { type: "mrkdwn", text: `<${a.orderUrl}|Open the order>` },
        { type: "mrkdwn", text: `Journal: \`${escapeInlineCode(a.journalCommand)}\`` },
        ...(a.journalUrl ? [{ type: "mrkdwn" as const, text: `<${a.journalUrl}|Journal in the Restate UI>` }] : []),
      ],
    },
    ...(sign && !a.notice && !a.stuck ? [decisionButtons(a, sign)] : []),
  ];
}

/** The one-line text of a notice: the order, what Stripe said, the amount and reason, the Dashboard link. */
const noticeText = (a: Alert) =>
  esc(
    `:credit_card: Order ${a.orderId}: ${a.step}: ${clip(a.error, 300)} (customer ${a.customerId})` +
      `${a.dashboardUrl ? ` ${a.dashboardUrl}` : ""}${a.consoleUrl ? ` | console: ${a.consoleUrl}` : ""}`,
  );

/**
 * One message for one alert, or one digest for a burst: every alert is named in the top-level
 * text (so nothing is dropped silently), the first few also get full blocks, and the first of
 * those the decision buttons. `now` is when the message is built: alerts say how long their
 * order has waited by then. Without `sign` (no Slack signing secret: nothing could verify a click)
 * there are no buttons; operators decide in the console.
 */
export function slackMessage(alerts: Alert[], now?: Date | number, sign?: ButtonSigner): SlackMessage {
  if (alerts.length === 1) {
    const a = alerts[0]!;
    const waitedFor = a.openedAt && now !== undefined ? waited(a.openedAt, now) : undefined;
    if (a.notice) return { text: noticeText(a), blocks: alertBlocks(a, now, undefined) };
    if (a.stuck)
      return {
        text: esc(
          `:hourglass: ${stuckLead(a, now)}: ${clip(a.error, 300)} ${a.consoleUrl ?? a.orderUrl} | journal: ${a.journalCommand}`,
        ),
        blocks: alertBlocks(a, now, undefined),
      };
    return {
      text: esc(
        `${a.reminder ? reminderLead(a.reminder) : ":rotating_light: "}Order ${a.orderId} needs attention: step "${a.step}" failed: ${clip(a.error, 300)} (customer ${a.customerId})` +
          `${waitedFor ? `, waiting ${waitedFor}` : ""} ${a.orderUrl}${a.consoleUrl ? ` | console: ${a.consoleUrl}` : ""} | journal: ${a.journalCommand}`,
      ),
      blocks: alertBlocks(a, now, sign),
    };
  }
  const detailed = alerts.slice(0, MAX_DETAILED);
  const rest = alerts.length - detailed.length;
  const named = alerts
    .slice(0, MAX_NAMED)
    .map(
      (a) =>
        `${a.orderId} (${esc(a.step)}${a.stuck ? ", stuck" : ""}${a.reminder ? `, reminder ${a.reminder.count}` : ""})`,
    )
    .join(", ");
  const unnamed = alerts.length - Math.min(alerts.length, MAX_NAMED);
  const unbuttoned = detailed.length - Math.min(detailed.length, MAX_WITH_BUTTONS);
  return {
    text: `:rotating_light: ${alerts.length} orders need attention: ${named}${unnamed ? `, and ${unnamed} more under /admin/incidents` : ""}`,
    blocks: [
      { type: "header", text: plain(`${alerts.length} orders need attention`) },
      ...detailed.flatMap((a, i) => [
        ...alertBlocks(a, now, i < MAX_WITH_BUTTONS ? sign : undefined),
        { type: "divider" as const },
      ]),
      ...(unbuttoned > 0 || rest > 0
        ? [
            {
              type: "section" as const,
              text: {
                type: "mrkdwn" as const,
                text: [
                  unbuttoned > 0 && sign
                    ? `Buttons for the first ${MAX_WITH_BUTTONS}; decide the others in the console.`
                    : "",
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
