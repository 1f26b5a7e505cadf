// Slack's door: POST /slack/interactions, where Slack delivers operators' clicks on the decision
// buttons of an alert. Three locks: Slack's request signature (SLACK_SIGNING_SECRET), our own HMAC
// in each button's value, and the allow list of Slack user ids (SLACK_OPERATOR_IDS, or "*"). Slack wants an answer
// within 3 seconds, so the route answers 200 at once and then, in the background, takes the
// decision through the one decision path (decide()) and replaces the alert's buttons with what
// became of it, through the click's response_url.
import type { AnyBlock } from "@slack/types";
import { Hono } from "hono";
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { findDecision } from "../../db/incidents.ts";
import type { OrderClient, ShipmentClient } from "../adapters/restate-ingress.ts";
import type { SlackResponder } from "../adapters/slack.ts";
import { verifySlackSignature } from "../adapters/slack-signature.ts";
import {
  buttonKey,
  buttonSigner,
  decisionNotice,
  incidentOfBlock,
  isDecisionAction,
  verifiedButtonValue,
  withNotices,
  type ButtonValue,
  type ClickOutcome,
} from "../domain/decision-buttons.ts";
import type { DecisionAction, DecisionAuthor } from "../domain/decision.ts";
import type { Logger } from "../log.ts";
import { DecisionConflict, decide } from "./decisions.ts";
import { ApiError, toApiError } from "./errors.ts";
import { limitBody, signatureFirst, type RateLimit } from "./middleware.ts";

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

// What we read of Slack's block_actions payload; everything else in it is passed over.
const ClickSchema = z.object({
  type: z.literal("block_actions"),
  user: z.object({
    id: z.string().min(1).max(64),
    username: z.string().max(200).optional(),
    name: z.string().max(200).optional(),
  }),
  response_url: z.url(),
  actions: z
    .array(z.object({ action_id: z.string(), block_id: z.string().optional(), value: z.string().optional() }))
    .min(1),
  message: z
    .object({ text: z.string().optional(), blocks: z.array(z.looseObject({ type: z.string() })).optional() })
    .optional(),
});
type Click = z.infer<typeof ClickSchema>;

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
    await respond(click.response_url, await updatedMessage(click, target, outcome));
  }

  /** The alert as Slack showed it, with the buttons of every incident in it that is decided replaced. */
  async function updatedMessage(click: Click, target: ButtonValue, outcome: ClickOutcome) {
    const notice = decisionNotice(outcome);
    const blocks = click.message?.blocks as AnyBlock[] | undefined;
    if (!blocks) return { response_type: "ephemeral" as const, replace_original: false, text: notice };
    const notices = new Map([[target.incidentId, notice]]);
    // A digest holds several alerts, and two operators may click in it at once: each update
    // shows every decision recorded by then, so neither brings back the other's buttons.
    for (const block of blocks) {
      const other = incidentOfBlock(block);
      if (!other || notices.has(other.incidentId)) continue;
      const decision = await findDecision(deps.db, other.incidentId).catch(() => undefined);
      if (decision) notices.set(other.incidentId, decisionNotice({ kind: "decided", decision }));
    }
    return { replace_original: true, text: click.message?.text ?? notice, blocks: withNotices(blocks, notices) };
  }

  return routes;
}

function parseClick(body: string): Click {
  const payload = new URLSearchParams(body).get("payload");
  if (!payload) throw new ApiError("invalid_request", "body must be form-encoded payload=<JSON>");
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    throw new ApiError("invalid_request", "payload is not JSON");
  }
  if ((json as { type?: unknown })?.type !== "block_actions")
    throw new ApiError("invalid_request", "only block_actions payloads are handled here");
  const parsed = ClickSchema.safeParse(json);
  if (!parsed.success)
    throw new ApiError("invalid_request", `malformed block_actions payload: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
