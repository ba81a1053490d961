#!/usr/bin/env bash
# Builds the Go tools the chart checks and the image tests use (helm, crane, cosign; kube-score
# when it builds) from published Go modules with `go install` (GOTOOLCHAIN=local: the machine's Go, nothing else downloaded but
# modules from the Go module proxy). Each tool lands in a version-keyed folder outside the clone,
#   ${PALISADE_TOOLS_CACHE:-$HOME/.cache/palisade-tools}/go-tools/<name>-<version>/<name>
# and only what is missing is built. The last line printed is a folder holding every pinned tool
# (symlinks, keyed by the pins so two checkouts with different pins never share it): put it on PATH.
#
# Cold build on a 2-core machine (measured with an empty go-tools folder): helm v3.22.0 145 s wall
# (0.9 GB peak RSS), kube-score v1.20.0 50 s (0.5 GB), 3 min 15 s in all with the module downloads;
# crane v0.22.1 7 s (0.2 GB), cosign v2.6.5 294 s (1.4 GB).
# A warm run only checks that the binaries exist. Every build's time is appended to
# go-tools/build-times.txt.
#
# Usage: test/tools/build-go-tools.sh [NAME...]   (default: every pinned tool)
set -euo pipefail
export GOTOOLCHAIN=local GOFLAGS=-mod=mod

# The pins, in one place: the newest versions the Go module proxy served when they were chosen
# (`go list -m -versions helm.sh/helm/v3`). Name, version, module, package.
PINS=(
  "helm v3.22.0 helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm"
  "kube-score v1.20.0 github.com/zegl/kube-score github.com/zegl/kube-score/cmd/kube-score"
  "crane v0.22.1 github.com/google/go-containerregistry github.com/google/go-containerregistry/cmd/crane"
  "cosign v2.6.5 github.com/sigstore/cosign/v2 github.com/sigstore/cosign/v2/cmd/cosign"
)
# Tools the checks cannot do without; the others are skipped with a warning when they fail to build.
REQUIRED=(helm crane cosign)

cache="${PALISADE_TOOLS_CACHE:-$HOME/.cache/palisade-tools}/go-tools"
mkdir -p "$cache"

# helm's Makefile stamps its version and the Kubernetes version `helm template` and `helm lint`
# assume without a cluster (client-go v0.X → 1.X); `go install` alone would leave "v3.22" and 1.20.
ldflags_for() { # name version module
  local name="$1" version="$2" module="$3"
  case "$name" in
    helm)
      local dir client_go minor
      dir="$(go mod download -json "$module@$version" | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>process.stdout.write(JSON.parse(s).Dir))")"
      client_go="$(awk '$1 == "k8s.io/client-go" {print $2; exit}' "$dir/go.mod")"
      minor="$(cut -d. -f2 <<<"$client_go")"
      printf '%s' "-s -w -X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
      for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
        printf ' %s' "-X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$minor"
      done
      ;;
    kube-score) printf '%s' "-s -w -X main.version=$version" ;;
    cosign) printf '%s' "-s -w -X sigs.k8s.io/release-utils/version.gitVersion=$version" ;;
    crane) printf '%s' "-s -w -X github.com/google/go-containerregistry/cmd/crane/cmd.Version=$version" ;;
    *) printf '%s' "-s -w" ;;
  esac
}

wanted=("$@")
bin="$cache/bin"
for pin in "${PINS[@]}"; do
  read -r name version _ _ <<<"$pin"
  bin="$bin-$name-$version"
done
mkdir -p "$bin"

for pin in "${PINS[@]}"; do
  read -r name version module package <<<"$pin"
  if [ ${#wanted[@]} -gt 0 ] && ! printf '%s\n' "${wanted[@]}" | grep -qx "$name"; then continue; fi
  out="$cache/$name-$version"
  if [ ! -x "$out/$name" ]; then
    echo "building $name $version (go install $package@$version)" >&2
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    if GOBIN="$out.tmp" /usr/bin/time -f "$name $version: %e s wall, %M KB peak RSS" -a -o "$cache/build-times.txt" \
        go install -trimpath -ldflags "$(ldflags_for "$name" "$version" "$module")" "$package@$version"; then
      rm -rf "$out" && mv "$out.tmp" "$out"
    else
      rm -rf "$out.tmp"
      if printf '%s\n' "${REQUIRED[@]}" | grep -qx "$name"; then echo "building $name $version failed" >&2; exit 1; fi
      echo "warning: $name $version did not build; the checks that use it are skipped" >&2
      continue
    fi
  fi
  ln -sfn "$out/$name" "$bin/$name"
done
echo "$bin"
