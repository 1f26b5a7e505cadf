// The version of this build of the services: SERVICE_VERSION when given, else the package version,
// the git commit and whether the working tree had changes (0.1.0-5ebb531, 0.1.0-5ebb531-dirty).
// The image has no .git: the Dockerfile bakes SERVICE_VERSION in from a build argument.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
let computed: string | undefined;

const git = (...args: string[]) =>
  execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();

/** The version from the checkout (computed once per process). */
export function checkoutVersion(): string {
  if (computed) return computed;
  const pkg = (JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as { version: string }).version;
  try {
    const commit = git("rev-parse", "--short=7", "HEAD");
    computed = `${pkg}-${commit}${git("status", "--porcelain") ? "-dirty" : ""}`;
  } catch {
    computed = `${pkg}-unknown`; // no git, no .git: name the build with SERVICE_VERSION
  }
  return computed;
}

export const serviceVersion = (explicit: string | undefined) => explicit ?? checkoutVersion();
