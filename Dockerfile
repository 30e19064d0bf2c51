# One image for every Clasper process; pick the process with the command:
#   API (default):    node dist/src/api/main.js
#   worker:           node dist/src/worker/main.js
#   reference backend node dist/examples/mission-control-lite/main.js
#   search attributes node dist/scripts/temporal-setup.js
#   CLI:              node bin/clasper.js doctor   (runs the compiled dist/src/cli)
# Configuration comes from the environment only (see .env.example).

# ---- build: compile TypeScript and prebuild the workflow bundle ----
FROM node:20-bookworm-slim AS build
WORKDIR /app

# Dependencies first, so source edits do not invalidate the npm layer.
COPY package.json package-lock.json ./
# npm install, not npm ci: the lock omits optional platform binaries our package index does not
# serve, which npm ci rejects; with the lock present npm install installs exactly the locked versions.
RUN npm install --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY examples ./examples
COPY scripts ./scripts

# tsc -p tsconfig.build.json → dist/{src,examples,scripts}; then the workflow bundle →
# dist/workflow-bundle.js, so workers start without webpack and all run identical workflow code.
RUN npm run build && npm run build:workflows

# Dev dependencies (compilers, test tools) stay out of the runtime image.
RUN npm prune --omit=dev --no-audit --no-fund

# ---- runtime ----
FROM node:20-bookworm-slim
# A container is its own network namespace: serve the API and the worker's metrics on every
# interface of it (outside a container both default to 127.0.0.1).
ENV NODE_ENV=production CLASPER_HOST=0.0.0.0 CLASPER_WORKER_METRICS_HOST=0.0.0.0
WORKDIR /app

COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The `clasper` command (package.json "bin"); it runs dist/src/cli, so doctor works in the image.
COPY bin ./bin
# The example workspace (CLASPER_WORKSPACE=./workspace). Mount your own over /app/workspace.
COPY workspace ./workspace

# Files stay root-owned and read-only to the process; it runs as the image's unprivileged `node` user.
USER node

EXPOSE 8081 8000
CMD ["node", "dist/src/api/main.js"]
