// Telling "the database is not there" from "the query is wrong", for both drivers.
import { pgErrorCode } from "./inventory.ts";

// postgres-js's connection errors, and Node's socket errors underneath them.
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EPIPE",
]);

/**
 * True when the database could not be reached or refused work for now (connection failure,
 * shutdown in progress, too many connections): a retry later can succeed.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const sqlState = pgErrorCode(err);
  if (sqlState) return sqlState.startsWith("08") || sqlState.startsWith("57P") || sqlState === "53300";
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === "string" && CONNECTION_CODES.has(e.code)) return true;
  }
  return false;
}
