// Helpers the security specifications share: a caller who reaches Restate's ingress or admin API
// directly, a raw HTTP/2 client for the service endpoint, Restate request-identity tokens, and a
// second HTTP app built from a stack's real parts with one part changed (a small rate limit, a
// Stripe that is down, a database that is down), whose logs the test can read.
import { createPrivateKey, sign } from "node:crypto";
import http2 from "node:http2";
import { Writable } from "node:stream";
import { serveApp } from "../../dev/http-server.ts";
import { createOrderClient } from "../../src/adapters/restate-ingress.ts";
import { createApp, type AppDeps } from "../../src/http/app.ts";
import { createLogger } from "../../src/log.ts";
import { createStripe } from "../../src/runtime/stripe.ts";
import type { Stack } from "./stack.ts";

/** POSTs JSON to Restate's ingress, as anyone on its network could. */
export async function viaIngress(stack: Stack, path: string, body?: unknown) {
  const res = await fetch(`${stack.restate.ingressUrl}${path}`, {
    method: "POST",
    // No body, no content type: restate-server refuses a JSON content type with an empty body (400).
    ...(body !== undefined && { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, text };
}

/** Rows of a SQL query on Restate's admin API (sys_invocation, state, sys_promise, …). */
export async function restateQuery<T = Record<string, unknown>>(stack: Stack, query: string): Promise<T[]> {
  const res = await fetch(`${stack.restate.adminUrl}/query`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query }),
  });
  if (!res.ok) throw new Error(`admin query failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { rows: T[] }).rows;
}

/** One request over HTTP/2 cleartext (prior knowledge), as restate-server talks to the endpoint. */
export async function h2Request(
  baseUrl: string,
  request: { method: "GET" | "POST"; path: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<{ status: number; body: string }> {
  const session = http2.connect(baseUrl);
  try {
    return await new Promise((resolve, reject) => {
      session.once("error", reject);
      const stream = session.request({ ":method": request.method, ":path": request.path, ...request.headers });
      let status = 0;
      let body = "";
      stream.setEncoding("utf8");
      stream.on("response", (headers) => (status = Number(headers[":status"])));
      stream.on("data", (chunk: string) => (body += chunk));
      stream.on("end", () => resolve({ status, body }));
      stream.on("error", reject);
      // A refused request is answered at once; an accepted invocation would wait for more input.
      stream.setTimeout(10_000, () => {
        stream.close();
        resolve({ status, body });
      });
      stream.end(request.body);
    });
  } finally {
    session.close();
  }
}

/**
 * A request-identity token as restate-server makes one (JWT, EdDSA, `kid` = the public key,
 * audience = the request path, valid 60 s either side of now), signed with `privateKeyPem`.
 */
export function identityToken(
  privateKeyPem: string,
  kid: string,
  path: string,
  { nowSeconds = Math.floor(Date.now() / 1000) }: { nowSeconds?: number } = {},
): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = part({ typ: "JWT", alg: "EdDSA", kid });
  const claims = part({ aud: path, nbf: nowSeconds - 60, iat: nowSeconds, exp: nowSeconds + 60 });
  const signature = sign(null, Buffer.from(`${header}.${claims}`), createPrivateKey(privateKeyPem)).toString(
    "base64url",
  );
  return `${header}.${claims}.${signature}`;
}

export const signedHeaders = (token: string) => ({ "x-restate-signature-scheme": "v1", "x-restate-jwt-v1": token });

/**
 * A second HTTP app on its own port, wired like the stack's (same database, Restate, Stripe,
 * secrets) except for `overrides`. Its log lines are kept in `logs`.
 */
export async function serveSecondApp(stack: Stack, overrides: Partial<AppDeps> = {}) {
  const logs: string[] = [];
  const destination = new Writable({
    write: (chunk, _enc, done) => {
      logs.push(String(chunk));
      done();
    },
  });
  const { config } = stack;
  const deps: AppDeps = {
    db: stack.db,
    stripe: createStripe(config),
    orders: createOrderClient({ ingressUrls: [stack.restate.ingressUrl], timeoutMs: config.httpTimeoutMs }),
    webhookSecret: config.stripeWebhookSecret,
    adminToken: config.adminToken,
    shopApiKey: config.shopApiKey,
    publicUrl: config.publicUrl,
    rateLimit: config.rateLimit,
    log: createLogger({ level: "debug", destination }),
    ...overrides,
  };
  const served = await serveApp(createApp(deps));
  const call = async (method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${served.url}${route}`, {
      method,
      headers: { ...(body !== undefined && { "content-type": "application/json" }), ...headers },
      ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      text, // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON a route answers
      body: text ? (JSON.parse(text) as any) : undefined,
    };
  };
  return { url: served.url, logs, call, close: served.close };
}

/** A loopback port nothing listens on (bound, then released). */
export { freePort as closedPort } from "../../dev/restate-server.ts";
