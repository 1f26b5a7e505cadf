// The shapes of postpay's environment variables (config.ts): blanks as unset, durations like "90s",
// comma-separated lists, request identity keys, center secrets.
import bs58 from "bs58";
import { z } from "zod";

export const blankIsUnset = (v: unknown) => (v === "" ? undefined : v);
export const optionalString = z.preprocess(blankIsUnset, z.string().optional());
export const optionalUrl = z.preprocess(blankIsUnset, z.url().optional());
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
export const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** "90s", "15m", "1h", "2d" (or "500ms") → milliseconds. */
export const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration like "90s", "15m" or "1h"')
  .transform((v) => {
    const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(v)!;
    return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  })
  .pipe(z.number().int().positive());
/** "a, b ,c" → ["a", "b", "c"]; blanks dropped. */
export const commaList = (v: string) =>
  v
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

export const decodedLength = (base58: string) => {
  try {
    return bs58.decode(base58).length;
  } catch {
    return -1;
  }
};

/** "fc-east=secret1,fc-west=secret2" → { "fc-east": "secret1", … }; each secret at least 24 characters. */
export const centerSecrets = z
  .string()
  .transform((v) =>
    v
      .split(",")
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf("=");
        return at < 0 ? ["", ""] : [pair.slice(0, at), pair.slice(at + 1)];
      }),
  )
  .pipe(
    z
      .array(
        z.tuple([
          z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, "each entry must be centerId=secret"),
          z.string().min(24, "each center secret must be at least 24 characters"),
        ]),
      )
      .refine((pairs) => new Set(pairs.map(([id]) => id)).size === pairs.length, "a center is named twice"),
  )
  .transform((pairs): Record<string, string> => Object.fromEntries(pairs));

/** `publickeyv1_…` Ed25519 keys, comma-separated; or "none", an explicit opt-out. */
export const identityKeys = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "none" ? "none" : blankIsUnset(v)),
  z.union([
    z.literal("none"),
    z
      .string()
      .default("")
      .transform((v) =>
        v
          .split(",")
          .map((k) => k.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z
            .string()
            .regex(/^publickeyv1_[1-9A-HJ-NP-Za-km-z]+$/, "each key must look like publickeyv1_<base58>")
            .refine(
              (k) => decodedLength(k.slice("publickeyv1_".length)) === 32,
              "each key must be a 32-byte Ed25519 public key",
            ),
        ),
      ),
  ]),
);
