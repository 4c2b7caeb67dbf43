# syntax=docker/dockerfile:1
# Phantom Gateway: one image for the edge and the micro gateways.
#   docker build -t phantom-gateway:0.1.0 --build-arg VERSION=0.1.0 .
#   docker run … phantom-gateway:0.1.0 edge  --config /etc/phantom/config/edge.yaml
#   docker run … phantom-gateway:0.1.0 micro --config /etc/phantom/config/micro.yaml
# The final stage holds the compiled programs and the production dependencies
# only (no oidc-provider, no pino-pretty, no TypeScript). The "dev" target adds
# the development dependencies, for the development AS of the compose demo:
#   docker build --target dev -t phantom-gateway:dev .
ARG NODE_IMAGE=node:20-bookworm-slim

# 1. build: the lockfile's full install, the TypeScript compile, then the tests' output removed
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY apps ./apps
COPY libs ./libs
COPY test ./test
RUN npm run build && rm -rf dist/test && find dist -name '*.test.js' -delete

# 2. prod-deps: the lockfile's production dependencies alone
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. dev: everything, for the development AS and the demo (never for production)
FROM build AS dev
ENV NODE_ENV=development
USER 1000:1000
ENTRYPOINT ["node", "dist/apps/cli/src/main.js"]
CMD ["dev-as", "--host", "0.0.0.0", "--port", "4000"]

# 4. runtime (the default target): slim Node.js, production dependencies, non-root, read-only root file system
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG SOURCE=https://github.com/phantom-gateway/phantom-gateway
ARG REVISION=unknown
LABEL org.opencontainers.image.title="phantom-gateway" \
      org.opencontainers.image.description="Phantom-token edge gateway and per-domain micro gateways" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    PHANTOM_ADMIN_PORT=9901
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/apps ./dist/apps
COPY --from=build /app/dist/libs ./dist/libs
COPY package.json ./
# the programs write nothing but stdout/stderr: the root file system can be read-only;
# configuration and keys are mounted under /etc/phantom
# uid/gid 1000 is the image's "node" user; numeric, so Kubernetes can verify runAsNonRoot
USER 1000:1000
EXPOSE 8080 9901
# SIGTERM drains: /readyz turns 503, in-flight requests finish within server.drainTimeoutMs, exit 0
STOPSIGNAL SIGTERM
# the admin listener (admin.host must be reachable from inside the container: 127.0.0.1 or 0.0.0.0);
# set PHANTOM_ADMIN_PORT when admin.port is not 9901
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PHANTOM_ADMIN_PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/apps/cli/src/main.js"]
CMD ["edge", "--config", "/etc/phantom/config/edge.yaml"]
