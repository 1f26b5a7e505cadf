// Two versions of the service endpoint side by side behind the same Restate, in both compose files
// (docs/operating.md, "Deploying a new version"): the current one is `services`, reached as
// services-<SERVICE_VERSION>, the URL `register` registers; the one being replaced is
// `services-previous` (profile `previous`), its own image postpay-app:<PREVIOUS_SERVICE_VERSION>
// at services-<PREVIOUS_SERVICE_VERSION>. Checked by parsing, with Compose's interpolation.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

type Service = {
  image?: string;
  build?: { args?: Record<string, string> };
  environment?: Record<string, unknown>;
  networks?: Record<string, { aliases?: string[] } | null>;
  command?: string[];
  profiles?: string[];
  pull_policy?: string;
};
const VARS = { SERVICE_VERSION: "0.2.0-abc1234", PREVIOUS_SERVICE_VERSION: "0.1.0-5ebb531" };

/**
 * Compose's ${VAR}, ${VAR:-default} and ${VAR:?message}: the versions unset throw as Compose refuses;
 * the other required settings (Stripe, tokens) are not what this file is about and get a stand-in.
 */
const interpolate = (value: string, vars: Record<string, string>) =>
  value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    if (vars[name]) return vars[name];
    if (op === "?") {
      if (name.endsWith("SERVICE_VERSION")) throw new Error(`${name} is required: ${arg}`);
      return "set";
    }
    return op === "-" ? arg! : "";
  });

for (const file of ["docker-compose.yml", "docker-compose.cluster.yml"]) {
  const text = readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), "utf8");
  const load = (vars: Record<string, string>) =>
    parse(interpolate(text, vars), { merge: true }) as { services: Record<string, Service> };

  describe(`${file} runs two versions side by side`, () => {
    const { services } = load(VARS);
    const current = services.services!;
    const previous = services["services-previous"]!;
    const aliases = (s: Service) => s.networks?.private?.aliases ?? [];

    it("names the current endpoint after its version and registers that URL with that version", () => {
      expect(aliases(current)).toEqual([`services-${VARS.SERVICE_VERSION}`]);
      expect(services.register!.environment).toMatchObject({
        SERVICE_URL: `http://services-${VARS.SERVICE_VERSION}:9080/`,
        SERVICE_VERSION: VARS.SERVICE_VERSION,
      });
    });

    it("builds one image per version, the version passed in as a build argument", () => {
      for (const role of ["services", "http", "migrate", "register"]) {
        expect(services[role]!.image).toBe(`postpay-app:${VARS.SERVICE_VERSION}`);
        expect(services[role]!.build?.args).toEqual({ SERVICE_VERSION: VARS.SERVICE_VERSION });
      }
    });

    it("runs the previous version from its own image at its own URL, with the same settings, on demand", () => {
      expect(previous.image).toBe(`postpay-app:${VARS.PREVIOUS_SERVICE_VERSION}`);
      expect(previous.build).toBeUndefined();
      expect(previous.pull_policy).toBe("never");
      expect(aliases(previous)).toEqual([`services-${VARS.PREVIOUS_SERVICE_VERSION}`]);
      expect(previous.profiles).toEqual(["previous"]);
      expect(previous.environment).toEqual(current.environment);
      expect(previous.command).toEqual(current.command);
      expect(Object.keys(previous.networks ?? {}).sort()).toEqual(Object.keys(current.networks ?? {}).sort());
    });

    it("refuses to start without SERVICE_VERSION, and needs no PREVIOUS_SERVICE_VERSION", () => {
      expect(() => load({})).toThrow(/SERVICE_VERSION is required/);
      expect(() => load({ SERVICE_VERSION: "v1" })).not.toThrow();
    });
  });
}
