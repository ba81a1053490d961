/**
 * `palisade uninstall`: deletes Palisade's webhook configurations, so nothing is left that makes the
 * API server call a webhook that is going away. The Helm chart runs it as a pre-delete hook: Helm
 * deletes the Service and the Deployments before kinds it does not know (webhook configurations
 * among them), and between the two every request an enforced rule covers would be refused.
 * Idempotent: a configuration already gone is not an error.
 */
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIGURATION_NAME } from '../webhook/render.js';
import { CliError, EXIT_OK, type CliIO } from './cli-error.js';
import { kubeConfigOrFail } from './kubeconfig-option.js';

export const UNINSTALL_USAGE = `Usage: palisade uninstall [options]

Deletes the ValidatingWebhookConfiguration and MutatingWebhookConfiguration named NAME, before the
webhook itself goes (the Helm chart runs this as its pre-delete hook). A configuration that is
already gone is fine.

Options:
  --name NAME           name of the webhook configurations (default ${DEFAULT_CONFIGURATION_NAME})
  --kubeconfig FILE     the cluster (default: in a Pod its service account, else ~/.kube/config)
  --context NAME        kubeconfig context
`;

const KINDS = ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'] as const;

export async function uninstallCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: 'string', default: DEFAULT_CONFIGURATION_NAME },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
    },
  });
  const name = values.name ?? DEFAULT_CONFIGURATION_NAME;
  const client = KubernetesObjectApi.makeApiClient(kubeConfigOrFail(values));
  for (const kind of KINDS) {
    try {
      await client.delete({ apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata: { name } });
      io.stdout(`deleted ${kind} ${name}\n`);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 404) {
        io.stdout(`${kind} ${name}: already gone\n`);
        continue;
      }
      throw new CliError(`cannot delete ${kind} ${name}: ${(error as Error).message}`);
    }
  }
  return EXIT_OK;
}
