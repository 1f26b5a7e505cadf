// Stands in for a Slack incoming webhook: records each JSON post, can be told to fail.
import http from "node:http";
import type { AddressInfo } from "node:net";

export type SlackPost = { text: string; blocks?: unknown[]; receivedAt: number };

export async function startSlackSink() {
  const posts: SlackPost[] = [];
  const failures: number[] = []; // statuses to answer with, one per request, before succeeding
  let attempts = 0;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      attempts++;
      const failWith = failures.shift();
      if (failWith) {
        res.writeHead(failWith, { "content-type": "text/plain" }).end("service_unavailable");
        return;
      }
      posts.push({ ...(JSON.parse(body) as Omit<SlackPost, "receivedAt">), receivedAt: Date.now() });
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/XXXX`,
    posts,
    attempts: () => attempts,
    failNext: (...statuses: number[]) => failures.push(...statuses),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
export type SlackSink = Awaited<ReturnType<typeof startSlackSink>>;
