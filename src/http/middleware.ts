// The locks and limits the HTTP app's routes share. Each comes from a well-kept library where one
// exists: hono's bearerAuth (constant-time token comparison), bodyLimit, and hono-rate-limiter.
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { bodyLimit } from "hono/body-limit";
import { rateLimiter } from "hono-rate-limiter";
import { z } from "zod";
import { ApiError } from "./errors.ts";

export const JSON_MAX_BYTES = 64 * 1024;

/** Only callers holding `token` as a bearer token get past; anyone else gets 401. */
export function requireBearer(token: string, what: string): MiddlewareHandler {
  const refuse = (message: string) => () =>
    Response.json({ error: { code: "unauthorized", message } }, { status: 401 });
  return bearerAuth({
    token,
    noAuthenticationHeaderMessage: refuse(`${what} required (Authorization: Bearer …)`),
    // Another scheme (Basic, …) is a missing credential too: 401, as RFC 6750 has it, not hono's 400.
    invalidAuthenticationHeaderMessage: refuse(`${what} required (Authorization: Bearer …)`),
    invalidTokenMessage: refuse(`wrong ${what}`),
  });
}

export const limitBody = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: (c) => {
      // The rest of the body is never read, so this connection cannot carry another request:
      // say so, or a keep-alive client sends its next request into a socket about to close.
      c.header("Connection", "close");
      throw new ApiError("payload_too_large", `request body over ${maxSize} bytes`);
    },
  });

export type RateLimit = { limit: number; windowMs: number; onlyFailures?: boolean };

/**
 * Per-client limit for anonymous routes (`onlyFailures`: only answers ≥ 400 count), keyed by the peer address (put the app behind a proxy
 * that sets it, or limits itself). Counters live in this process: with N replicas a client gets
 * up to N × limit.
 */
export const rateLimit = ({ limit, windowMs, onlyFailures = false }: RateLimit): MiddlewareHandler =>
  rateLimiter({
    limit,
    windowMs,
    skipSuccessfulRequests: onlyFailures,
    standardHeaders: "draft-7",
    keyGenerator: (c) => getConnInfo(c).remote.address ?? "unknown",
    handler: (c) => {
      // draft-7 headers carry the reset; Retry-After tells every client, old ones too.
      const reset = /reset=(\d+)/.exec(c.res.headers.get("RateLimit") ?? "")?.[1] ?? String(Math.ceil(windowMs / 1000));
      c.header("Retry-After", reset);
      return c.json({ error: { code: "rate_limited", message: "too many requests; try again later" } }, 429);
    },
  });

export async function jsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const body = await c.req.json().catch(() => {
    throw new ApiError("invalid_request", "body must be JSON");
  });
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiError("invalid_request", z.prettifyError(parsed.error));
  return parsed.data;
}
