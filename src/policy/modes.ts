/**
 * Effective mode of a finding, most specific first (DESIGN.md): namespace label or namespace mode
 * → per-rule config → the rule's own mode → the global default. A namespace may only tighten a
 * rule the config pins, so a tenant who can label their namespace cannot switch a pinned rule off.
 */
import type { Finding } from '../engine/types.js';
import { MODES, type Mode, type OnError } from '../rules/types.js';
import type { DecidedFinding, PolicyConfig, Subject } from './types.js';

export const MODE_LABEL = 'palisade.dev/mode';

export function parseMode(value: unknown): Mode | undefined {
  return typeof value === 'string' && (MODES as readonly string[]).includes(value) ? (value as Mode) : undefined;
}

/** enforce > audit > dry-run */
export function stricter(a: Mode, b: Mode): Mode {
  return MODES.indexOf(a) <= MODES.indexOf(b) ? a : b;
}

export function effectiveMode(
  finding: Finding,
  subject: Subject,
  config: PolicyConfig,
): { mode: Mode; modeSource: DecidedFinding['modeSource'] } {
  const pinned = config.rules[finding.ruleId]?.mode;
  const namespaceMode =
    parseMode(subject.namespaceLabels?.[MODE_LABEL]) ??
    (subject.namespace !== undefined ? config.namespaceModes[subject.namespace] : undefined);
  if (namespaceMode) {
    if (!pinned) return { mode: namespaceMode, modeSource: 'namespace' };
    const mode = stricter(namespaceMode, pinned);
    return { mode, modeSource: mode === pinned ? 'config' : 'namespace' };
  }
  if (pinned) return { mode: pinned, modeSource: 'config' };
  if (finding.ruleMode) return { mode: finding.ruleMode, modeSource: 'rule' };
  return { mode: config.defaultMode, modeSource: 'default' };
}

export function effectiveOnError(finding: Finding, config: PolicyConfig): OnError {
  return config.rules[finding.ruleId]?.onError ?? finding.onError ?? config.onError;
}
