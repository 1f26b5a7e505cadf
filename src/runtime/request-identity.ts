// Restate's request identity: restate-server signs every request to the service endpoint with an
// Ed25519 private key (`request-identity-private-key-pem-file`), and the endpoint accepts only
// requests signed by a key it knows (`identityKeys`, as `publickeyv1_<base58 of the raw key>`).
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import bs58 from "bs58";

export type IdentityKeyPair = { privateKeyPem: string; publicKey: string };

/** restate-server's setting that names the private key file, as an environment variable. */
export const PRIVATE_KEY_ENV = "RESTATE_WORKER__INVOKER__REQUEST_IDENTITY_PRIVATE_KEY_PEM_FILE";

/** The `publickeyv1_…` form of a PEM private or public key. */
export function publicKeyV1(pem: string): string {
  const jwk = createPublicKey(pem).export({ format: "jwk" });
  if (jwk.crv !== "Ed25519" || !jwk.x) throw new Error("a request identity key must be Ed25519");
  return `publickeyv1_${bs58.encode(Buffer.from(jwk.x, "base64url"))}`;
}

export function generateIdentityKeyPair(): IdentityKeyPair {
  const { privateKey } = generateKeyPairSync("ed25519");
  const privateKeyPem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  return { privateKeyPem, publicKey: publicKeyV1(privateKeyPem) };
}

/** Writes the private key where restate-server reads it (owner-only) and returns its path. */
export function writePrivateKey(dir: string, keys: IdentityKeyPair): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "request-identity.pem");
  writeFileSync(file, keys.privateKeyPem, { mode: 0o600 });
  return file;
}
