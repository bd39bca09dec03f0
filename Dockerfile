# One image for every Tongban process; the Helm chart picks the entry point per Deployment.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages ./packages
COPY services ./services
COPY proto ./proto
RUN npm ci --omit=dev --no-audit --no-fund
USER node
ENTRYPOINT ["node", "--import", "tsx"]
