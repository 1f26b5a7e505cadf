// Which version ran what, for the console: the footer names this app's build and the versions of
// the services Restate has deployed (newest first; more than one while an old one drains); an
// order's page names the version its run is pinned to. Read from Restate's admin API, kept for a
// few seconds, and never in the way: when Restate cannot say, the page says "unknown".
import type { RestateAdmin } from "../../adapters/restate-admin.ts";
import { versionOf, type Deployment } from "../../domain/deployment.ts";

export type Footer = { app: string; deployed: string[] };

export type VersionDirectory = {
  footer(): Promise<Footer>;
  /** The version of the deployment the invocation is pinned to; undefined when unknown. */
  ranOn(invocationId: string | null): Promise<string | undefined>;
};

export function createVersionDirectory(admin: RestateAdmin, appVersion: string, ttlMs = 10_000): VersionDirectory {
  let cached: { at: number; deployments: Promise<Deployment[]> } | undefined;
  const deployments = () => {
    if (!cached || Date.now() - cached.at > ttlMs) {
      const fresh = admin.deployments().catch(() => [] as Deployment[]);
      cached = { at: Date.now(), deployments: fresh };
    }
    return cached.deployments;
  };
  return {
    async footer() {
      const known = (await deployments()).toReversed();
      return { app: appVersion, deployed: known.map((d) => versionOf(d) ?? "unknown") };
    },
    async ranOn(invocationId) {
      if (!invocationId || !/^inv_[A-Za-z0-9]+$/.test(invocationId)) return undefined;
      try {
        const [row] = await admin.query<{ pinned: string | null }>(
          `SELECT pinned_deployment_id AS pinned FROM sys_invocation WHERE id = '${invocationId}'`,
        );
        const pinned = (await deployments()).find((d) => d.id === row?.pinned);
        return pinned && versionOf(pinned);
      } catch {
        return undefined;
      }
    },
  };
}
