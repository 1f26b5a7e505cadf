// The decision form (Retry / Mark done by hand / Abandon, with a note) and the "are you sure"
// page that skip and abandon go through before anything is decided. Both are DecisionSchema as a
// browser posts it: the form offers exactly the actions and limits the schema has.
import { html } from "hono/html";
import { z } from "zod";
import { DECISION_LABELS, DecisionSchema, skipMeaning, type DecisionAction } from "../../../domain/decision.ts";
import type { Html } from "../format.ts";
import { csrfField, page } from "../layout.ts";
import type { Session } from "../session.ts";

export type DecisionTarget = { orderId: string; incidentId: string; step: string };

const { action, incidentId, note } = DecisionSchema.shape;
const noteText = note.unwrap().unwrap();

/**
 * What the form posts: every field text, the incident always named (the form decides the incident
 * it was shown for), a blank note none, and "yes" from the confirmation page.
 */
export const DecisionFormSchema = DecisionSchema.extend({
  incidentId: incidentId.unwrap().min(1),
  note: noteText.transform((n) => n.trim() || null).optional(),
  confirmed: z.literal("yes").optional(),
});

const actionUrl = (orderId: string) => `/console/orders/${encodeURIComponent(orderId)}/decision`;

const actionButton = (choice: DecisionAction) => {
  const { button, style } = DECISION_LABELS[choice];
  return html`<button${style ? html` class="${style}"` : ""} name="action" value="${choice}" type="submit">${button}</button>`;
};

export const decisionForm = (session: Session, target: DecisionTarget): Html =>
  html`<form class="decide" method="post" action="${actionUrl(target.orderId)}">
  ${csrfField(session)}
  <input type="hidden" name="incidentId" value="${target.incidentId}">
  <input type="text" name="note" maxlength="${noteText.maxLength}" placeholder="Note (optional)" aria-label="Note">
  ${action.options.map((choice, i) => html`${i ? "\n  " : ""}${actionButton(choice)}`)}
</form>`;

/** What skip means for the failed step (on "verify payment": treat as paid), and abandon. */
const consequence = (action: Exclude<DecisionAction, "retry">, step: string) => {
  if (action === "abandon") return ABANDON;
  const meaning = skipMeaning(step);
  return { title: meaning.title, text: meaning.text, button: `Yes: ${meaning.confirm.toLowerCase()}` };
};

const ABANDON = {
  title: "Abandon the order?",
  text: "The order ends as abandoned: nothing further ships and no confirmation is sent. postpay refunds nothing; a refund, if due, is made in Stripe.",
  button: "Yes, abandon the order",
};

export function confirmPage(
  session: Session,
  target: DecisionTarget,
  action: Exclude<DecisionAction, "retry">,
  note: string | null,
) {
  const what = consequence(action, target.step);
  return page(
    { title: what.title, session },
    html`<h1>${what.title}</h1>
<div class="card">
  <dl class="facts">
    <dt>Order</dt><dd class="id">${target.orderId}</dd>
    <dt>Incident</dt><dd class="id">${target.incidentId}</dd>
    <dt>Failed step</dt><dd>${target.step}</dd>
  </dl>
  <p>${what.text}</p>
  <form class="decide" method="post" action="${actionUrl(target.orderId)}">
    ${csrfField(session)}
    <input type="hidden" name="incidentId" value="${target.incidentId}">
    <input type="hidden" name="action" value="${action}">
    <input type="hidden" name="confirmed" value="yes">
    <input type="text" name="note" maxlength="${noteText.maxLength}" value="${note ?? ""}" placeholder="Note (optional)" aria-label="Note">
    <button class="danger" type="submit">${what.button}</button>
    <a href="/console/orders/${encodeURIComponent(target.orderId)}">Cancel</a>
  </form>
</div>`,
  );
}
