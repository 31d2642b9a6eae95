# One image for every marketlake service; docker-compose.yml picks the command.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production LAKE_DIR=/lake MARKETLAKE_STATE_DIR=/state
COPY package.json package-lock.json ./
# patch-package applies patches/ (a kafkajs fix) after the install.
COPY patches ./patches
RUN npm ci --no-audit --no-fund --omit=dev
COPY . .
RUN node -e "import('@duckdb/node-api').then(() => console.log('duckdb ok'))"
VOLUME ["/lake"]
ENTRYPOINT ["node", "bin/marketlake.js"]
CMD ["--help"]
