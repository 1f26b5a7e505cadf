// The console's lock: a session per operator. Signing in with an operator's own token (OPERATORS)
// or ADMIN_TOKEN (the operator "admin") sets a signed, HttpOnly, SameSite=Strict cookie holding a
// random session id, its expiry, the operator's name and a fingerprint of their token; every key
// is derived from ADMIN_TOKEN with HMAC, so changing it ends every session. Each request checks
// that the operator is still configured with the same token: removing (or re-keying) one operator
// ends that operator's sessions and no one else's. The cookie is Secure when PUBLIC_URL is https
// or the request came over https (through a trusted proxy, client.ts). Forms carry a CSRF token,
// the HMAC of the session id, checked on every POST (next to hono's csrf() origin check).
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import { ADMIN_OPERATOR, type Operator } from "../../domain/operators.ts";
import type { Footer } from "./versions.ts";

export const SESSION_COOKIE = "postpay_console";
export const SESSION_MAX_AGE_S = 12 * 3600;
/** The form field every console POST must carry. */
export const CSRF_FIELD = "csrf";

export type Session = {
  id: string;
  expiresAt: number;
  csrfToken: string;
  operator: string;
  /** The versions the page's footer names (versions.ts); set on each request, not stored. */
  footer?: Footer;
};
export type ConsoleEnv = { Variables: { session: Session } };

export type SessionLock = ReturnType<typeof sessionLock>;

export function sessionLock(adminToken: string, options: { secure: boolean; operators?: readonly Operator[] }) {
  const derive = (purpose: string) => createHmac("sha256", adminToken).update(`postpay console: ${purpose}`).digest();
  const cookieKey = derive("session cookie signing key").toString("base64url");
  const csrfKey = derive("csrf token key");
  const fingerprintKey = derive("operator fingerprint key");
  const mac = (key: Buffer, text: string) => createHmac("sha256", key).update(text).digest();
  const csrfTokenOf = (sessionId: string) => mac(csrfKey, sessionId).toString("base64url");
  const sha256 = (text: string) => createHash("sha256").update(text).digest();
  // Every operator who may sign in, ADMIN_TOKEN's "admin" first, with their token's digest.
  const people = [
    { name: ADMIN_OPERATOR, digest: sha256(adminToken) },
    ...(options.operators ?? []).map((o) => ({ name: o.name, digest: Buffer.from(o.tokenSha256, "hex") })),
  ];
  const fingerprints = new Map(
    people.map((p) => [p.name, mac(fingerprintKey, `${p.name}:${p.digest.toString("hex")}`).subarray(0, 16)]),
  );
  const cookieOptions = (c: Context) =>
    ({ path: "/console", httpOnly: true, sameSite: "Strict", secure: options.secure || c.get("https") }) as const;

  return {
    /** The operator `given` is the token of, if any. Constant-time: every digest is compared, whatever was typed. */
    operatorOf(given: string): string | undefined {
      const digest = sha256(given);
      let found: string | undefined;
      for (const person of people) if (timingSafeEqual(digest, person.digest) && !found) found = person.name;
      return found;
    },

    async start(c: Context, operator: string): Promise<void> {
      const fingerprint = fingerprints.get(operator);
      if (!fingerprint) throw new Error(`no operator ${operator}`);
      const value = `${randomBytes(18).toString("base64url")}.${Date.now() + SESSION_MAX_AGE_S * 1000}.${operator}.${fingerprint.toString("base64url")}`;
      await setSignedCookie(c, SESSION_COOKIE, value, cookieKey, { ...cookieOptions(c), maxAge: SESSION_MAX_AGE_S });
    },

    end: (c: Context) => void deleteCookie(c, SESSION_COOKIE, cookieOptions(c)),

    /** The request's session: signed by our key, not expired, its operator still configured with the same token. */
    async read(c: Context): Promise<Session | undefined> {
      const value = await getSignedCookie(c, cookieKey, SESSION_COOKIE);
      const match =
        typeof value === "string"
          ? /^([\w-]{24})\.(\d{13,})\.([A-Za-z0-9][\w.-]{0,39})\.([\w-]{22})$/.exec(value)
          : null;
      if (!match) return undefined;
      const [, id, expires, operator, fingerprint] = match as unknown as [string, string, string, string, string];
      if (Number(expires) <= Date.now()) return undefined;
      const current = fingerprints.get(operator);
      const given = Buffer.from(fingerprint, "base64url");
      if (!current || given.length !== current.length || !timingSafeEqual(given, current)) return undefined;
      return { id, expiresAt: Number(expires), csrfToken: csrfTokenOf(id), operator };
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
