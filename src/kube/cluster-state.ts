/**
 * What the webhook reads from its cluster: the Namespaces (labels decide modes and namespace
 * selectors) and Palisade's own Rule and Exception resources. Each is a watched collection; the
 * namespace cache must be synced before the webhook says it is ready.
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeObject } from '../engine/types.js';
import { WatchedCollection } from './watched-collection.js';

const GROUP = 'palisade.dev';
const VERSION = 'v1alpha1';

export interface ClusterState {
  namespaces: WatchedCollection<KubernetesObject>;
  rules: WatchedCollection<KubernetesObject>;
  exceptions: WatchedCollection<KubernetesObject>;
  namespaceObject(name: string): KubeObject | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function clusterState(kc: KubeConfig, log: Logger, onPolicySourcesChange: () => void): ClusterState {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const listCustom = (plural: string) => async (): Promise<KubernetesListObject<KubernetesObject>> =>
    (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as KubernetesListObject<KubernetesObject>;
  const namespaces = new WatchedCollection<KubernetesObject>({
    kc,
    path: '/api/v1/namespaces',
    list: async () => (await core.listNamespace()) as KubernetesListObject<KubernetesObject>,
    log: log.child({ component: 'namespaces' }),
  });
  const rules = new WatchedCollection<KubernetesObject>({ kc, path: `/apis/${GROUP}/${VERSION}/rules`, list: listCustom('rules'), log: log.child({ component: 'cluster-rules' }), onChange: onPolicySourcesChange });
  const exceptions = new WatchedCollection<KubernetesObject>({ kc, path: `/apis/${GROUP}/${VERSION}/exceptions`, list: listCustom('exceptions'), log: log.child({ component: 'cluster-exceptions' }), onChange: onPolicySourcesChange });
  return {
    namespaces,
    rules,
    exceptions,
    namespaceObject: (name) => namespaces.get(name) as KubeObject | undefined,
    start: async () => {
      await Promise.all([namespaces.start(), rules.start(), exceptions.start()]);
    },
    stop: async () => {
      await Promise.all([namespaces.stop(), rules.stop(), exceptions.stop()]);
    },
  };
}
