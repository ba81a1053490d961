# syntax=docker/dockerfile:1
# Palisade's container image: built from source in one stage, shipped in a distroless Node.js 24
# runtime (no shell, no package manager) as a non-root numeric user.

ARG NODE_MAJOR=24

FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; the build runs below.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --ignore-scripts

FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="palisade" \
      org.opencontainers.image.description="Kubernetes security posture admission webhook, background auditor and manifest scanner driven by CEL rules" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY rules ./rules
COPY standards ./standards
COPY crds ./crds
ENV NODE_ENV=production
# 65532 is distroless's "nonroot"; numeric so Kubernetes can verify runAsNonRoot.
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli/bin.js"]
CMD ["serve", "--cert-dir", "/tmp/certs"]
