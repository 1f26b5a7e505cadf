// The decision buttons of a Slack alert, and what becomes of them once clicked. action_id is the
// decision; value names the incident (and its order), so a click decides exactly the incident it
// was shown for, never whichever is open by then. Each value carries an HMAC over order, incident
// and action, keyed by a secret of ours (derived from SLACK_SIGNING_SECRET with HKDF): a click
// whose value we did not make, or made for another button, decides nothing.
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import type { ActionsBlock, AnyBlock, Button, ContextBlock } from "@slack/types";
import { z } from "zod";
import {
  DECISION_ACTIONS,
  DECISION_LABELS,
  skipMeaning,
  type DecisionAction,
  type RecordedDecision,
} from "./decision.ts";
import { clip, escapeInlineCode, escapeMrkdwn as esc, plain, slackTime } from "./mrkdwn.ts";

export const ButtonValueSchema = z.object({
  orderId: z.string().min(1).max(300),
  incidentId: z.string().min(1).max(300),
});
export type ButtonValue = z.infer<typeof ButtonValueSchema>;
const SignedValueSchema = ButtonValueSchema.extend({ mac: z.string().regex(/^[\w-]{43}$/) });
export const isDecisionAction = (actionId: string): actionId is DecisionAction =>
  (DECISION_ACTIONS as readonly string[]).includes(actionId);

/** Signs a button's value: the HMAC of its order, incident and action, base64url. */
export type ButtonSigner = (target: ButtonValue, action: DecisionAction) => string;

/** The buttons' key, derived from the Slack app's signing secret (HKDF-SHA256, its own label). */
export const buttonKey = (slackSigningSecret: string): Buffer =>
  Buffer.from(hkdfSync("sha256", slackSigningSecret, "postpay", "decision button values v1", 32));

export const buttonSigner =
  (key: Buffer): ButtonSigner =>
  (target, action) =>
    createHmac("sha256", key)
      .update(JSON.stringify([target.orderId, target.incidentId, action]))
      .digest("base64url");

/** The target of a clicked button's value, if we signed that value for that very action. */
export function verifiedButtonValue(
  sign: ButtonSigner,
  value: string | undefined,
  action: DecisionAction,
): ButtonValue | undefined {
  let parsed: ReturnType<typeof SignedValueSchema.safeParse>;
  try {
    parsed = SignedValueSchema.safeParse(JSON.parse(value ?? ""));
  } catch {
    return undefined;
  }
  if (!parsed.success) return undefined;
  const { orderId, incidentId, mac } = parsed.data;
  const expected = Buffer.from(sign({ orderId, incidentId }, action));
  const given = Buffer.from(mac);
  return given.length === expected.length && timingSafeEqual(given, expected) ? { orderId, incidentId } : undefined;
}

/**
 * One button per decision, each with its signed value; skip and abandon ask first, saying what they
 * mean for this step (skip on "verify payment" treats the order as paid; abandon cannot be undone).
 */
export function decisionButtons(target: ButtonValue & { step: string }, sign: ButtonSigner): ActionsBlock {
  const { orderId, incidentId } = target;
  return {
    type: "actions",
    elements: DECISION_ACTIONS.map((action): Button => {
      const { button, style } = DECISION_LABELS[action];
      return {
        type: "button",
        action_id: action,
        text: plain(button),
        value: JSON.stringify({ orderId, incidentId, mac: sign({ orderId, incidentId }, action) }),
        ...(style && { style }),
        ...(action === "abandon" && { confirm: abandonConfirm(orderId) }),
        ...(action === "skip" && { confirm: skipConfirm(orderId, target.step) }),
      };
    }),
  };
}

const skipConfirm = (orderId: string, step: string): Button["confirm"] => {
  const meaning = skipMeaning(step);
  return {
    title: plain(clip(meaning.title, 100)),
    text: {
      type: "mrkdwn",
      text: clip(
        `Order \`${escapeInlineCode(clip(orderId, 100))}\`, step *${esc(clip(step, 80))}*: ${esc(meaning.text)}`,
        300,
      ),
    },
    confirm: plain(clip(meaning.confirm, 30)),
    deny: plain("Keep waiting"),
    style: "danger",
  };
};

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
