// The Restate service endpoint: HTTP/2 on loopback (HTTP/1.1 would replay after every step).
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import * as restate from "@restatedev/restate-sdk";
import { VERSION_METADATA_KEY } from "../domain/deployment.ts";
import type { Logger } from "../log.ts";

type Services = Parameters<typeof restate.createEndpointHandler>[0]["services"];

export type ServiceEndpoint = { url: string; port: number; close(): Promise<void> };

export async function startServiceEndpoint(
  services: Services,
  {
    port = 0,
    host = "127.0.0.1",
    log,
    identityKeys = [],
    version,
    hooks = [],
  }: {
    port?: number;
    host?: string;
    log: Logger;
    /** `publickeyv1_…` keys of the restate-servers allowed to call; none: anyone may (the SDK warns). */
    identityKeys?: string[];
    /**
     * The build's version, put in every service's metadata: Restate records it with the deployment,
     * so `npm run register` and `npm run deployments` know which version each URL serves.
     */
    version?: string;
    /** Restate SDK hooks for every service (step metrics, tracing). */
    hooks?: restate.HooksProvider[];
  },
): Promise<ServiceEndpoint> {
  const sdkLog = log.child({ component: "restate-sdk" });
  const handler = restate.createEndpointHandler({
    services: version ? withVersion(services, version) : services,
    ...(identityKeys.length > 0 && { identityKeys }),
    ...(hooks.length > 0 && { defaultServiceOptions: { hooks } }),
    logger: (meta, message, ...rest) => {
      if (meta.replaying) return;
      // The SDK logs every invocation start/end at info: that belongs to debug on a hot path.
      const level = meta.level === "warn" || meta.level === "error" ? meta.level : "debug";
      if (!sdkLog.isLevelEnabled(level)) return; // nothing built for a line nobody reads
      const text = [message, ...rest].map((m) => (m instanceof Error ? m.message : String(m))).join(" ");
      sdkLog[level](
        {
          invocationId: meta.context?.invocationId,
          service: meta.context?.serviceName,
          handler: meta.context?.handlerName,
          key: meta.context?.key,
        },
        text,
      );
    },
  });
  const server = http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Restate keeps its HTTP/2 sessions open, and would go on sending new invocations down them to
        // this closed server: each is told to go away (its streams finish), then cut after 500 ms.
        for (const session of sessions) session.close();
        setTimeout(() => {
          for (const session of sessions) session.destroy();
          resolve();
        }, 500).unref();
      }),
  };
}

/** The services with the version in their metadata (what Restate records with the deployment). */
export const withVersion = (services: Services, version: string): Services =>
  services.map((s) => {
    const { metadata } = s as { metadata?: Record<string, string> };
    return { ...s, metadata: { ...metadata, [VERSION_METADATA_KEY]: version } };
  });
