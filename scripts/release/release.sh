#!/usr/bin/env bash
# npm run release -- [--registry HOST[:PORT]] [--ca-file CA.pem] [--key cosign.key] [--out DIR]
#
# Builds the release of the version in package.json: the npm tarball, the image (docker-archive)
# and the chart, a CycloneDX SBOM, SHA256SUMS over them and a cosign signature of SHA256SUMS,
# into DIR (default release/<version>). With --registry, pushes the image there first and
# packages the chart naming it by digest (image.repository, image.digest), so the signed chart
# pins the image; pushes the chart (OCI), signs both by digest and attaches the SBOM to the
# image as a signed attestation.
# The signing key is a cosign key pair (default ~/.config/driftgate/release/cosign.key, made
# on first use; its password in COSIGN_PASSWORD, empty by default). Prints release.json.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../tools/versions.env
source "$here/tools/versions.env"
cache=${DRIFTGATE_TOOLS_DIR:-$HOME/.cache/driftgate/tools}

registry='' ca='' out='' key=${DRIFTGATE_SIGNING_KEY:-$HOME/.config/driftgate/release/cosign.key}
while [ $# -gt 0 ]; do
  case $1 in
    --registry) registry=$2; shift 2 ;;
    --ca-file) ca=$(realpath "$2"); shift 2 ;;
    --key) key=$(realpath -m "$2"); shift 2 ;;
    --out) out=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "release: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
log() { printf '[release] %s\n' "$*" >&2; }

cd "$here"
version=$(node -p 'require("./package.json").version')
app=$(sed -n "s/^appVersion: *'\{0,1\}\([^']*\)'\{0,1\}$/\1/p" charts/driftgate/Chart.yaml)
chartv=$(sed -n 's/^version: *//p' charts/driftgate/Chart.yaml)
# One version: the package, the image and the chart's appVersion and version.
if [ "$app" != "$version" ] || [ "$chartv" != "$version" ]; then
  echo "release: package.json is $version but Chart.yaml has version $chartv, appVersion $app" >&2
  exit 2
fi
out=${out:-$here/release/$version}
rm -rf "$out" && mkdir -p "$out"
bash scripts/tools.sh >/dev/null
cosign="$cache/cosign-$COSIGN_VERSION/bin/cosign"
helm="$cache/helm-$HELM_VERSION/bin/helm"
export COSIGN_PASSWORD=${COSIGN_PASSWORD:-}
if [ ! -f "$key" ]; then
  log "no signing key at $key: making a cosign key pair there"
  mkdir -p "$(dirname "$key")"
  (cd "$(dirname "$key")" && "$cosign" generate-key-pair \
    --output-key-prefix "$(basename "$key" .key)" >/dev/null)
fi
pub=${key%.key}.pub

log "npm package"
npm pack --silent --pack-destination "$out" >/dev/null
log "image"
bash scripts/image/build.sh "$out/driftgate-image-$version.tar" "driftgate:$version" >/dev/null
log "SBOM (CycloneDX)"
npm sbom --sbom-format cyclonedx --omit dev --package-lock-only >"$out/npm.cdx.json"
node scripts/release/sbom.mjs "$out/npm.cdx.json" tools/versions.env package.json >"$out/driftgate-$version.cdx.json"
rm "$out/npm.cdx.json"

chart=$(mktemp -d) && trap 'rm -rf "$chart"' EXIT
cp -rL charts/driftgate "$chart/driftgate"
image_ref='' chart_ref=''
if [ -n "$registry" ]; then
  # The registry's CA for every client: skopeo (a cert dir), helm (--ca-file), cosign (Go: SSL_CERT_FILE).
  certdir="$chart/certs" && mkdir -p "$certdir"
  tls=(--dest-tls-verify=true)
  helm_tls=()
  if [ -n "$ca" ]; then
    cp "$ca" "$certdir/ca.crt"; tls+=(--dest-cert-dir "$certdir"); helm_tls=(--ca-file "$ca")
    export SSL_CERT_FILE=$ca
  fi
  log "pushing the image to $registry/driftgate:$version"
  skopeo copy -q "${tls[@]}" --digestfile "$chart/image.digest" \
    "docker-archive:$out/driftgate-image-$version.tar" "docker://$registry/driftgate:$version"
  digest=$(cat "$chart/image.digest")
  image_ref="$registry/driftgate@$digest"
  # The chart names the image it was released with, by digest.
  sed -i -e "s|^  repository: .*|  repository: $registry/driftgate|" \
    -e "s|^  digest: ''|  digest: '$digest'|" "$chart/driftgate/values.yaml"
  grep -q "^  digest: '$digest'" "$chart/driftgate/values.yaml" || { echo "release: values.yaml has no image.digest line" >&2; exit 1; }
fi
log "chart"
"$helm" package "$chart/driftgate" --destination "$chart" >/dev/null
mv "$chart/driftgate-$version.tgz" "$out/driftgate-chart-$version.tgz"
(cd "$out" && sha256sum -- *.tgz *.tar *.cdx.json >SHA256SUMS)
log "signing SHA256SUMS"
"$cosign" sign-blob --yes --key "$key" --tlog-upload=false \
  --output-signature "$out/SHA256SUMS.sig" "$out/SHA256SUMS" >/dev/null 2>&1
cp "$pub" "$out/cosign.pub"

if [ -n "$registry" ]; then
  log "pushing the chart to oci://$registry/charts"
  pushed=$("$helm" push "$out/driftgate-chart-$version.tgz" "oci://$registry/charts" "${helm_tls[@]}" 2>&1)
  chart_ref="$registry/charts/driftgate@$(sed -n 's/^Digest: *//p' <<<"$pushed")"
  [ "$chart_ref" != "$registry/charts/driftgate@" ] || { echo "$pushed" >&2; exit 1; }
  log "signing $image_ref and $chart_ref"
  for ref in "$image_ref" "$chart_ref"; do
    "$cosign" sign --yes --key "$key" --tlog-upload=false "$ref" >/dev/null 2>&1
  done
  "$cosign" attest --yes --key "$key" --tlog-upload=false --type cyclonedx \
    --predicate "$out/driftgate-$version.cdx.json" "$image_ref" >/dev/null 2>&1
fi

node -e '
const [version, dir, image, chart] = process.argv.slice(1);
const fs = require("node:fs");
const files = Object.fromEntries(fs.readFileSync(dir + "/SHA256SUMS", "utf8").trim().split("\n")
  .map((l) => l.split(/\s+\*?/)).map(([h, f]) => [f, h]));
console.log(JSON.stringify({ version, files, image: image || null, chart: chart || null }, null, 2));
' "$version" "$out" "$image_ref" "$chart_ref" | tee "$out/release.json"
