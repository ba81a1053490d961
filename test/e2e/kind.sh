#!/usr/bin/env bash
# End to end on a kind cluster, for machines with Docker (it cannot run where there is no Docker
# engine; the control-plane tests in test/e2e cover the same ground there). Creates a cluster,
# builds and loads the image, installs Palisade (the Helm chart when charts/palisade exists, else
# test/e2e/kind/install.yaml), then applies a bad and a good workload and checks the outcome.
# Usage: test/e2e/kind.sh   (needs kind, kubectl, docker; helm for the chart)
set -euo pipefail
cd "$(dirname "$0")/../.."

cluster=${CLUSTER:-palisade-e2e}
image=palisade:e2e
version=$(node -p 'require("./package.json").version')

kind create cluster --name "$cluster" --wait 120s
trap 'kind delete cluster --name "$cluster"' EXIT
docker build --build-arg VERSION="$version" -t "$image" .
kind load docker-image "$image" --name "$cluster"

kubectl apply -f crds/
if [ -d charts/palisade ]; then
  helm install palisade charts/palisade --namespace palisade-system --create-namespace \
    --set image.repository=palisade --set image.tag=e2e --set image.pullPolicy=Never --wait
else
  kubectl apply -f test/e2e/kind/install.yaml
  kubectl -n palisade-system rollout status deployment/palisade --timeout=180s
fi
until kubectl get validatingwebhookconfiguration palisade >/dev/null 2>&1; do sleep 2; done

kubectl create namespace team-a
kubectl label namespace team-a palisade.dev/mode=enforce

workload() { sed -e "s/\${name}/$1/g" -e "s/\${namespace}/team-a/g" "test/fixtures/e2e/$2"; }

# The webhook configuration may take a moment to reach the API server: retry the denial.
for _ in $(seq 30); do
  if ! out=$(workload bad privileged-deployment.yaml | kubectl apply --dry-run=server -f - 2>&1); then break; fi
  sleep 2
done
if out=$(workload bad privileged-deployment.yaml | kubectl apply -f - 2>&1); then
  echo "FAIL: a privileged Deployment was admitted in an enforce namespace" >&2; exit 1
fi
grep -q 'disallow-privileged' <<<"$out" || { echo "FAIL: the denial does not name the rule: $out" >&2; exit 1; }
echo "ok: privileged Deployment denied: $(head -c 300 <<<"$out")"

kubectl label namespace team-a palisade.dev/mode=audit --overwrite
out=$(workload audited privileged-deployment.yaml | kubectl apply -f - 2>&1)
grep -q 'Warning: disallow-privileged' <<<"$out" || { echo "FAIL: audit mode did not warn: $out" >&2; exit 1; }
echo "ok: audit mode admitted it with warnings"
echo "kind e2e passed"
