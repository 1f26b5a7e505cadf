// `npm run identity-keys -- DIR`: a request identity key pair for a deployment (docker-compose.yml
// reads DIR=./secrets). Writes restate-server's Ed25519 private key to DIR/request-identity.pem,
// owner-only, and prints the public key for the service endpoint's RESTATE_IDENTITY_KEYS as a
// `RESTATE_IDENTITY_KEYS=publickeyv1_…` line on stdout (the notes go to stderr). An existing key
// file is never overwritten: its public key is printed again, so running this twice is harmless.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { generateIdentityKeyPair, publicKeyV1, writePrivateKey } from "../runtime/request-identity.ts";
import { boot, fail } from "./common.ts";

const { log } = boot();
try {
  const dir = process.argv[2];
  if (!dir) throw new Error("usage: npm run identity-keys -- DIR   (docker-compose.yml expects ./secrets)");
  const file = path.join(dir, "request-identity.pem");
  let publicKey: string;
  if (existsSync(file)) {
    publicKey = publicKeyV1(readFileSync(file, "utf8"));
    process.stderr.write(`${file} exists and is kept (delete it to make a new pair); its public key:\n`);
  } else {
    // Owner-only directory as well as file: nobody else on the host lists or reads the key.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keys = generateIdentityKeyPair();
    writePrivateKey(dir, keys);
    publicKey = keys.publicKey;
    process.stderr.write(`wrote restate-server's private key to ${file} (mode 600; keep it out of git and images)\n`);
    process.stderr.write("give the service endpoint its public key:\n");
  }
  process.stdout.write(`RESTATE_IDENTITY_KEYS=${publicKey}\n`);
} catch (err) {
  fail(log, err);
}
