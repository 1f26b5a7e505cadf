// A replicated Restate cluster of restate-server processes on this machine (`npm run
// start:cluster`, the cluster tests, `BENCH_CLUSTER=1 npm run bench`): every node from the same
// config file (restate-cluster/cluster.toml), its identity and ports from the environment,
// provisioned once with `restatectl provision`, then watched through restatectl's cluster tables.
//
// When a cluster can take calls — not `/health`, which every live node answers 200 even while
// calls hang (2 of 3 nodes down: no metadata quorum, no 2 log servers for a replication of 2):
//   1. a majority of the nodes is alive (`restatectl sql "SELECT … FROM nodes"`, state = alive);
//   2. every partition has an active leader on an alive node (`partition_state`, effective_mode =
//      Leader, replay_status = active; the highest leader epoch wins while leadership moves);
//   3. every node that should be up answers an admin `/query` (which reads all partitions).
// Leadership is visible only there: the admin API's `/query` has no cluster tables.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { z } from "zod";
import { freePort, isReady, startRestateServer, type RestateServer } from "./restate-server.ts";

export type NodePorts = { ingress: number; admin: number; fabric: number };

/** The ports of `npm run start:cluster` (see restate-cluster/cluster.toml). */
export const LOCAL_CLUSTER_PORTS: NodePorts[] = [
  { ingress: 8080, admin: 9070, fabric: 5122 },
  { ingress: 8081, admin: 9071, fabric: 5123 },
  { ingress: 8082, admin: 9072, fabric: 5124 },
];

export type ClusterNode = {
  /** 1, 2, 3: also its force-node-id (N1, N2, N3 in restatectl). */
  readonly id: number;
  readonly name: string;
  readonly ports: NodePorts;
  readonly ingressUrl: string;
  readonly adminUrl: string;
  readonly fabricUrl: string;
  /** The running process, undefined while the node is down. */
  readonly server: RestateServer | undefined;
};

export type ClusterStatus = {
  /** Node ids the cluster reports alive. */
  alive: number[];
  partitions: number;
  /** Partition id → id of the node leading it. */
  leaders: Map<number, number>;
  /** Calls can go through: see the top of this file. */
  ready: boolean;
  /** Why not, when not. */
  problems: string[];
};

export type RestateCluster = {
  readonly nodes: ClusterNode[];
  /** Every node's ingress, for RESTATE_INGRESS_URL. */
  readonly ingressUrls: string[];
  /** The admin API of a node that is up (any node's admin API serves the whole cluster). */
  readonly adminUrl: string;
  /** Runs restatectl against a node's fabric address (the next one if it fails); resolves with its stdout. */
  restatectl(args: string[]): Promise<string>;
  status(): Promise<ClusterStatus>;
  /** Waits until `status().ready`; throws with the last problems after the timeout. */
  waitReady(timeoutMs?: number): Promise<ClusterStatus>;
  /** The node leading the most partitions (the lowest id among equals). */
  busiestLeader(): Promise<ClusterNode>;
  /** SIGKILL one node (a crash), waiting for the process to exit. */
  kill(id: number): Promise<void>;
  /** SIGTERM one node. */
  stop(id: number): Promise<void>;
  /** Starts a stopped node again on its ports and data; resolves once it serves (not once the cluster is ready). */
  start(id: number): Promise<void>;
  /** Stops every node (SIGTERM). */
  close(): Promise<void>;
};

export type RestateClusterOptions = {
  /** Node N keeps its data under `<baseDir>/node-N/` (restate-server adds the node name). */
  baseDir: string;
  configFile: string;
  /** One entry per node; default: three nodes on free ports. */
  ports?: NodePorts[];
  /** Extra environment for every node (request identity key, snapshot endpoint, test overrides). */
  env?: Record<string, string>;
  /** Node N logs to `<logDir>/restate-node-N.log`; default: its data dir. */
  logDir?: string;
  readyTimeoutMs?: number;
};

export function restatectlBinary(): string {
  const require = createRequire(import.meta.url);
  const arch = process.arch === "x64" ? "x64" : process.arch;
  return require.resolve(`@restatedev/restatectl-${process.platform}-${arch}/bin/restatectl`);
}

