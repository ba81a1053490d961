/**
 * Which admission path the API server takes right now, seen from outside: a server-side dry run
 * of a Pod that fails the Restricted profile (pods.ts). Palisade denies it through its enforce
 * registration; the null webhook allows it with a warning (null-webhook.mjs answers dry runs so);
 * with no webhook it is allowed without one. Switching setups waits on this, so a run starts only
 * once the API server's admission chain has the new configuration.
 */
import { statusMessage, type KubeApi } from './kube-api.js';
import { probePod } from './pods.js';
import { until } from './poll.js';

export type AdmissionPath = 'none' | 'null' | 'palisade';

/** Must match null-webhook.mjs. */
const NULL_WARNING = 'palisade-bench: null webhook';
const PALISADE_DENIAL = /admission webhook "enforce\.validate\.palisade\.dev" denied the request/;

export async function admissionPath(api: KubeApi, namespace: string): Promise<AdmissionPath | string> {
  const res = await api.send('POST', `/api/v1/namespaces/${namespace}/pods?dryRun=All`, probePod());
  if (res.status === 201) {
    const warnings = [res.headers['warning'] ?? []].flat().join('\n');
    return warnings.includes(NULL_WARNING) ? 'null' : 'none';
  }
  const message = statusMessage(res.body);
  return PALISADE_DENIAL.test(message) ? 'palisade' : `HTTP ${res.status}: ${message}`;
}

export async function untilPath(api: KubeApi, namespace: string, expected: AdmissionPath, signal?: AbortSignal): Promise<void> {
  let last = '';
  try {
    await until(async () => (last = await admissionPath(api, namespace)) === expected, `admission path "${expected}"`, {
      timeoutMs: 60_000,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}; the probe last saw: ${last}`);
  }
}
