// The secrets `npm start` makes for itself when the environment gives none: the admin token, the
// shop's API key, restate-server's request identity key and the local centers' webhook secrets. Kept (owner-only) under the data dir,
// so a second start keeps them and `npm run demo` can use the shop key.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentityKeyPair, publicKeyV1, writePrivateKey } from "../src/runtime/request-identity.ts";

export type LocalSecrets = {
  adminToken: string;
  shopApiKey: string;
  identityKeyFile: string;
  identityPublicKey: string;
};

const token = () => randomBytes(24).toString("base64url"); // 32 characters

export function localSecrets(dataDir: string): LocalSecrets {
  const dir = path.join(dataDir, "secrets");
  const tokensFile = path.join(dir, "tokens.json");
  const keyFile = path.join(dir, "request-identity.pem");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(tokensFile))
    writeFileSync(tokensFile, JSON.stringify({ adminToken: token(), shopApiKey: token() }), { mode: 0o600 });
  if (!existsSync(keyFile)) writePrivateKey(dir, generateIdentityKeyPair());
  const tokens = JSON.parse(readFileSync(tokensFile, "utf8")) as Pick<LocalSecrets, "adminToken" | "shopApiKey">;
  return { ...tokens, identityKeyFile: keyFile, identityPublicKey: publicKeyV1(readFileSync(keyFile, "utf8")) };
}

/** The tokens a running `npm start` generated (it uses them where SHOP_API_KEY / ADMIN_TOKEN are unset). */
export function localTokens(dataDir: string): Partial<Pick<LocalSecrets, "adminToken" | "shopApiKey">> {
  const tokensFile = path.join(dataDir, "secrets", "tokens.json");
  return existsSync(tokensFile) ? (JSON.parse(readFileSync(tokensFile, "utf8")) as LocalSecrets) : {};
}

/** A webhook secret per local center (CENTER_WEBHOOK_SECRETS), kept beside the tokens; new centers get one. */
export function localCenterSecrets(dataDir: string, centerIds: string[]): Record<string, string> {
  const file = path.join(dataDir, "secrets", "centers.json");
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string>) : {};
  const secrets = Object.fromEntries(centerIds.map((id) => [id, kept[id] ?? token()]));
  if (centerIds.some((id) => !kept[id])) writeFileSync(file, JSON.stringify({ ...kept, ...secrets }), { mode: 0o600 });
  return secrets;
}