/** Starts every node, provisions the cluster if it is new, and waits until it takes calls. */
export async function startRestateCluster(options: RestateClusterOptions): Promise<RestateCluster> {
  const ports =
    options.ports ??
    (await Promise.all(
      [1, 2, 3].map(async () => ({ ingress: await freePort(), admin: await freePort(), fabric: await freePort() })),
    ));
  const fabricUrls = ports.map((p) => `http://127.0.0.1:${p.fabric}/`);
  const nodes = ports.map((p, i) => {
    const id = i + 1;
    return {
      id,
      name: `node-${id}`,
      ports: p,
      ingressUrl: `http://127.0.0.1:${p.ingress}`,
      adminUrl: `http://127.0.0.1:${p.admin}`,
      fabricUrl: fabricUrls[i]!,
      server: undefined as RestateServer | undefined,
    };
  });
  const nodeOf = (id: number) => {
    const node = nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id} in this cluster`);
    return node;
  };

  const startNode = async (node: (typeof nodes)[number]) => {
    node.server = await startRestateServer({
      // restate-server keeps a node's data in <base-dir>/<node-name>/.
      baseDir: options.baseDir,
      configFile: options.configFile,
      ports: node.ports,
      logFile: path.join(options.logDir ?? options.baseDir, `restate-${node.name}.log`),
      env: {
        RESTATE_NODE_NAME: node.name,
        RESTATE_FORCE_NODE_ID: String(node.id),
        RESTATE_METADATA_CLIENT__ADDRESSES: `[${fabricUrls.map((u) => `"${u}"`).join(",")}]`,
        ...options.env,
      },
      // Before the cluster is provisioned a node serves only its fabric port (no admin API, no
      // ingress yet); from then on readiness is the cluster's (status()).
      ready: () => portOpen(node.ports.fabric),
      readyTimeoutMs: options.readyTimeoutMs,
    });
  };

  // One node at a time, nodes that are up first: given a list, restatectl gives up when the first is down.
  const restatectl = async (args: string[]) => {
    const order = [...nodes.filter((n) => n.server), ...nodes.filter((n) => !n.server)];
    let failure: unknown;
    for (const node of order) {
      try {
        return await runRestatectl([...args, "--address", node.fabricUrl]);
      } catch (err) {
        failure ??= err;
      }
    }
    throw failure;
  };

  const cluster: RestateCluster = {
    nodes,
    ingressUrls: nodes.map((n) => n.ingressUrl),
    get adminUrl() {
      return (nodes.find((n) => n.server) ?? nodes[0]!).adminUrl;
    },
    restatectl,
    async status() {
      const expected = nodes.filter((n) => n.server).map((n) => n.id);
      return clusterStatus(restatectl, nodes.length, expected, (id) => isReady(nodeOf(id).adminUrl));
    },
    async waitReady(timeoutMs = options.readyTimeoutMs ?? 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last: ClusterStatus | undefined;
      for (;;) {
        last = await cluster.status();
        if (last.ready) return last;
        if (Date.now() > deadline)
          throw new Error(`Restate cluster not ready after ${timeoutMs} ms: ${last.problems.join("; ")}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async busiestLeader() {
      const { leaders } = await cluster.status();
      if (leaders.size === 0) throw new Error("no partition has a leader");
      const counts = new Map<number, number>();
      for (const nodeId of leaders.values()) counts.set(nodeId, (counts.get(nodeId) ?? 0) + 1);
      const [busiest] = [...counts].sort(([a, ca], [b, cb]) => cb - ca || a - b)[0]!;
      return nodeOf(busiest);
    },
    async kill(id) {
      const node = nodeOf(id);
      await node.server?.kill();
      node.server = undefined;
    },
    async stop(id) {
      const node = nodeOf(id);
      await node.server?.stop();
      node.server = undefined;
    },
    async start(id) {
      const node = nodeOf(id);
      if (node.server) throw new Error(`${node.name} is running`);
      await startNode(node);
    },
    async close() {
      await Promise.all(nodes.map((n) => cluster.stop(n.id)));
    },
  };

  try {
    // All at once: with a replication of 2, no node gets far alone.
    await Promise.all(nodes.map(startNode));
    await provisionOnce(restatectl);
    await cluster.waitReady();
    return cluster;
  } catch (err) {
    await cluster.close().catch(() => {});
    throw err;
  }
}

