# syntax=docker/dockerfile:1
# One image for every role: `docker run <image> api|relay|bridge|worker|notifier|all|migrate|seed`.
# Node 24 runs the TypeScript sources directly (built-in type stripping), so there is no build stage.

# ---- deps: production node_modules only --------------------------------------------------------------------------
FROM node:24-bookworm-slim AS deps
WORKDIR /app
# Manifests first: this layer (the slow one) is rebuilt only when the dependency set changes, not on every code edit.
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script (@swc/core's native binary comes from its optional
# per-platform package, protobufjs's postinstall is only a notice); the flag enforces that whatever the npm version.
# @swc/core and webpack stay even with --omit=dev: @temporalio/worker depends on them to bundle workflows/ at start.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

# ---- runtime -----------------------------------------------------------------------------------------------------
FROM node:24-bookworm-slim
ENV NODE_ENV=production
# As for the app processes of scripts/stack.sh (app_process_env in scripts/lib.sh): two malloc arenas, a small V8
# young generation and 1-GiB heaps keep the worker's resident memory down (docs/performance.md, the worker's memory).
ENV MALLOC_ARENA_MAX=2 NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=1024"
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY src ./src
COPY workflows ./workflows
# A directory with no tracked file is absent from a fresh clone, and COPY then fails: keep a file in activities/.
COPY activities ./activities
# The image's built-in unprivileged user. /app stays root-owned: nothing at runtime writes there (workflows are
# bundled in memory, MikroORM keeps no metadata cache), so the process cannot rewrite its own code.
USER node
EXPOSE 3000
# Exec form: node is PID 1 and receives SIGTERM itself, so the roles drain gracefully (compose allows 30 s).
ENTRYPOINT ["node", "src/main.ts"]
CMD ["all"]
