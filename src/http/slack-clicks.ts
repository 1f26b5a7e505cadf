// What a Slack click carries (the block_actions payload, as far as we read it) and the alert it
// came from, rewritten once decided: every decided incident's buttons replaced by who decided what.
import type { AnyBlock } from "@slack/types";
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { findDecision } from "../../db/incidents.ts";
import {
  decisionNotice,
  incidentOfBlock,
  withNotices,
  type ButtonValue,
  type ClickOutcome,
} from "../domain/decision-buttons.ts";
import { ApiError } from "./errors.ts";

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
export type Click = z.infer<typeof ClickSchema>;

/** The alert as Slack showed it, with the buttons of every incident in it that is decided replaced. */
export async function updatedMessage(db: Db, click: Click, target: ButtonValue, outcome: ClickOutcome) {
  const notice = decisionNotice(outcome);
  const blocks = click.message?.blocks as AnyBlock[] | undefined;
  if (!blocks) return { response_type: "ephemeral" as const, replace_original: false, text: notice };
  const notices = new Map([[target.incidentId, notice]]);
  // A digest holds several alerts, and two operators may click in it at once: each update
  // shows every decision recorded by then, so neither brings back the other's buttons.
  for (const block of blocks) {
    const other = incidentOfBlock(block);
    if (!other || notices.has(other.incidentId)) continue;
    const decision = await findDecision(db, other.incidentId).catch(() => undefined);
    if (decision) notices.set(other.incidentId, decisionNotice({ kind: "decided", decision }));
  }
  return { replace_original: true, text: click.message?.text ?? notice, blocks: withNotices(blocks, notices) };
}

export function parseClick(body: string): Click {
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
