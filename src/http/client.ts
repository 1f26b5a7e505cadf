// Who is asking: the client address every per-client limit is keyed by, and whether the request
// arrived over https. Behind a proxy the peer is the proxy, so X-Forwarded-For and
// X-Forwarded-Proto are believed only from TRUSTED_PROXIES (Node's own net.BlockList matches the
// addresses and CIDRs); anyone else could write whatever they like in those headers.
import { BlockList, isIP } from "node:net";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";

declare module "hono" {
  interface ContextVariableMap {
    /** The client's address: the peer, or the rightmost X-Forwarded-For address not a trusted proxy. */
    client: string;
    /** The request reached us over https (directly, or as a trusted proxy says). */
    https: boolean;
  }
}

/** "10.0.0.0/8" or "192.0.2.7" or "2001:db8::/32" → its family and prefix; undefined if neither. */
export function parseProxyEntry(
  entry: string,
): { address: string; prefix?: number; family: "ipv4" | "ipv6" } | undefined {
  const [address = "", prefix, extra] = entry.trim().split("/");
  const version = isIP(address);
  if (!version || extra !== undefined) return undefined;
  const family = version === 4 ? "ipv4" : "ipv6";
  if (prefix === undefined) return { address, family };
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (version === 4 ? 32 : 128)) return undefined;
  return { address, prefix: Number(prefix), family };
}

export function trustedProxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const parsed = parseProxyEntry(entry);
    if (!parsed) throw new Error(`not an address or CIDR: ${entry}`);
    if (parsed.prefix === undefined) list.addAddress(parsed.address, parsed.family);
    else list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}

const familyOf = (address: string) => (isIP(address) === 6 ? "ipv6" : "ipv4");
const isTrusted = (list: BlockList, address: string) => isIP(address) !== 0 && list.check(address, familyOf(address));

/** Every comma-separated value of a header that may be sent several times. */
const headerValues = (c: Context, name: string) =>
  (c.req.header(name) ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);

/**
 * Sets `client` and `https` for every request. `trusted` empty: no proxy is believed, the peer is
 * the client. Walking X-Forwarded-For from the right, each trusted proxy is passed over; the first
 * address that is not one is the client (what the outermost trusted proxy saw). Entries left of it
 * are the client's own words and are never read.
 */
export function identifyClient(trustedProxies: readonly string[]): MiddlewareHandler {
  const list = trustedProxyList(trustedProxies);
  const anyTrusted = trustedProxies.length > 0;
  return async (c, next) => {
    const peer = getConnInfo(c).remote.address ?? "unknown";
    let client = peer;
    let https = new URL(c.req.url).protocol === "https:";
    if (anyTrusted && isTrusted(list, peer)) {
      const forwarded = headerValues(c, "x-forwarded-for");
      client = forwarded.findLast((address) => !isTrusted(list, address)) ?? forwarded[0] ?? peer;
      // Any https in the chain means the browser used TLS: the cookie must then be Secure.
      https ||= headerValues(c, "x-forwarded-proto").some((p) => p.toLowerCase() === "https");
    }
    c.set("client", client);
    c.set("https", https);
    await next();
  };
}

/** The client of a request that went through identifyClient (the peer address otherwise). */
export const clientOf = (c: Context): string => c.get("client") ?? getConnInfo(c).remote.address ?? "unknown";
