// A process's own metrics on a private port (METRICS_PORT), for Prometheus on the internal network:
// the service endpoint has no other way to show them (its port speaks only Restate's protocol).
// With several worker processes (SERVICE_WORKERS, HTTP_WORKERS) the primary serves the sum of its
// workers' registries (prom-client's AggregatorRegistry), so a scrape never sees one worker only.
import cluster from "node:cluster";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { AggregatorRegistry, type Registry } from "prom-client";

export type MetricsServer = { url: string; close(): Promise<void> };

async function serve(
  text: () => Promise<string>,
  contentType: string,
  port: number,
  host: string,
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") return void res.writeHead(404).end();
    text().then(
      (body) => res.writeHead(200, { "content-type": contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One process's registry on `port`; in a worker, handed to the primary instead (which serves the sum). */
export async function serveRegistry(
  registry: Registry,
  port: number,
  host: string,
): Promise<MetricsServer | undefined> {
  if (cluster.isWorker) {
    new AggregatorRegistry(); // answers the primary's requests for this worker's metrics
    AggregatorRegistry.setRegistries([registry]);
    return undefined;
  }
  return serve(() => registry.metrics(), registry.contentType, port, host);
}

/** In a primary that keeps workers: their metrics, summed, on `port`. */
export function serveClusterMetrics(port: number, host: string): Promise<MetricsServer> {
  const aggregator = new AggregatorRegistry();
  return serve(() => aggregator.clusterMetrics(), aggregator.contentType, port, host);
}
