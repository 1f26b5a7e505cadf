// Operators are people: each signs in to the console with a token of their own, and what they
// decide carries their name. The configuration holds only each token's SHA-256, so a leaked
// OPERATORS line signs nobody in; `npm run operator -- add <name>` makes a token and that line.
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";

/** The name decisions made with ADMIN_TOKEN carry; no operator may take it. */
export const ADMIN_OPERATOR = "admin";

export const OperatorNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][\w.-]{0,39}$/, "an operator name is 1–40 letters, digits, '.', '_' or '-'")
  .refine((name) => name.toLowerCase() !== ADMIN_OPERATOR, `"${ADMIN_OPERATOR}" is ADMIN_TOKEN's name`);

export type Operator = { name: string; tokenSha256: string };

/** `name:sha256hex(token)`, as OPERATORS lists them. */
export const OperatorEntrySchema = z
  .string()
  .transform((entry) => {
    const at = entry.lastIndexOf(":");
    return { name: entry.slice(0, Math.max(at, 0)), tokenSha256: entry.slice(at + 1).toLowerCase() };
  })
  .pipe(
    z.object({
      name: OperatorNameSchema,
      tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, "each entry must be name:<64 hex digits of SHA-256(token)>"),
    }),
  );

export const tokenSha256 = (token: string) => createHash("sha256").update(token).digest("hex");

/** A new operator token (256 random bits) and the OPERATORS entry that lets it sign in. */
export function newOperator(name: string): { token: string; entry: string } {
  const token = `op_${randomBytes(32).toString("base64url")}`;
  return { token, entry: `${OperatorNameSchema.parse(name)}:${tokenSha256(token)}` };
}
