// The Restate service endpoint: HTTP/2 on loopback (HTTP/1.1 would replay after every step).
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import * as restate from "@restatedev/restate-sdk";
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
    hooks = [],
  }: {
    port?: number;
    host?: string;
    log: Logger;
    /** `publickeyv1_…` keys of the restate-servers allowed to call; none: anyone may (the SDK warns). */
    identityKeys?: string[];
    /** Restate SDK hooks for every service (step metrics, tracing). */
    hooks?: restate.HooksProvider[];
  },
): Promise<ServiceEndpoint> {
  const sdkLog = log.child({ component: "restate-sdk" });
  const handler = restate.createEndpointHandler({
    services,
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
        // Open HTTP/2 sessions (Restate keeps them alive) would hold close() forever.
        setTimeout(resolve, 500).unref();
      }),
  };
}
