// Live pages: the queue, and an order's page while the order is not final, refresh by themselves.
//
// Why server-sent events and a small script, not <meta http-equiv="refresh">: a timed refresh
// reloads the page under an operator who is typing a note, and throws the note away. Here the page
// names its data's version; GET /console/live answers with one "changed" event once the data
// differs, and the script reloads, unless a form field holds text or has focus: then it shows
// "This page has changed" and leaves the reload to the operator. The script is served from here
// (no inline script), so the console's CSP allows scripts from its own origin only. Without
// JavaScript the pages work the same, just without refreshing.
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { orderPageData, queueData, version, type ConsoleDeps } from "./data.ts";
import type { ConsoleEnv } from "./session.ts";

/** How often an open stream re-reads its page's data, and how long one stream lasts before the browser reconnects. */
const POLL_MS = 1000;
const STREAM_MS = 5 * 60_000;

export const liveUrl = (page: "queue" | "order", v: string, id?: string) =>
  `/console/live?${new URLSearchParams({ page, v, ...(id && { id }) })}`;

const LIVE_SCRIPT = `"use strict";
(() => {
  const hook = document.querySelector('meta[name="postpay-live"]');
  if (!hook || !window.EventSource) return;
  const source = new EventSource(hook.content);
  source.addEventListener("changed", () => {
    source.close();
    const fields = [...document.querySelectorAll("input[type=text], input[type=search], textarea")];
    const typing = fields.some((f) => f.value || f === document.activeElement);
    if (typing) document.getElementById("stale").hidden = false;
    else location.reload();
  });
})();
`;

export function liveRoutes(deps: ConsoleDeps) {
  const live = new Hono<ConsoleEnv>();

  live.get("/assets/live.js", (c) =>
    c.body(LIVE_SCRIPT, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" }),
  );

  live.get("/live", (c) => {
    const { page, id, v } = c.req.query();
    const current: (() => Promise<string>) | undefined =
      page === "queue"
        ? async () => version(await queueData(deps.db))
        : page === "order" && id
          ? async () => version((await orderPageData(deps, id)) ?? null)
          : undefined;
    if (!current || !v) return c.text("page=queue or page=order&id=…, and v, are required", 400);
    return streamSSE(c, async (stream) => {
      const until = Date.now() + STREAM_MS;
      while (!stream.aborted && Date.now() < until) {
        // A failed read (Restate briefly away) is not a change: try again on the next tick.
        const now: string = await current().catch((err: unknown) => {
          deps.log.warn({ err, page, id }, "console live view could not read its page");
          return v;
        });
        if (now !== v) {
          await stream.writeSSE({ event: "changed", data: now });
          return;
        }
        await stream.sleep(POLL_MS);
      }
    });
  });

  return live;
}
