// Text from customers, centers and upstream errors, made safe for Slack's mrkdwn: it can neither
// ping (<!channel>, @here), nor link (<http://…|…>), nor break out of the code block it sits in.
// https://api.slack.com/reference/surfaces/formatting#escaping
// And the few text pieces every Slack message of ours is made of (times, plain text, clipping).
import type { PlainTextElement } from "@slack/types";

const PINGS = /@(channel|here|everyone)\b/gi;
const ZWSP = "\u200b"; // zero-width space: breaks a token without changing what a reader sees

/** Plain text in a mrkdwn field or the message's top-level text. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(PINGS, `@${ZWSP}$1`);
}

/** Text inside a ``` block: a ``` of its own would end the block early. */
export function escapeCodeBlock(text: string): string {
  return escapeMrkdwn(text).replace(/`{3,}/g, (run) => run.split("").join(ZWSP));
}

/** Text inside `inline code`: one backtick would end it. */
export function escapeInlineCode(text: string): string {
  return escapeMrkdwn(text).replace(/`/g, "'");
}

/** A time as Slack shows it, in each reader's own time zone (the ISO time where it cannot). */
export function slackTime(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return escapeMrkdwn(iso);
  return `<!date^${Math.floor(t / 1000)}^{date_short_pretty} {time}|${new Date(t).toISOString()}>`;
}

/** Block Kit's plain_text: button labels and dialog titles, never read as mrkdwn. */
export const plain = (text: string): PlainTextElement => ({ type: "plain_text", text, emoji: true });

/** At most n characters, an ellipsis where it was cut. */
export const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
