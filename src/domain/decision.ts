// An operator's decision on an order's open incident. One schema for every way in: the admin API
// validates requests with it and the workflow's `resolve` handler uses it as its input serde.
import { z } from "zod";

export const DECISION_ACTIONS = ["retry", "skip", "abandon"] as const;
/** Where a decision was made. */
export const DECISION_CHANNELS = ["admin-api", "console", "slack"] as const;
export type DecisionChannel = (typeof DECISION_CHANNELS)[number];

export const DecisionSchema = z.object({
  /** retry: run the failed step again; skip: it was done by hand; abandon: end the order. */
  action: z.enum(DECISION_ACTIONS),
  note: z.string().max(2000).nullish(),
  /** Naming the incident makes a resent or double-clicked decision safe (409 if it moved on). */
  incidentId: z.string().max(300).optional(),
});
export type Decision = z.infer<typeof DecisionSchema>;
export type DecisionAction = Decision["action"];

/**
 * How each action is offered to operators, on Slack's buttons and in the console's form: its
 * words, what a decided alert says instead, and its weight (retry, the safe one, stands out;
 * abandon, which cannot be undone, is marked dangerous).
 */
export const DECISION_LABELS: Record<DecisionAction, { button: string; done: string; style?: "primary" | "danger" }> = {
  retry: { button: "Retry", done: "Retried", style: "primary" },
  skip: { button: "Mark done by hand", done: "Marked done by hand" },
  abandon: { button: "Abandon", done: "Abandoned", style: "danger" },
};

/**
 * What "Mark done by hand" means for a failed step, said before it is decided (Slack's confirm
 * dialog, the console's confirm page). On "verify payment" it means: treat the order as paid.
 */
export function skipMeaning(step: string): { title: string; text: string; confirm: string } {
  if (step === "verify payment")
    return {
      title: "Treat as paid?",
      text: "postpay ships, stocks and confirms this order as if Stripe had confirmed the payment. Do this only after checking the payment yourself in Stripe.",
      confirm: "Treat as paid",
    };
  const center = /^(?:send to|update inventory) (.+)$/.exec(step)?.[1];
  if (step.startsWith("send to"))
    return {
      title: "Sent to the center by hand?",
      text: `postpay sends nothing to ${center}: the order goes on as if ${center} had accepted it. Do this only when you gave ${center} the order yourself.`,
      confirm: "It was sent by hand",
    };
  if (step.startsWith("update inventory"))
    return {
      title: "Stock moved by hand?",
      text: `postpay takes no stock for ${center}: the order goes on as if it had. Do this only when you adjusted the stock yourself.`,
      confirm: "Stock was moved",
    };
  return {
    title: "Mark the step done by hand?",
    text: "The order goes on as if this step had succeeded. Do this only when it really was done another way.",
    confirm: "It was done by hand",
  };
}

/** The label decisions made with ADMIN_TOKEN (admin API or console) are recorded under. */
export const ADMIN_TOKEN_LABEL = "admin";

/**
 * Who decided, through which door, as recorded on the incident: a Slack user as "name (U123)",
 * or the admin token's label for the admin API and the console.
 */
export type DecisionAuthor = { decidedBy: string; via: DecisionChannel };

/** A decision as the database records it and the workflow acts on it. */
export type RecordedDecision = Pick<Decision, "action"> & { note: string | null } & DecisionAuthor & {
    decidedAt: string;
  };
