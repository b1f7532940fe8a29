#!/usr/bin/env bash
# Pack a root filesystem directory as a one-layer OCI image and write it as a docker-archive tar
# (what `ctr images import` and `docker load` read). No Docker, no registry: umoci + skopeo.
#   usage: oci.sh ROOTFS NAME:TAG OUT.tar [umoci config flags…]   (ROOTFS is consumed)
set -euo pipefail
rootfs=$1 ref=$2 out=$3; shift 3
work=$(mktemp -d "${TMPDIR:-/tmp}/driftgate-oci-XXXXXX")
trap 'rm -rf "$work"' EXIT
umoci init --layout "$work/oci"
umoci new --image "$work/oci:img"
umoci unpack --image "$work/oci:img" "$work/bundle" >/dev/null
rm -rf "$work/bundle/rootfs"
mv "$rootfs" "$work/bundle/rootfs"
umoci repack --image "$work/oci:img" "$work/bundle"
umoci config --image "$work/oci:img" --author=driftgate --os=linux --architecture=amd64 "$@"
rm -f "$out"
skopeo copy --quiet "oci:$work/oci:img" "docker-archive:$out:$ref"
