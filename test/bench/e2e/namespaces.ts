/**
 * Every measured run gets a namespace of its own, made before the setup is switched on and
 * deleted (and waited for, Pods included) after it is switched off, so the Pods of one run never
 * weigh on the next and the store does not grow from one setup to the next.
 */
import type { KubeApi } from './kube-api.js';
import { SERVICE_ACCOUNT } from './pods.js';
import { until } from './poll.js';

export async function createNamespace(api: KubeApi, name: string): Promise<void> {
  await api.json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'palisade.dev/bench': 'run' } } });
  await api.json('POST', `/api/v1/namespaces/${name}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SERVICE_ACCOUNT }, automountServiceAccountToken: false });
}

/** Deletes the namespace and waits until it is gone: the namespace controller has deleted its Pods. */
export async function deleteNamespace(api: KubeApi, name: string, signal?: AbortSignal): Promise<number> {
  const started = Date.now();
  await api.json('DELETE', `/api/v1/namespaces/${name}`, undefined, [200, 202, 404]);
  await until(async () => (await api.send('GET', `/api/v1/namespaces/${name}`)).status === 404, `namespace ${name} to be deleted`, {
    timeoutMs: 600_000,
    intervalMs: 500,
    ...(signal ? { signal } : {}),
  });
  return Date.now() - started;
}
