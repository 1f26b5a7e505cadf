// The ports `npm start` listens on for what it runs itself, and where `npm run demo` finds them.
// POSTPAY_PORT_OFFSET (development only) moves every default up by the same amount, so a second
// copy runs beside the first on one machine (give it its own POSTPAY_DATA_DIR too). HTTP_PORT,
// SERVICE_PORT, RESTATE_INGRESS_URL and STRIPE_API_BASE, when set, still win. Not for start:cluster.
import { z } from "zod";
import { ConfigError } from "../src/config.ts";

const DEFAULTS = {
  http: 3000,
  service: 9080,
  restateIngress: 8080,
  restateAdmin: 9070,
  restateFabric: 5122,
  stripeEmulator: 12111,
  centers: 4001,
};
export type LocalPorts = typeof DEFAULTS & { offset: number };

const OffsetSchema = z.coerce.number().int().min(0).max(50_000).default(0);

export function localPorts(raw: NodeJS.ProcessEnv = process.env): LocalPorts {
  const parsed = OffsetSchema.safeParse(raw.POSTPAY_PORT_OFFSET?.trim() || undefined);
  if (!parsed.success) throw new ConfigError("POSTPAY_PORT_OFFSET must be a whole number from 0 to 50000");
  const offset = parsed.data;
  const ports = Object.fromEntries(Object.entries(DEFAULTS).map(([k, port]) => [k, port + offset])) as typeof DEFAULTS;
  return { ...ports, offset };
}

/** The environment's value when it is set, else the offset default. */
export const givenOr = (raw: string | undefined, fallback: number) => (raw?.trim() ? Number(raw) : fallback);
