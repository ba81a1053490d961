#!/usr/bin/env bash
# Builds the test control plane from published Go modules, at the Kubernetes release pinned in
# standards/kubernetes-version.json: kube-apiserver, kube-controller-manager and kubectl from
# k8s.io/kubernetes (through a wrapper module, since its go.mod replaces every staging module with a
# local path), and etcd from go.etcd.io/etcd/server/v3 (a second wrapper module).
#
# Outputs are cached outside the clone, keyed by version, so CI (a fresh clone) builds only what is
# missing:   ${PALISADE_TOOLS_CACHE:-$HOME/.cache/palisade-tools}/kubernetes-<version>/
# Prints the directory holding the binaries on its last line.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod

k8s_version="$(node -e "process.stdout.write(require('$repo/standards/kubernetes-version.json').kubernetes)")"
staging_version="v0.${k8s_version#v1.}"
# Kubernetes 1.37's own etcd client is 3.7: the server matches it.
etcd_version="${ETCD_VERSION:-v3.7.3}"
cache="${PALISADE_TOOLS_CACHE:-$HOME/.cache/palisade-tools}"
out="$cache/kubernetes-$k8s_version"
mkdir -p "$out"

timed() { # name, then the command: records wall time and peak memory of each build
  local name="$1"; shift
  /usr/bin/time -f "$name: %e s wall, %M KB peak RSS" -a -o "$out/build-times.txt" "$@"
}

need=()
for bin in kube-apiserver kube-controller-manager kubectl; do
  [ -x "$out/$bin" ] || need+=("$bin")
done
if [ ${#need[@]} -gt 0 ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  gomod="$(go mod download -json "k8s.io/kubernetes@$k8s_version" | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>process.stdout.write(JSON.parse(s).GoMod))")"
  {
    echo "module palisade.test/kube-wrapper"
    echo "go 1.26"
    echo "require k8s.io/kubernetes $k8s_version"
    # Every `k8s.io/<staging> => ./staging/...` replace becomes the published module of the same minor.
    grep -E '^\s*k8s.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk -v v="$staging_version" '{print "replace " $1 " => " $1 " " v}'
  } > "$work/go.mod"
  printf 'package tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n\t_ "k8s.io/kubernetes/cmd/kubectl"\n)\n' > "$work/tools.go"
  (cd "$work" && go mod tidy >/dev/null)
  if (cd "$work" && go list -m all | grep -q ' v0.0.0$'); then
    echo "unresolved v0.0.0 modules in the wrapper:" >&2; (cd "$work" && go list -m all | grep ' v0.0.0$') >&2; exit 1
  fi
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags="$ldflags -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=${k8s_version#v1.} -X $pkg.gitTreeState=clean"
  done
  for bin in "${need[@]}"; do
    echo "building $bin $k8s_version" >&2
    (cd "$work" && timed "$bin" go build -trimpath -ldflags "$ldflags" -o "$out/$bin.tmp" "k8s.io/kubernetes/cmd/$bin")
    mv "$out/$bin.tmp" "$out/$bin"
  done
fi

if [ ! -x "$out/etcd" ]; then
  work_etcd="$(mktemp -d)"
  printf 'module palisade.test/etcd-wrapper\n\ngo 1.26\n' > "$work_etcd/go.mod"
  printf 'package tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > "$work_etcd/tools.go"
  (cd "$work_etcd" && go get "go.etcd.io/etcd/server/v3@$etcd_version" >/dev/null 2>&1 && go mod tidy >/dev/null)
  echo "building etcd $etcd_version" >&2
  (cd "$work_etcd" && timed etcd go build -trimpath -ldflags "-s -w" -o "$out/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$out/etcd.tmp" "$out/etcd"
  rm -rf "$work_etcd"
fi
echo "$out"
