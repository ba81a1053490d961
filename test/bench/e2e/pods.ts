/**
 * What the benchmark creates. The measured Pod is the Pod of the direct webhook benchmark
 * (test/bench/fixtures/pod.json: three containers, an init container, probes, resources, 3 KB),
 * which is Restricted-compliant, as a client would submit it: without what the API server or a
 * controller sets (uid, generateName, ownerReferences: the garbage collector would delete Pods
 * owned by a missing ReplicaSet; nodeName: the Pod GC would delete Pods bound to a missing node).
 * It runs as the ServiceAccount `checkout`, which `createNamespace` makes in every namespace.
 *
 * The probe Pod is the opposite: a bare container that fails the Restricted profile, created only
 * as a server-side dry run, so Palisade denies it, the null webhook marks it, and without a
 * webhook it is allowed silently (probe.ts).
 */
import { readFileSync } from 'node:fs';

export const SERVICE_ACCOUNT = 'checkout';
const NAME = '__BENCH_POD_NAME__';

/** The bench Pod as a JSON template: `body(name)` fills in a name. */
export function benchPodTemplate(): { bytes: number; body: (name: string) => string } {
  const pod = JSON.parse(readFileSync(new URL('../fixtures/pod.json', import.meta.url), 'utf8')) as {
    metadata: Record<string, unknown>;
    spec: Record<string, unknown>;
  };
  for (const field of ['uid', 'generateName', 'ownerReferences', 'namespace']) delete pod.metadata[field];
  delete pod.spec['nodeName'];
  pod.metadata['name'] = NAME;
  pod.spec['serviceAccountName'] = SERVICE_ACCOUNT;
  const [before, after] = JSON.stringify(pod).split(NAME) as [string, string];
  return { bytes: before.length + after.length, body: (name) => `${before}${name}${after}` };
}

export function probePod(): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'palisade-bench-probe', labels: { 'palisade.dev/bench': 'probe' } },
    spec: {
      serviceAccountName: SERVICE_ACCOUNT,
      automountServiceAccountToken: false,
      containers: [{ name: 'probe', image: 'registry.k8s.io/pause:3.10' }],
    },
  });
}
