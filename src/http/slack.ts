// Slack's door: POST /slack/interactions, where Slack delivers operators' clicks on the decision
// buttons of an alert. Three locks: Slack's request signature (SLACK_SIGNING_SECRET), our own HMAC
// in each button's value, and the allow list of Slack user ids (SLACK_OPERATOR_IDS, or "*"). Slack wants an answer
// within 3 seconds, so the route answers 200 at once and then, in the background, takes the
// decision through the one decision path (decide()) and replaces the alert's buttons with what
// became of it, through the click's response_url.
import { Hono } from "hono";
import type { Db } from "../../db/client.ts";
import { findDecision } from "../../db/incidents.ts";
import type { OrderClient, ShipmentClient } from "../adapters/restate-ingress.ts";
import type { SlackResponder } from "../adapters/slack.ts";
import { verifySlackSignature } from "../adapters/slack-signature.ts";
import {
  buttonKey,
  buttonSigner,
  isDecisionAction,
  verifiedButtonValue,
  type ButtonValue,
  type ClickOutcome,
} from "../domain/decision-buttons.ts";
import type { DecisionAction, DecisionAuthor } from "../domain/decision.ts";
import type { Logger } from "../log.ts";
import { DecisionConflict, decide } from "./decisions.ts";
import { ApiError, toApiError } from "./errors.ts";
import { limitBody, signatureFirst, type RateLimit } from "./middleware.ts";
import { type Click, parseClick, updatedMessage } from "./slack-clicks.ts";

/** A block_actions payload carries the whole message the button sat in: up to 50 blocks. */
export const SLACK_MAX_BYTES = 1024 * 1024;

export type SlackInteractions = {
  signingSecret: string;
  /** Slack user ids allowed to decide; "*": anyone in the channel (a choice written in the config). */
  operatorIds: readonly string[] | "*";
  /** Posts to a click's response_url, only within SLACK_RESPONSE_URL_PREFIX. */
  respond: SlackResponder;
};

export type SlackDeps = {
  db: Db;
  orders: OrderClient;
  shipments?: ShipmentClient;
  log: Logger;
  rateLimit: RateLimit;
  slack?: SlackInteractions;
};

export function slackRoutes(deps: SlackDeps) {
  const routes = new Hono();
  if (!deps.slack) return routes; // without SLACK_SIGNING_SECRET there is no such route: 404
  const { signingSecret, operatorIds, respond } = deps.slack;
  const { log } = deps;
  const signButton = buttonSigner(buttonKey(signingSecret));

  // Signature first, like Stripe's webhook: Slack's own deliveries are never limited nor counted;
  // only refused requests count, per client, so a forger runs out and operators' clicks never do.
  const verified = signatureFirst(deps.rateLimit, async (c) => {
    const body = await c.req.text();
    const check = verifySlackSignature({
      signingSecret,
      body,
      timestamp: c.req.header("x-slack-request-timestamp"),
      signature: c.req.header("x-slack-signature"),
    });
    if (!check.ok) throw new ApiError(check.problem === "signature" ? "unauthorized" : "invalid_request", check.reason);
    return body;
  });

  routes.post("/slack/interactions", limitBody(SLACK_MAX_BYTES), verified, async (c) => {
    const click = parseClick(c.get("verified"));
    const action = click.actions[0]!;
    if (!isDecisionAction(action.action_id)) {
      log.info({ actionId: action.action_id }, "Slack interaction that decides nothing acknowledged");
      return c.body(null, 200);
    }
    const user = { id: click.user.id, name: click.user.username ?? click.user.name ?? click.user.id };
    const refuse = (text: string) =>
      void respond(click.response_url, { response_type: "ephemeral", replace_original: false, text });

    // Our own HMAC over order, incident and action: a value we did not sign for this button decides nothing.
    const target = verifiedButtonValue(signButton, action.value, action.action_id);
    if (!target) {
      log.warn(
        { action: action.action_id, slackUserId: user.id },
        "Slack click whose button value postpay did not sign for that action; nothing decided",
      );
      refuse(
        ":no_entry_sign: This button was not made by postpay for this decision (an old alert, or a forged one), so nothing was changed. Decide in the console.",
      );
      return c.body(null, 200);
    }
    const context = {
      orderId: target.orderId,
      incidentId: target.incidentId,
      action: action.action_id,
      slackUserId: user.id,
    };

    if (operatorIds !== "*" && !operatorIds.includes(user.id)) {
      log.warn(context, "Slack user not in SLACK_OPERATOR_IDS tried to decide; nothing decided");
      refuse(
        ":no_entry_sign: You are not one of the operators allowed to decide orders from Slack, so nothing was changed. Ask one of them, or use the console.",
      );
      return c.body(null, 200);
    }

    // Acknowledged now; decided in the background (Slack gives up after 3 seconds).
    const author: DecisionAuthor = { decidedBy: `${user.name} (${user.id})`, via: "slack" };
    void applyClick(click, target, action.action_id, author).catch((err) =>
      log.error({ ...context, err }, "Slack click failed"),
    );
    return c.body(null, 200);
  });

  async function applyClick(click: Click, target: ButtonValue, action: DecisionAction, author: DecisionAuthor) {
    const context = { orderId: target.orderId, incidentId: target.incidentId, action, decidedBy: author.decidedBy };
    let outcome: ClickOutcome;
    try {
      await decide(deps, target.orderId, { action, incidentId: target.incidentId }, author);
      // Shown as recorded: a repeat of someone's identical decision names them, not this click.
      const recorded = await findDecision(deps.db, target.incidentId);
      outcome = recorded
        ? { kind: "decided", decision: recorded }
        : { kind: "decided", decision: { action, note: null, ...author, decidedAt: new Date().toISOString() } };
      log.info({ ...context, via: "slack" }, "operator decision");
    } catch (err) {
      if (err instanceof DecisionConflict) {
        const prior = err.prior ?? (await findDecision(deps.db, target.incidentId).catch(() => undefined));
        outcome = prior
          ? { kind: "already-decided", decision: prior, attempted: action }
          : { kind: "closed", attempted: action };
        log.info(
          { ...context, outcome: outcome.kind, priorDecidedBy: prior?.decidedBy },
          "Slack click on an incident decided before; nothing decided",
        );
      } else {
        // The database or Restate is briefly down: nothing is lost, the buttons stay, the user is told.
        const apiError = toApiError(err);
        log.error({ ...context, err, cause: (err as Error).cause }, "Slack click could not be applied");
        await respond(click.response_url, {
          response_type: "ephemeral",
          replace_original: false,
          text: `:warning: Your ${action} of order ${target.orderId} could not be completed (${apiError.message}). Please click again in a moment.`,
        });
        return;
      }
    }
    await respond(click.response_url, await updatedMessage(deps.db, click, target, outcome));
  }

  return routes;
}
