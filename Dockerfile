# starwave worker / API / emulator image (see docker-compose.yml), built the way a user installs starwave:
#   stage "build":   npm ci (with dev tools) → npm run build (tsc to dist/, prebuilt workflow bundle) → npm pack
#   final stage:     npm install of that one tarball, production dependencies only: no TypeScript tooling at run time
# The image's working folder is the installed package, so `node bin/starwave.js …` (docker-compose.yml) and
# `starwave …` (on PATH) both run it.

FROM node:20-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json README.md ./
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
RUN npm run build && mkdir /pack && npm pack --pack-destination /pack

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /opt/starwave
COPY --from=build /pack/ /tmp/pack/
RUN npm install --omit=dev --no-audit --no-fund /tmp/pack/starwave-*.tgz \
 && rm -rf /tmp/pack && npm cache clean --force
ENV PATH=/opt/starwave/node_modules/.bin:$PATH
WORKDIR /opt/starwave/node_modules/starwave
USER node
# SIGTERM (docker stop) drains the worker and exits within 30 s; docker's default stop timeout is 10 s, so give the
# container `stop_grace_period: 40s` (compose) or `docker stop -t 40`.
CMD ["node", "bin/starwave.js", "worker"]
