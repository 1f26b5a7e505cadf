// Stripe's request format: form-encoded parameters nested with brackets
// (`line_items[0][price_data][unit_amount]=1999`), as stripe-node's encoder writes them.

const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Parses Stripe's bracket notation into nested objects and arrays, the way Stripe's API reads what
 * stripe-node's encoder writes. Values stay strings.
 */
export function parseStripeForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!match) continue;
    const path = [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!)];
    if (path.some((p) => UNSAFE_KEYS.has(p))) continue;
    let node = root as Record<string | number, unknown>;
    path.forEach((segment, i) => {
      // `items[]=a&items[]=b` appends, as Stripe (and qs) read it.
      const key = segment === "" && Array.isArray(node) ? node.length : segment;
      if (i === path.length - 1) {
        node[key] = value;
        return;
      }
      const existing = node[key];
      if (existing === null || typeof existing !== "object") node[key] = /^\d*$/.test(path[i + 1]!) ? [] : {};
      node = node[key] as Record<string | number, unknown>;
    });
  }
  return compact(root) as Record<string, unknown>;
}

// `a[0]=x&a[2]=y` is a two-element array to Stripe, not one with a hole.
function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compact);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compact(v)]));
  }
  return value;
}

/** Stripe names the offending parameter of an error in the same notation: `line_items[0][quantity]`. */
export const bracketParam = (path: PropertyKey[]) =>
  path.map((p, i) => (i === 0 ? String(p) : `[${String(p)}]`)).join("");

/** Parameter order does not matter to Stripe when it compares a reused Idempotency-Key's request. */
export const formFingerprint = (body: string) =>
  [...new URLSearchParams(body)]
    .map((p) => p.join("="))
    .sort()
    .join("&");
