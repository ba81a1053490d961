/** `--kubeconfig` / `--context` for the commands that talk to a cluster: the config, or a clear error. */
import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { CliError } from './cli-error.js';

export function kubeConfigOrFail(values: { kubeconfig?: string | undefined; context?: string | undefined }): KubeConfig {
  const { kubeconfig, context } = values;
  let kc: KubeConfig;
  try {
    kc = loadKubeConfig({ ...(kubeconfig ? { kubeconfig } : {}), ...(context ? { context } : {}) });
  } catch (error) {
    throw new CliError(`cannot load the kubeconfig: ${(error as Error).message}`);
  }
  if (!kc.getCurrentCluster()?.server) {
    throw new CliError(context ? `kubeconfig context "${context}" names no cluster` : 'no cluster: give --kubeconfig, or set a current context');
  }
  return kc;
}
