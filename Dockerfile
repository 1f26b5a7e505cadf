# postpay app image: one image for every Node process of the stack. The command picks the role:
#   npm run start:services   Restate service endpoint (default, port 9080)
#   npm run start:http       Hono HTTP app (port 3000)
#   npm run db:migrate       apply the committed Drizzle migrations, then exit
#   npm run register         register the service endpoint with Restate (never over another version), then exit
#   npm run deployments      list the deployments (and `-- retire <id>` one nothing runs on)
#   npm run db:seed -- FILE  upsert a catalog
# Node runs the TypeScript itself (type stripping, Node >= 22.18; no build step, no tsx), from the
# base image: the `node` npm package that pins the runtime for development is a devDependency, so
# it is not installed here. Migrations are generated in development (drizzle-kit) and committed;
# the image only applies them.
#
# The base is pinned by digest, so a rebuild gets the same bytes. CHECK IT before relying on it
# (no image could be pulled where this was written): `docker buildx imagetools inspect
# node:22.23.2-bookworm-slim` must list this digest; when you update the version, update both.
FROM node:22.23.2-bookworm-slim@sha256:83f487e0a63425e5b4d146fb5e5be574bcbe1b7b843d3ebafdd95eaf7767a7e5

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the lockfile changes. Production ones only:
# the test browser, the local restate-server binary (it runs in its own container), the Node
# runtime package, Slack's bolt (only the Slack stand-in's types use it) and the other development
# tools stay out of the image.
# SCARF_ANALYTICS=false: the Restate npm packages otherwise report the install to Scarf.
ENV SCARF_ANALYTICS=false NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Product code only. dev/ (local stand-ins, `npm start`, `npm run demo`, the test harness), test/,
# bench/ and deploy/ are not copied (and .dockerignore keeps them out of the build context).
COPY tsconfig.json drizzle.config.ts restate.toml ./
COPY db ./db
COPY services ./services
COPY src ./src

# Code the process cannot rewrite: everything under /app belongs to root and is read-only; the
# process runs as the unprivileged `node` user, whose only writable place is its home (npm's logs).
RUN chmod -R a-w /app
USER node

# The build's version (docker build --build-arg SERVICE_VERSION=$(npm run -s service-version) .):
# the endpoint reports it to Restate, register and deployments go by it, and the image has no .git
# to compute it from. After `npm ci`: a new version reinstalls nothing.
ARG SERVICE_VERSION
RUN test -n "$SERVICE_VERSION" || { echo "build with --build-arg SERVICE_VERSION=\$(npm run -s service-version)" >&2; exit 1; }
ENV SERVICE_VERSION=$SERVICE_VERSION

# HTTP app, Restate service endpoint.
EXPOSE 3000 9080

CMD ["npm", "run", "start:services"]
