# postpay app image: one image for every Node process of the stack. The command picks the role:
#   npm run start:services   Restate service endpoint (default, port 9080)
#   npm run start:http       Hono HTTP app (port 3000)
#   npm run db:migrate       apply the committed Drizzle migrations, then exit
#   npm run register         register the service endpoint with Restate (never over another version), then exit
#   npm run deployments      list the deployments (and `-- retire <id>` one nothing runs on)
#   npm run db:seed -- FILE  upsert a catalog
# Node runs the TypeScript itself (type stripping, Node >= 22.18; no build step, no tsx); the `node`
# package the install brings pins the Node runtime that npm scripts run on. Migrations are generated in development
# (drizzle-kit) and committed; the image only applies them.
FROM node:22-slim

WORKDIR /app
RUN chown node:node /app
USER node

# Dependencies first: this layer is rebuilt only when the lockfile changes. Production ones only:
# the test browser, the local restate-server binary (it runs in its own container) and the other
# development tools stay out of the image.
# SCARF_ANALYTICS=false: the Restate npm packages otherwise report the install to Scarf.
ENV SCARF_ANALYTICS=false
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Product code only. dev/ (local stand-ins, `npm start`, `npm run demo`, the test harness), test/
# and bench/ are development tools: they are not copied (and .dockerignore keeps them out of the
# build context): `npm start` and `npm run demo` do not work in the image.
COPY --chown=node:node tsconfig.json drizzle.config.ts restate.toml ./
COPY --chown=node:node db ./db
COPY --chown=node:node services ./services
COPY --chown=node:node src ./src

# The build's version (docker build --build-arg SERVICE_VERSION=$(npm run -s service-version) .):
# the endpoint reports it to Restate, register and deployments go by it, and the image has no .git
# to compute it from. After `npm ci`: a new version reinstalls nothing.
ARG SERVICE_VERSION
RUN test -n "$SERVICE_VERSION" || { echo "build with --build-arg SERVICE_VERSION=\$(npm run -s service-version)" >&2; exit 1; }
ENV SERVICE_VERSION=$SERVICE_VERSION

# HTTP app, Restate service endpoint.
EXPOSE 3000 9080

CMD ["npm", "run", "start:services"]
