// The decision buttons of a Slack alert, and what becomes of them once clicked. action_id is the
// decision; value names the incident (and its order), so a click decides exactly the incident it
// was shown for, never whichever is open by then.
import type { ActionsBlock, AnyBlock, Button, ContextBlock } from "@slack/types";
import { z } from "zod";
import { DECISION_ACTIONS, DECISION_LABELS, type DecisionAction, type RecordedDecision } from "./decision.ts";
import { clip, escapeInlineCode, escapeMrkdwn as esc, plain, slackTime } from "./mrkdwn.ts";

export const ButtonValueSchema = z.object({
  orderId: z.string().min(1).max(300),
  incidentId: z.string().min(1).max(300),
});
export type ButtonValue = z.infer<typeof ButtonValueSchema>;
export const isDecisionAction = (actionId: string): actionId is DecisionAction =>
  (DECISION_ACTIONS as readonly string[]).includes(actionId);

/** One button per decision; abandon asks first, as it cannot be undone. */
export function decisionButtons(target: ButtonValue): ActionsBlock {
  const value = JSON.stringify({ orderId: target.orderId, incidentId: target.incidentId } satisfies ButtonValue);
  return {
    type: "actions",
    elements: DECISION_ACTIONS.map((action): Button => {
      const { button, style } = DECISION_LABELS[action];
      return {
        type: "button",
        action_id: action,
        text: plain(button),
        value,
        ...(style && { style }),
        ...(action === "abandon" && { confirm: abandonConfirm(target.orderId) }),
      };
    }),
  };
}

const abandonConfirm = (orderId: string): Button["confirm"] => ({
  title: plain("Abandon this order?"),
  text: {
    type: "mrkdwn",
    text: `Order \`${escapeInlineCode(clip(orderId, 100))}\` ends as *abandoned*: nothing more is shipped, stocked or confirmed, and postpay refunds nothing.`,
  },
  confirm: plain("Abandon"),
  deny: plain("Keep waiting"),
  style: "danger",
});

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
  if (outcome.kind === "closed")
    return `:information_source: This incident is no longer open; your ${outcome.attempted} changed nothing.`;
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
    if (element.type !== "button" || !element.action_id || !isDecisionAction(element.action_id) || !element.value)
      continue;
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
