# One image for every Tongban process; the Helm chart picks the entry point per Deployment.

# The web apps (apps/*), built with their dev dependencies (Vite, React, antd…), which the image leaves out.
FROM node:20-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY packages ./packages
COPY services ./services
COPY apps ./apps
RUN npm ci --no-audit --no-fund && npm run build

FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages ./packages
COPY services ./services
COPY proto ./proto
# Sources and built dist/ of every app; the gateway serves apps/<name>/dist (TONGBAN_WEB_ROOT=/app/apps).
COPY --from=web /app/apps ./apps
RUN npm ci --omit=dev --no-audit --no-fund && rm -rf apps/*/node_modules
# Production: identity refuses to start without TONGBAN_JWT_SECRET (no generated key in a container).
ENV NODE_ENV=production
USER node
ENTRYPOINT ["node", "--import", "tsx"]
