/**
 * Every default of the server's configuration in one object (pino's way): a config file only says
 * what differs. Maps are merged field by field with what the file says; a list in the file replaces
 * the default list. Returns a fresh object each call, so callers may change it freely.
 */
import { defaultPolicyConfig } from '../policy/defaults.js';
import type { PalisadeConfig } from './types.js';

/**
 * Namespaces of the control plane itself, never evaluated at admission unless the file says
 * otherwise. The webhook's own namespace is added by the server (from a flag), not here.
 */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

/** Cluster administrators: the only ones who may set `palisade.dev/*` namespace labels by default. */
export const DEFAULT_MODE_LABEL_GROUPS: readonly string[] = ['system:masters'];

export const DEFAULT_MAX_EXCEPTION_LIFETIME_DAYS = 90;

export function defaultConfig(): PalisadeConfig {
  return {
    policy: defaultPolicyConfig({ excludedNamespaces: [...SYSTEM_NAMESPACES] }),
    admission: {
      allowExistingViolations: true,
      exemptUsernames: [],
      exemptRuntimeClasses: [],
      breakGlass: { usernames: [], groups: [] },
      modeLabelSetters: { usernames: [], groups: [...DEFAULT_MODE_LABEL_GROUPS] },
      // Mutation is opt-in: no rule mutates anything until the file names rules and namespaces.
      mutation: { rules: [], namespaces: [] },
      mutatePodsOnly: true,
    },
    cluster: {
      exceptionNamespaces: [],
      maxExceptionLifetimeDays: DEFAULT_MAX_EXCEPTION_LIFETIME_DAYS,
    },
  };
}
