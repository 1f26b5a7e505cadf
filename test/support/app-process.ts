// postpay's app process (`dev/start.ts`: service endpoint + HTTP app, and PGlite when no
// DATABASE_URL) as a real child process, so crash tests can SIGKILL it and start it again.
import { httpReady, nodeProcess, type NodeProcess } from "../../dev/node-process.ts";

export type AppProcess = NodeProcess & { url: string };

export function appProcess(env: Record<string, string>, httpPort: number, logFile: string): AppProcess {
  const url = `http://127.0.0.1:${httpPort}`;
  const child = nodeProcess({
    script: "dev/start.ts",
    env: { ...env, HTTP_PORT: String(httpPort), LOG_LEVEL: "warn" },
    logFile,
    ready: httpReady(`${url}/healthz`),
  });
  return Object.assign(child, { url });
}
