// Telling "the database is not there" from "the query is wrong", for both drivers. One answer for
// the HTTP app (503 with Retry-After) and for the order workflow's steps (wait, never escalate:
// services/step-runner.ts gets it as the port isPlatformFault, wired in src/wiring.ts).
//
// By error class and code, never by message text, and only for errors that came from the database:
// a socket error is the database's only under a DrizzleQueryError (every query) or a
// DatabaseError (a transaction's BEGIN/COMMIT, see db/client.ts). Without that, an SMTP server
// that refuses connections (nodemailer keeps Node's ECONNREFUSED, and its own ETIMEDOUT) would
// look like the database, and a dead mail server would wait forever instead of reaching an operator.
//
// PGlite runs in this process: there is no connection to lose, so nothing it throws is
// "unavailable" (its errors are SQL errors, answered as they are today).
import { DrizzleQueryError } from "drizzle-orm";

/**
 * A failure of the database outside any one query: a transaction's BEGIN or COMMIT, which
 * postgres-js reports without Drizzle's wrapper. Carries the driver's error as its cause.
 */
export class DatabaseError extends Error {
  override name = "DatabaseError";
}

// postgres-js's own connection errors: its names, nobody else's.
const DRIVER_CODES = new Set(["CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT"]);

// Node's socket errors underneath a database call.
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/**
 * SQLSTATEs that say "not now": class 08 (connection exception), 57P01–57P05 (admin/crash
 * shutdown, cannot connect now — a server starting up or going down, idle session timeout),
 * 53300 (too many connections), 57014 (query canceled: our statement_timeout).
 */
const SQLSTATE = /^[0-9A-Z]{5}$/;
const unavailableState = (state: string) =>
  state.startsWith("08") || state.startsWith("57P") || state === "53300" || state === "57014";

type Link = { name?: unknown; code?: unknown; cause?: unknown };

/** What marks an error as the database's: Drizzle's wrapper, ours, or postgres-js's server error. */
const fromTheDatabase = (e: Link) =>
  e instanceof DrizzleQueryError || e instanceof DatabaseError || e.name === "PostgresError";

/**
 * True when the database could not be reached or refused work for now (connection refused or
 * lost, connect or statement timeout, shutdown in progress, too many connections): the same call
 * later can succeed. A constraint violation, bad data or a deadlock is not this.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  let fromDatabase = false;
  for (let e = err as Link | undefined; e; e = e.cause as Link | undefined) {
    fromDatabase ||= fromTheDatabase(e);
    if (typeof e.code !== "string") continue;
    if (DRIVER_CODES.has(e.code)) return true;
    if (!fromDatabase) continue;
    if (SOCKET_CODES.has(e.code)) return true;
    if (SQLSTATE.test(e.code)) return unavailableState(e.code);
  }
  return false;
}
