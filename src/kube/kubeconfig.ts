/**
 * Where Palisade finds the cluster: `--kubeconfig FILE` (and `--context`), else the in-cluster
 * service account when running in a Pod, else the user's default kubeconfig. The only module
 * besides the other kube/ files that knows @kubernetes/client-node exists.
 */
import { KubeConfig } from '@kubernetes/client-node';

export interface ClusterAccess {
  kubeconfig?: string;
  context?: string;
}

export function loadKubeConfig(access: ClusterAccess): KubeConfig {
  const kc = new KubeConfig();
  if (access.kubeconfig) kc.loadFromFile(access.kubeconfig);
  else if (process.env['KUBERNETES_SERVICE_HOST']) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (access.context) kc.setCurrentContext(access.context);
  return kc;
}
