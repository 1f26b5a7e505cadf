// The Restate service endpoint has one rightful caller: restate-server, which signs every request
// with its request-identity key (Ed25519, JWT in x-restate-jwt-v1). Anyone else who reaches the
// endpoint's port, unsigned, with another key, with an expired token or one made for another
// path, is refused with 401 before any handler runs.
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import bs58 from "bs58";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { movementsFor } from "../../db/inventory.ts";
import { ConfigError, parseEnv } from "../../src/config.ts";
import { generateIdentityKeyPair, publicKeyV1 } from "../../src/runtime/request-identity.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { h2Request, identityToken, restateQuery, signedHeaders } from "../support/security.ts";

let stack: Stack;
/** restate-server's own private key, as the harness wrote it for restate-server to read. */
let serverKeyPem: string;
beforeAll(async () => {
  stack = await startStack();
  serverKeyPem = readFileSync(path.join(stack.dir, "keys", "request-identity.pem"), "utf8");
});
afterAll(async () => {
  await stack?.close();
});

const DISCOVER_ACCEPT = "application/vnd.restate.endpointmanifest.v3+json";
const discover = (headers: Record<string, string> = {}) =>
  h2Request(stack.endpointUrl, { method: "GET", path: "/discover", headers: { accept: DISCOVER_ACCEPT, ...headers } });
/** What restate-server sends to start a workflow run, minus the protocol body a refused request never reads. */
const invokeRun = (headers: Record<string, string> = {}) =>
  h2Request(stack.endpointUrl, {
    method: "POST",
    path: "/invoke/OrderWorkflow/run",
    headers: { "content-type": "application/vnd.restate.invocation.v5", ...headers },
    body: Buffer.alloc(0),
  });

describe("the service endpoint", () => {
  it("refuses an unsigned request with 401: discovery and invocations alike", async () => {
    const discovery = await discover();
    expect(discovery.status).toBe(401);
    expect(discovery.body).not.toContain("OrderWorkflow");
    expect((await invokeRun()).status).toBe(401);
    expect((await discover({ "x-restate-signature-scheme": "unsigned" })).status).toBe(401);
  });

  it("refuses a well-formed token signed with another Ed25519 key with 401", async () => {
    const stranger = generateIdentityKeyPair();
    expect(
      (await discover(signedHeaders(identityToken(stranger.privateKeyPem, stranger.publicKey, "/discover")))).status,
    ).toBe(401);
    // Even claiming restate-server's key id does not help without its private key.
    const claimed = identityToken(stranger.privateKeyPem, stack.config.identityKeys[0]!, "/invoke/OrderWorkflow/run");
    expect((await invokeRun(signedHeaders(claimed))).status).toBe(401);
  });

  it("accepts a token signed with restate-server's key, and only for the path and time it was made for", async () => {
    const kid = stack.config.identityKeys[0]!;
    // The same token format, signed with the right key: accepted (the refusals above are about the key).
    const good = await discover(signedHeaders(identityToken(serverKeyPem, kid, "/discover")));
    expect(good.status).toBe(200);
    expect(JSON.parse(good.body).services.map((s: { name: string }) => s.name)).toEqual(
      expect.arrayContaining(["OrderWorkflow", "SlackAlerts"]),
    );

    // A token made for /discover cannot be replayed to invoke a handler.
    expect((await invokeRun(signedHeaders(identityToken(serverKeyPem, kid, "/discover")))).status).toBe(401);
    // A token from ten minutes ago has expired.
    const stale = identityToken(serverKeyPem, kid, "/discover", { nowSeconds: Math.floor(Date.now() / 1000) - 600 });
    expect((await discover(signedHeaders(stale))).status).toBe(401);
  });

  it("refuses a signed token that was tampered with", async () => {
    const token = identityToken(serverKeyPem, stack.config.identityKeys[0]!, "/discover");
    const [header, , signature] = token.split(".");
    const claims = Buffer.from(
      JSON.stringify({ aud: "/invoke/OrderWorkflow/run", nbf: 0, iat: 0, exp: 9_999_999_999 }),
    ).toString("base64url");
    expect((await invokeRun(signedHeaders(`${header}.${claims}.${signature}`))).status).toBe(401);
  });

  it("serves restate-server's own signed calls: an order runs to completion", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout(
      [{ productId: "sku-mug", quantity: 1 }],
      "cus_signed",
    );
    await stack.pay(stripeCheckoutSessionId);
    await stack.waitForStatus(id, ["completed"]);
    expect(await movementsFor(stack.db, id)).toHaveLength(1);
    const rows = await restateQuery<{ status: string }>(
      stack,
      `SELECT status FROM sys_invocation WHERE target_service_key = '${id}' AND target_handler_name = 'run'`,
    );
    expect(rows).toEqual([{ status: "completed" }]);
  });
});

describe("request identity keys", () => {
  it("are written publickeyv1_ followed by the base58 of the raw 32-byte Ed25519 public key", () => {
    const { privateKeyPem, publicKey } = generateIdentityKeyPair();
    expect(publicKey).toMatch(/^publickeyv1_[1-9A-HJ-NP-Za-km-z]{43,44}$/);
    const raw = bs58.decode(publicKey.slice("publickeyv1_".length));
    expect(raw).toHaveLength(32);
    const jwkX = createPublicKey(privateKeyPem).export({ format: "jwk" }).x!;
    expect(Buffer.from(raw).toString("base64url")).toBe(jwkX);
    // The public PEM gives the same key as the private one.
    const publicPem = createPublicKey(privateKeyPem).export({ format: "pem", type: "spki" }).toString();
    expect(publicKeyV1(publicPem)).toBe(publicKey);
  });

  it("refuse a key that is not Ed25519", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" })
      .privateKey.export({ format: "pem", type: "pkcs8" })
      .toString();
    expect(() => publicKeyV1(ec)).toThrow(/Ed25519/);
  });

  it("are read from RESTATE_IDENTITY_KEYS, comma-separated, blanks and spaces ignored", () => {
    const [a, b] = [generateIdentityKeyPair().publicKey, generateIdentityKeyPair().publicKey];
    expect(parseEnv({ RESTATE_IDENTITY_KEYS: ` ${a} , ${b},` }).RESTATE_IDENTITY_KEYS).toEqual([a, b]);
    expect(parseEnv({}).RESTATE_IDENTITY_KEYS).toEqual([]);
    expect(parseEnv({ RESTATE_IDENTITY_KEYS: "" }).RESTATE_IDENTITY_KEYS).toEqual([]);
  });

  it("refuse a value that is not a publickeyv1_ key, naming the variable", () => {
    const truncated = generateIdentityKeyPair().publicKey.slice(0, -3);
    for (const bad of [
      "not-a-key",
      "publickeyv1_",
      "publickeyv1_0OIl",
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5",
      "publickeyv1_abc",
      truncated,
    ]) {
      expect(() => parseEnv({ RESTATE_IDENTITY_KEYS: bad }), bad).toThrow(ConfigError);
      expect(() => parseEnv({ RESTATE_IDENTITY_KEYS: bad }), bad).toThrow(/RESTATE_IDENTITY_KEYS/);
    }
  });
});
