// Serves a stand-in's Hono app on node:http, on a free loopback port unless told otherwise.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import type { Hono } from "hono";

export type ServedApp = { url: string; close(): Promise<void> };

export async function serveApp(app: Hono, options: { port?: number; host?: string } = {}): Promise<ServedApp> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive connections from the app under test would hold close() open.
        server.closeAllConnections();
      }),
  };
}
