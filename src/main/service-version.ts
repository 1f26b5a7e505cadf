// `npm run -s service-version`: prints this checkout's version (package version, git commit, -dirty),
// for the image's build argument and the compose URL: SERVICE_VERSION=$(npm run -s service-version).
import { checkoutVersion } from "../runtime/service-version.ts";

process.stdout.write(`${checkoutVersion()}\n`);
