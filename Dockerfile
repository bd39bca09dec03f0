# One image for every Tongban process, run as `node dist/<name>.js` (compiled JavaScript, no tsx): the Helm
# chart picks the file per Deployment (args: ["dist/gateway.js"], ["dist/query.js"], the migrations Job
# ["dist/migrate.js"] …; the names are scripts/build-dist.ts's DIST_ENTRIES).
#   docker build -t registry.example.cn/tongban/tongban:0.1.0 .
#   docker run --rm registry.example.cn/tongban/tongban:0.1.0 dist/config.js gateway   # the effective settings

# Build stage, with every dev dependency: the web apps (Vite, React, antd…) into apps/*/dist, and every
# process and operator command compiled by esbuild into dist/ (the workspace packages bundled in).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY packages ./packages
COPY services ./services
COPY apps ./apps
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund && npm run build && npm run build:dist

# Runtime stage: production dependencies only.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# The workspaces' package.json (npm ci installs their dependencies) and the data the compiled files read
# beside their sources: packages/i18n/locales, packages/reference-data/{data,geo}, services/identity/data.
COPY packages ./packages
COPY services ./services
# The built web apps; the gateway serves apps/<name>/dist (TONGBAN_WEB_ROOT defaults to /app/apps).
COPY --from=build /app/apps ./apps
RUN npm ci --omit=dev --no-audit --no-fund && rm -rf apps/*/node_modules && npm cache clean --force
COPY --from=build /app/dist ./dist
# The non-root `node` user (uid 1000; the chart's podSecurityContext runs as it, read-only root FS).
# Production: identity refuses to start without TONGBAN_JWT_SECRET (no generated key in a container).
# Stack traces name the TypeScript sources (dist/*.js.map).
ENV NODE_OPTIONS=--enable-source-maps
USER node
ENTRYPOINT ["node"]
CMD ["dist/gateway.js"]
