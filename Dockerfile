# starwave worker / API / emulator image (see docker-compose.yml). TypeScript runs through tsx, a runtime
# dependency, so production dependencies are enough and there is no build step.
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
USER node
CMD ["node", "bin/starwave.js", "worker"]
