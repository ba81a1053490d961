/** All policy defaults in one place, normalised once (pino's way). */
import type { PolicyConfig } from './types.js';

export function defaultPolicyConfig(overrides: Partial<PolicyConfig> = {}): PolicyConfig {
  return {
    defaultMode: 'audit',
    rules: {},
    namespaceModes: {},
    excludedNamespaces: [],
    disabledCategories: [],
    onError: 'deny',
    exceptions: [],
    ...overrides,
  };
}
