#!/usr/bin/env bash
# Assemble driftgate's image root filesystem. The one definition of what is in the image: the
# Dockerfile runs it in its build stage (`docker build`), and scripts/image/build.sh runs it on a
# machine without Docker or a registry, then packs the same tree as an OCI image.
#   usage: rootfs.sh ROOTFS APP NODE TOOLS
#   APP   a directory with package.json, dist/, policies/ and production-only node_modules/
#   NODE  the pinned Node.js binary (tools/versions.env NODE_VERSION)
#   TOOLS a directory with static opa, kustomize and helm, and opa-builtins.wasm
set -euo pipefail
rootfs=$1 app=$2 node=$3 tools=$4
rm -rf "$rootfs"
mkdir -p "$rootfs"/{app,usr/local/bin,usr/bin,etc/ssl/certs,tmp,home/nonroot,var/cache/driftgate}
chmod 1777 "$rootfs/tmp"
cp -a "$app/package.json" "$app/dist" "$app/policies" "$app/node_modules" "$rootfs/app/"
# The Rego library is data (the chart's policyDir); the engine that reads it is compiled in dist/.
rm -rf "$rootfs/app/policies/engine"
install -m 0755 "$node" "$rootfs/usr/local/bin/node"
install -m 0755 "$tools/opa" "$tools/kustomize" "$tools/helm" "$rootfs/usr/local/bin/"
# Beside opa, where the engine looks for it (policies/engine/go-builtins.ts).
install -m 0644 "$tools/opa-builtins.wasm" "$rootfs/usr/local/bin/"
# prlimit gives each renderer (kustomize, helm) a hard address-space limit.
install -m 0755 "$(command -v prlimit)" "$rootfs/usr/bin/prlimit"
# The shared libraries node and prlimit link against, and the dynamic loader, from this host.
for bin in "$rootfs/usr/local/bin/node" "$rootfs/usr/bin/prlimit"; do
  ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
done | sort -u | while read -r lib; do cp -L --parents "$lib" "$rootfs/"; done
cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
  >"$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
chown 65532:65532 "$rootfs/home/nonroot" "$rootfs/var/cache/driftgate"
