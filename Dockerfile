# syntax=docker/dockerfile:1
# CEOS container image: `docker build -t ceos .`
# Three stages: the TypeScript build, the production dependencies, and a slim runtime that holds
# only those two, run by an unprivileged user with tini as PID 1 so SIGTERM reaches CEOS's own
# shutdown (stop intake, finish in-flight work within CEOS_SHUTDOWN_TIMEOUT_SECONDS, close pools).

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script would build before the sources are here, and the `node`
# devDependency's installer is not needed; the image's own Node 24 runs the compiler.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No production dependency has an install script; skipping them also skips `prepare`.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:24-slim AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    CEOS_DATA_DIR=/var/lib/ceos
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# The embedded database's directory, for a trial without PostgreSQL (mount a volume on it).
RUN mkdir -p /var/lib/ceos && chown 1000:1000 /var/lib/ceos
# The image's `node` user, by number so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# tini forwards signals to node and reaps zombies; `npm start` is not used, as npm would sit
# between the signal and the server, so node gets the start script's flags here (the young
# generation held to 16 MB semi-spaces; see docs/operations.md).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=16", "bin/ceos.js"]
CMD ["start"]
