// Text from customers, centers and upstream errors, made safe for Slack's mrkdwn: it can neither
// ping (<!channel>, @here), nor link (<http://…|…>), nor break out of the code block it sits in.
// https://api.slack.com/reference/surfaces/formatting#escaping

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
