// The console's lock: a session from ADMIN_TOKEN. Signing in with the token sets a signed,
// HttpOnly, SameSite=Strict cookie holding a random session id and its expiry; every key is derived
// from ADMIN_TOKEN with HMAC, so changing the token ends every session. Forms carry a CSRF token,
// the HMAC of the session id, checked on every POST (next to hono's csrf() origin check).
// Sessions are not stored: signing out clears this browser's cookie; a copied cookie stays valid
// until it expires or the token changes.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { Footer } from "./versions.ts";

export const SESSION_COOKIE = "postpay_console";
export const SESSION_MAX_AGE_S = 12 * 3600;
/** The form field every console POST must carry. */
export const CSRF_FIELD = "csrf";

export type Session = {
  id: string;
  expiresAt: number;
  csrfToken: string;
  /** The versions the page's footer names (versions.ts); set on each request, not stored. */
  footer?: Footer;
};
export type ConsoleEnv = { Variables: { session: Session } };

export type SessionLock = ReturnType<typeof sessionLock>;

export function sessionLock(adminToken: string, options: { secure: boolean }) {
  const derive = (purpose: string) => createHmac("sha256", adminToken).update(`postpay console: ${purpose}`).digest();
  const cookieKey = derive("session cookie signing key").toString("base64url");
  const csrfKey = derive("csrf token key");
  const tokenKey = derive("admin token comparison key");
  const mac = (key: Buffer, text: string) => createHmac("sha256", key).update(text).digest();
  const tokenDigest = mac(tokenKey, adminToken);
  const csrfTokenOf = (sessionId: string) => mac(csrfKey, sessionId).toString("base64url");
  const cookieOptions = { path: "/console", httpOnly: true, sameSite: "Strict", secure: options.secure } as const;

  return {
    /** Constant-time: digests of equal length are compared, whatever was typed. */
    isAdminToken: (given: string) => timingSafeEqual(mac(tokenKey, given), tokenDigest),

    async start(c: Context): Promise<void> {
      const value = `${randomBytes(18).toString("base64url")}.${Date.now() + SESSION_MAX_AGE_S * 1000}`;
      await setSignedCookie(c, SESSION_COOKIE, value, cookieKey, { ...cookieOptions, maxAge: SESSION_MAX_AGE_S });
    },

    end: (c: Context) => void deleteCookie(c, SESSION_COOKIE, cookieOptions),

    /** The request's session: signed by our key and not expired; else undefined. */
    async read(c: Context): Promise<Session | undefined> {
      const value = await getSignedCookie(c, cookieKey, SESSION_COOKIE);
      const match = typeof value === "string" ? /^([\w-]{24})\.(\d{13,})$/.exec(value) : null;
      if (!match) return undefined;
      const [, id, expires] = match as unknown as [string, string, string];
      if (Number(expires) <= Date.now()) return undefined;
      return { id, expiresAt: Number(expires), csrfToken: csrfTokenOf(id) };
    },

    /** The form's token is the session's (constant time). */
    isCsrfToken(session: Session, given: unknown): boolean {
      if (typeof given !== "string") return false;
      const [a, b] = [Buffer.from(given), Buffer.from(session.csrfToken)];
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}

/**
 * Only signed-in operators get past. A GET without a session is sent to sign in (and back here
 * after); anything else is refused with 401. `refuse` renders the answer.
 */
export function requireSession(
  lock: SessionLock,
  refuse: (c: Context) => Response | Promise<Response>,
): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const session = await lock.read(c);
    if (session) {
      c.set("session", session);
      return next();
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") return refuse(c);
    // A SameSite=Strict cookie is not sent on a navigation started on another site (a link in
    // Slack). Ask the browser to load the page once more from here: that request carries it.
    if (c.req.header("sec-fetch-site") === "cross-site") {
      c.header("Refresh", "0");
      return c.html(`<!doctype html><meta charset="utf-8"><title>postpay console</title><p>Opening…</p>`);
    }
    const url = new URL(c.req.url);
    return c.redirect(`/console/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
  };
}

/** Every POST behind the session carries the session's CSRF token, or it is refused (403). */
export function requireCsrfToken(
  lock: SessionLock,
  refuse: (c: Context) => Response | Promise<Response>,
): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    if (!lock.isCsrfToken(c.get("session"), form[CSRF_FIELD])) return refuse(c);
    return next();
  };
}

/** Where to go after signing in: a console page, never another site. */
export const safeNext = (next: unknown) =>
  typeof next === "string" && /^\/console(?:[/?]|$)/.test(next) && !/[\\]|\/\//.test(next) ? next : "/console";
