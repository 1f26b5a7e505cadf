// The locks and limits the HTTP app's routes share. Each comes from a well-kept library where one
// exists: hono's bearerAuth (constant-time token comparison), bodyLimit, and hono-rate-limiter.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { MemoryStore, rateLimiter } from "hono-rate-limiter";
import { z } from "zod";
import { clientOf } from "./client.ts";
import { ApiError } from "./errors.ts";

export const JSON_MAX_BYTES = 64 * 1024;
/** Wrong tokens a client may send (admin API, shop API, console sign-in together) per window. */
export const TOKEN_FAILURES = { limit: 10, windowMs: 15 * 60_000 };

/** Constant-time: digests of equal length are compared, whatever was sent. */
export function tokenMatcher(token: string): (given: string) => boolean {
  const expected = createHash("sha256").update(token).digest();
  return (given) => timingSafeEqual(createHash("sha256").update(given).digest(), expected);
}

/**
 * Only callers holding `token` as a bearer token get past; anyone else gets 401. Wrong tokens
 * count against the client in `failures` (shared by every token lock: admin, shop, console
 * sign-in); a client past its failures gets 429 without its token being looked at, so guessing
 * stops there, right guess or not.
 */
export function requireBearer(token: string, what: string, failures: FailureCounter): MiddlewareHandler {
  const refuse = (message: string) => () =>
    Response.json({ error: { code: "unauthorized", message } }, { status: 401 });
  const matches = tokenMatcher(token);
  const auth = bearerAuth({
    verifyToken: (given, c) => {
      if (matches(given)) return true;
      const wait = failures.fail(c);
      if (wait !== undefined) throw new HTTPException(429, { res: failures.tooMany(c, wait) });
      return false;
    },
    noAuthenticationHeaderMessage: refuse(`${what} required (Authorization: Bearer …)`),
    // Another scheme (Basic, …) is a missing credential too: 401, as RFC 6750 has it, not hono's 400.
    invalidAuthenticationHeaderMessage: refuse(`${what} required (Authorization: Bearer …)`),
    invalidTokenMessage: refuse(`wrong ${what}`),
  });
  return async (c, next) => {
    const wait = failures.blocked(c);
    if (wait !== undefined) return failures.tooMany(c, wait);
    return auth(c, next);
  };
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

export type RateLimit = { limit: number; windowMs: number };

const tooMany = (c: Context, retryAfterS: number) => {
  // Retry-After tells every client, old ones too, when to come back.
  c.header("Retry-After", String(Math.max(1, retryAfterS)));
  return c.json({ error: { code: "rate_limited", message: "too many requests; try again later" } }, 429);
};

/**
 * Per-client limit on every request of an anonymous route (the order page), keyed by the client
 * identifyClient found (behind TRUSTED_PROXIES, the address the proxy reports). Counters live in
 * this process: with N replicas a client gets up to N × limit.
 */
export const rateLimit = ({ limit, windowMs }: RateLimit): MiddlewareHandler =>
  rateLimiter({
    limit,
    windowMs,
    standardHeaders: "draft-7",
    keyGenerator: clientOf,
    handler: (c) =>
      tooMany(c, Number(/reset=(\d+)/.exec(c.res.headers.get("RateLimit") ?? "")?.[1] ?? windowMs / 1000)),
  });

/**
 * Failures per client, counted in hono-rate-limiter's store (same windows as its middleware). Only
 * a refused request is counted, never an accepted one, so a busy rightful caller never runs out
 * and a client's failures never lock out another client.
 */
export function failureCounter({ limit, windowMs }: RateLimit) {
  const store = new MemoryStore();
  store.init({ windowMs } as Parameters<MemoryStore["init"]>[0]);
  const secondsLeft = (resetTime: Date | undefined) =>
    Math.ceil(((resetTime?.getTime() ?? Date.now() + windowMs) - Date.now()) / 1000);
  return {
    /** Seconds until this client may try again, when it has used up its failures; else undefined. */
    blocked(c: Context): number | undefined {
      const seen = store.get(clientOf(c));
      if (!seen || seen.totalHits < limit || (seen.resetTime && seen.resetTime.getTime() <= Date.now()))
        return undefined;
      return secondsLeft(seen.resetTime);
    },
    /** Counts one failure; the seconds to wait when this one went over the limit. */
    fail(c: Context): number | undefined {
      const { totalHits, resetTime } = store.increment(clientOf(c));
      return totalHits > limit ? secondsLeft(resetTime) : undefined;
    },
    tooMany,
  };
}
export type FailureCounter = ReturnType<typeof failureCounter>;

/**
 * A signed route's lock, signature first: `verify` runs before any limit. A request it accepts
 * is never limited nor counted (Stripe's deliveries in a sale, a center's burst); a refused one
 * (`verify` threw an ApiError) counts against its client, and past `limit` is answered 429
 * instead of the refusal. What `verify` returns is in `c.get("verified")`.
 */
export function signatureFirst<T>(
  limit: RateLimit,
  verify: (c: Context) => Promise<T>,
): MiddlewareHandler<{ Variables: { verified: T } }> {
  const failures = failureCounter(limit);
  return async (c, next) => {
    let verified: T;
    try {
      verified = await verify(c);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const wait = failures.fail(c);
      if (wait !== undefined) return tooMany(c, wait);
      throw err;
    }
    c.set("verified", verified);
    await next();
  };
}

export async function jsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const body = await c.req.json().catch(() => {
    throw new ApiError("invalid_request", "body must be JSON");
  });
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiError("invalid_request", z.prettifyError(parsed.error));
  return parsed.data;
}
