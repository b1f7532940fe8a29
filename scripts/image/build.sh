#!/usr/bin/env bash
# Build driftgate's image on a machine without Docker or a registry, from the same definition
# `docker build` uses: the root filesystem from rootfs.sh (compiled app, production dependencies,
# the pinned Node.js, opa, kustomize, helm), the config (user, workdir, env, entrypoint, cmd) read
# from the Dockerfile's final stage. Writes a docker-archive tar for `ctr images import`.
#   usage: build.sh OUT.tar [NAME:TAG]   (default driftgate.local/driftgate:dev)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../tools/versions.env
source "$here/tools/versions.env"
cache=${DRIFTGATE_TOOLS_DIR:-$HOME/.cache/driftgate/tools}
out=$(realpath -m "$1") ref=${2:-driftgate.local/driftgate:dev}
bash "$here/scripts/tools.sh" node >/dev/null
node="$cache/node-$NODE_VERSION/bin/node"
work=$(mktemp -d "${TMPDIR:-/tmp}/driftgate-image-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/app" "$work/tools"

# The app, compiled fresh (nothing stale from dist/) with production dependencies only.
(cd "$here" && node_modules/.bin/tsc -p tsconfig.build.json --outDir "$work/app/dist")
cp "$here/package.json" "$here/package-lock.json" "$work/app/"
cp -a "$here/policies" "$work/app/"
(cd "$work/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline \
  --loglevel=error >/dev/null)
for t in opa:OPA_VERSION kustomize:KUSTOMIZE_VERSION helm:HELM_VERSION; do
  name=${t%%:*} key=${t#*:}
  version=${!key}
  cp "$cache/$name-$version/bin/$name" "$work/tools/"
done
cp "$cache/opa-$OPA_VERSION/bin/opa-builtins.wasm" "$work/tools/"
bash "$here/scripts/image/rootfs.sh" "$work/rootfs" "$work/app" "$node" "$work/tools"

# The config: the Dockerfile's final stage (after its last FROM), as umoci flags.
mapfile -t config < <("$node" "$here/scripts/image/dockerfile-config.mjs" "$here/Dockerfile")
bash "$here/scripts/image/oci.sh" "$work/rootfs" "$ref" "$out" "${config[@]}"
echo "$out ($ref, $(du -h "$out" | cut -f1))"
