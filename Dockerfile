# driftgate: one image for both binaries (`serve`, `reconcile`). Non-root, read-only root
# filesystem friendly, with the real opa, kustomize and helm inside (the reconciler renders with
# them; both build policies with opa). Tool versions are the ones tools/versions.env pins
# (test/chart checks they agree). Build: docker build -t driftgate .
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

FROM node:20-bookworm-slim AS build
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

FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The built-in Rego library (the chart's policyDir): policies and their tests, no engine code.
COPY --from=build /app/policies ./policies
COPY --from=tools /out/opa /out/kustomize /out/helm /usr/local/bin/
# prlimit gives each renderer (kustomize, helm) a hard address-space limit.
COPY --from=build /usr/bin/prlimit /usr/bin/prlimit
COPY --from=build /usr/lib/*-linux-gnu/libsmartcols.so.1 /usr/lib/
USER 65532:65532
ENV NODE_ENV=production
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli/main.js"]
CMD ["help"]
