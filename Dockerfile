# syntax=docker/dockerfile:1
# channel-webhooks: `docker build -t channel-webhooks .`, then e.g.
#   docker run -p 3000:3000 -v cw-data:/data -e API_KEYS=… -e INGEST_TOKEN=… channel-webhooks
# Every setting is an environment variable (docs/operations.md, Configuration); the image defaults to
# NODE_ENV=production (API_KEYS and INGEST_TOKEN required) and SQLite on the /data volume.
ARG NODE_IMAGE=node:22-bookworm-slim

# Build: every dependency, the compiler for better-sqlite3's native module, the TypeScript build;
# then the development dependencies pruned, so the run stage copies production ones only.
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  && cd node_modules/better-sqlite3 \
  && find build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} + \
  && find build/Release -mindepth 1 -maxdepth 1 ! -name better_sqlite3.node -exec rm -rf {} + \
  && rm -rf deps src

# Run: Node, the built service and its production dependencies; no compiler, no npm cache.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    DATABASE_URL=sqlite:/data/channel-webhooks.sqlite
WORKDIR /app
# The code belongs to root and is read-only to the service; only /data is its own.
RUN mkdir /data && chown node:node /data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
VOLUME /data
EXPOSE 3000
# Alive while the process answers; readiness (/health/ready) is for load balancers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}/health/live`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `npm run start:prod` without npm: node is PID 1 and gets SIGTERM itself, which drains
# (attempts in flight finish and are recorded, for SHUTDOWN_TIMEOUT at most) and exits 0.
CMD ["node", "--max-old-space-size=256", "dist/main.js"]
