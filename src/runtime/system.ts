// Both sides of postpay in one process: `npm start`, the tests and the benchmark assemble the
// whole system through these. The deployed entry points import one side each
// (services-system.ts, http-system.ts), so neither process loads the other's code.
export { serveHttpApp } from "./http-system.ts";
export { createSystemPorts, serveServices } from "./services-system.ts";
export { createStripe } from "./stripe.ts";
