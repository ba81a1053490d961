/**
 * Installs the OpenReports CRDs (crds/openreports/) only where the cluster has none. Policy
 * engines and Policy Reporter ship the same CRDs, and whoever installed them owns them: a CRD of
 * the same name is never updated, replaced or patched, whatever its content. Each CRD, found or
 * created, is then waited for until it is Established, so reports can be written at once.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiextensionsV1Api, loadYaml, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { PACKAGE_ROOT } from '../paths.js';
import { kubeRequestError, OPENREPORTS_VERSION } from './report-store.js';
import { sleep as realSleep } from './token-bucket.js';

export const REPORT_CRDS_DIR = join(PACKAGE_ROOT, 'crds', 'openreports');

export interface CrdOutcome {
  name: string;
  /** `created` by this call; `present`: one of that name was there (or appeared meanwhile) and was left alone. */
  action: 'created' | 'present';
  /** Whether the CRD serves openreports.io/v1alpha1, the version Palisade writes. */
  servesVersion: boolean;
}

export interface EnsureCrdsOptions {
  /** Folder of CRD manifests. Default crds/openreports/ of the package. */
  dir?: string;
  /** How long to wait for Established, in all. Default 60 s. */
  timeoutMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * The manifests, decoded into client-node's model classes (loadYaml): the client serialises a
 * request body from its model's properties, so a plain object would lose every key the model
 * spells differently, such as `x-kubernetes-map-type`.
 */
async function readCrds(dir: string): Promise<V1CustomResourceDefinition[]> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const crds: V1CustomResourceDefinition[] = [];
  for (const file of files) {
    const crd = loadYaml<V1CustomResourceDefinition>(await readFile(join(dir, file), 'utf8'));
    if (crd.kind !== 'CustomResourceDefinition' || !crd.metadata?.name) throw new Error(`${join(dir, file)}: not a CustomResourceDefinition with a name`);
    crds.push(crd);
  }
  if (crds.length === 0) throw new Error(`${dir}: no CRD manifests`);
  return crds;
}

function isEstablished(crd: V1CustomResourceDefinition): boolean {
  return (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
}

function servesVersion(crd: V1CustomResourceDefinition): boolean {
  return (crd.spec?.versions ?? []).some((v) => v.name === OPENREPORTS_VERSION && v.served);
}

/**
 * Creates each CRD of the folder that the cluster does not have, leaves alone the ones it has, and
 * waits until all are Established. Returns what it did, per CRD; throws when the API server refuses
 * (RBAC, a CRD that is not valid) or a CRD is not Established in time.
 */
export async function ensureReportCrds(kc: KubeConfig, log: Logger, options: EnsureCrdsOptions = {}): Promise<CrdOutcome[]> {
  const logger = log.child({ component: 'report-crds' });
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const wait = options.sleep ?? realSleep;
  const { signal } = options;
  const read = async (name: string): Promise<V1CustomResourceDefinition | undefined> => {
    try {
      return await api.readCustomResourceDefinition({ name });
    } catch (error) {
      const failure = kubeRequestError(error, `read CustomResourceDefinition ${name}`);
      if (failure.status === 404) return undefined;
      throw failure;
    }
  };

  const outcomes: CrdOutcome[] = [];
  for (const crd of await readCrds(options.dir ?? REPORT_CRDS_DIR)) {
    signal?.throwIfAborted();
    const name = crd.metadata?.name ?? '';
    const existing = await read(name);
    if (existing) {
      outcomes.push({ name, action: 'present', servesVersion: servesVersion(existing) });
      continue;
    }
    try {
      await api.createCustomResourceDefinition({ body: crd });
      outcomes.push({ name, action: 'created', servesVersion: servesVersion(crd) });
    } catch (error) {
      const failure = kubeRequestError(error, `create CustomResourceDefinition ${name}`);
      // Another installer got there between the read and the create: theirs stays.
      if (failure.status !== 409) throw failure;
      const raced = await read(name);
      outcomes.push({ name, action: 'present', servesVersion: raced ? servesVersion(raced) : false });
    }
  }

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const pending = new Set(outcomes.map((o) => o.name));
  for (;;) {
    for (const name of [...pending]) {
      const crd = await read(name);
      if (crd && isEstablished(crd)) pending.delete(name);
    }
    if (pending.size === 0) break;
    if (Date.now() >= deadline) throw new Error(`CustomResourceDefinitions not Established in time: ${[...pending].join(', ')}`);
    await wait(options.pollMs ?? 250, signal);
  }

  for (const outcome of outcomes) {
    if (outcome.action === 'created') logger.info({ crd: outcome.name }, 'installed the CRD');
    else logger.info({ crd: outcome.name }, 'the CRD is already installed: left as it is');
    if (!outcome.servesVersion) logger.warn({ crd: outcome.name, version: OPENREPORTS_VERSION }, 'the installed CRD does not serve the version Palisade writes: reports cannot be stored');
  }
  return outcomes;
}
