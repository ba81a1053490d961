/**
 * Palisade registers two validating webhooks (see webhook-config): rules whose configured mode is
 * enforce are served by one with failurePolicy Fail, all other rules by one with Ignore, so an
 * outage never blocks what is not enforced. Each registration answers for its own rules only, so a
 * request seen by both gets each warning once. `all` serves every rule (a single registration, or
 * standalone use).
 */
import type { Finding } from '../engine/types.js';
import type { PolicyConfig } from '../policy/types.js';
import type { Mode } from '../rules/types.js';

export const REGISTRATIONS = ['all', 'enforce', 'audit'] as const;
export type Registration = (typeof REGISTRATIONS)[number];

/** The mode a rule has before any namespace label: config pin → the rule's own → global default. */
export function configuredMode(ruleId: string, ruleMode: Mode | undefined, config: PolicyConfig): Mode {
  return config.rules[ruleId]?.mode ?? ruleMode ?? config.defaultMode;
}

export function servedBy(registration: Registration, finding: Pick<Finding, 'ruleId' | 'ruleMode'>, config: PolicyConfig): boolean {
  if (registration === 'all') return true;
  const enforced = configuredMode(finding.ruleId, finding.ruleMode, config) === 'enforce';
  return registration === 'enforce' ? enforced : !enforced;
}
