// What an operator reads in Slack when an order needs attention. Pure formatting; every string
// that a customer, a center or an upstream error could have shaped is escaped for mrkdwn.
import { escapeCodeBlock, escapeInlineCode, escapeMrkdwn as esc } from "./mrkdwn.ts";
export type Alert = {
  incidentId: string;
  orderId: string;
  customerId: string;
  step: string;
  error: string;
  /** When the incident was opened (ISO). */
  openedAt: string;
  /** Set on a reminder: nobody has decided yet. */
  reminder?: { count: number; incidentWaitingMs: number; orderWaitingMs: number };
  orderUrl: string;
  /** The Restate CLI command that shows this order's journal. */
  journalCommand: string;
};

type Block = Record<string, unknown>;
export type SlackMessage = { text: string; blocks: Block[] };

const MAX_DETAILED = 10; // Slack allows 50 blocks a message; keep a burst readable.
const MAX_NAMED = 50; // in the top-level text, which Slack truncates past 40,000 characters

/** "2 h 5 min", "45 min", "30 s": how long someone has waited. */
export function waited(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

const reminderLead = (r: NonNullable<Alert["reminder"]>) =>
  `:alarm_clock: Reminder ${r.count}, still undecided after ${waited(r.incidentWaitingMs)} (the customer has waited ${waited(r.orderWaitingMs)}): `;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function alertBlocks(a: Alert): Block[] {
  return [
    {
      type: "section",
      text: { type: "mrkdwn", text: `*Order \`${escapeInlineCode(a.orderId)}\` needs attention*: step *${esc(a.step)}* failed` },
      fields: [
        { type: "mrkdwn", text: `*Customer*\n${esc(a.customerId)}` },
        { type: "mrkdwn", text: `*Incident*\n${esc(a.incidentId)}` },
      ],
    },
    { type: "section", text: { type: "mrkdwn", text: `*Error*\n\`\`\`${escapeCodeBlock(clip(a.error, 2500))}\`\`\`` } },
    {
      type: "context",
      elements: [
        { type: "mrkdwn", text: `<${a.orderUrl}|Open the order>` },
        { type: "mrkdwn", text: `Journal: \`${escapeInlineCode(a.journalCommand)}\`` },
      ],
    },
  ];
}

/**
 * One message for one alert, or one digest for a burst: every alert is named in the top-level
 * text (so nothing is dropped silently), the first few also get full blocks.
 */
export function slackMessage(alerts: Alert[]): SlackMessage {
  if (alerts.length === 1) {
    const a = alerts[0]!;
    return {
      text: esc(`${a.reminder ? reminderLead(a.reminder) : ":rotating_light: "}Order ${a.orderId} needs attention: step "${a.step}" failed: ${clip(a.error, 300)} (customer ${a.customerId}) ${a.orderUrl} | journal: ${a.journalCommand}`),
      blocks: alertBlocks(a),
    };
  }
  const detailed = alerts.slice(0, MAX_DETAILED);
  const rest = alerts.length - detailed.length;
  const named = alerts
    .slice(0, MAX_NAMED)
    .map((a) => `${a.orderId} (${esc(a.step)}${a.reminder ? `, reminder ${a.reminder.count}` : ""})`)
    .join(", ");
  const unnamed = alerts.length - Math.min(alerts.length, MAX_NAMED);
  return {
    text: `:rotating_light: ${alerts.length} orders need attention: ${named}${unnamed ? `, and ${unnamed} more under /admin/incidents` : ""}`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: `${alerts.length} orders need attention` } },
      ...detailed.flatMap((a) => [...alertBlocks(a), { type: "divider" }]),
      ...(rest > 0
        ? [{ type: "section", text: { type: "mrkdwn", text: `…and ${rest} more, listed above and under /admin/incidents.` } }]
        : []),
    ],
  };
}