/**
 * Provisions a new cluster with the config's partitions and replication. A provisioned one is left
 * as it is: restatectl answers "Cluster has been provisioned by somebody else" and exits 0.
 */
async function provisionOnce(restatectl: (args: string[]) => Promise<string>) {
  await restatectl(["provision", "--yes"]);
}

const NodeRows = z.array(z.object({ plain_node_id: z.string(), state: z.string() }));
const LeaderRows = z.array(
  z.object({
    partition_id: z.number(),
    plain_node_id: z.string(),
    leader_epoch: z.number().nullable(),
    replay_status: z.string().nullable(),
  }),
);
const CountRows = z.array(z.object({ n: z.number() }));
const nodeNumber = (plain: string) => Number(plain.replace(/^N/, ""));

async function clusterStatus(
  restatectl: (args: string[]) => Promise<string>,
  size: number,
  expected: number[],
  answersQueries: (id: number) => Promise<boolean>,
): Promise<ClusterStatus> {
  const sql = async (query: string) => JSON.parse((await restatectl(["sql", "--json", query])) || "[]") as unknown;
  let alive: number[] = [];
  let partitions = 0;
  const leaders = new Map<number, number>();
  const problems: string[] = [];
  try {
    const [nodeRows, leaderRows, countRows] = await Promise.all([
      sql("SELECT plain_node_id, state FROM nodes"),
      sql(
        "SELECT partition_id, plain_node_id, leader_epoch, replay_status FROM partition_state WHERE effective_mode = 'Leader'",
      ),
      sql("SELECT count(*) AS n FROM partitions"),
    ]);
    alive = NodeRows.parse(nodeRows)
      .filter((r) => r.state === "alive")
      .map((r) => nodeNumber(r.plain_node_id))
      .sort();
    partitions = CountRows.parse(countRows)[0]?.n ?? 0;
    // While leadership moves, an old and a new leader may both say so: the higher epoch is the leader.
    const epochs = new Map<number, number>();
    for (const row of LeaderRows.parse(leaderRows)) {
      const node = nodeNumber(row.plain_node_id);
      if (row.replay_status !== "active" || !alive.includes(node)) continue;
      if ((row.leader_epoch ?? -1) >= (epochs.get(row.partition_id) ?? -1)) {
        epochs.set(row.partition_id, row.leader_epoch ?? -1);
        leaders.set(row.partition_id, node);
      }
    }
  } catch (err) {
    problems.push(`restatectl: ${(err as Error).message.split("\n")[0]}`);
    return { alive, partitions, leaders, ready: false, problems };
  }
  if (partitions === 0) problems.push("not provisioned");
  if (alive.length <= size / 2) problems.push(`only ${alive.length} of ${size} nodes alive: no majority`);
  const missing = expected.filter((id) => !alive.includes(id));
  if (missing.length) problems.push(`not alive yet: ${missing.map((id) => `N${id}`).join(", ")}`);
  const leaderless = Array.from({ length: partitions }, (_, p) => p).filter((p) => !leaders.has(p));
  if (leaderless.length) problems.push(`partitions without an active leader: ${leaderless.join(", ")}`);
  if (!problems.length) {
    const answers = await Promise.all(expected.map(answersQueries));
    const silent = expected.filter((_, i) => !answers[i]);
    if (silent.length) problems.push(`admin /query not answering on ${silent.map((id) => `N${id}`).join(", ")}`);
  }
  return { alive, partitions, leaders, ready: problems.length === 0, problems };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.setTimeout(1000);
    socket.once("connect", () => resolve(true));
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => resolve(false));
    socket.once("close", () => socket.destroy());
    socket.once("connect", () => socket.end());
  });
}

function runRestatectl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      restatectlBinary(),
      ["--connect-timeout", "1000", "--request-timeout", "5000", ...args],
      { timeout: 15_000, env: { ...process.env, NO_COLOR: "1", CLICOLOR: "0" } },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`restatectl ${args[0]} failed: ${stderr.trim() || err.message}`));
        else resolve(stdout.trim());
      },
    );
  });
}
