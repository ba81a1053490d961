/**
 * The denial message kubectl prints after "admission webhook ... denied the request:". It names
 * every failing rule id with its specific detail and the remediation, one rule per line in a stable
 * order (Pod Security Admission's "reason (detail)" shape), and stays within a size users can read
 * and the API server stores comfortably.
 */
import type { DecidedFinding } from '../policy/types.js';
import { oneLine } from './warnings.js';

/** Longest message Palisade writes; kubectl shows it whole, and events and audit logs keep it. */
export const MESSAGE_BUDGET = 4096;
const LINE_MAX = 600;

export interface DeniedSubject {
  kind: string;
  name: string;
}

export function denialMessage(subject: DeniedSubject, denied: readonly DecidedFinding[], budget = MESSAGE_BUDGET): string {
  const byRule = new Map<string, DecidedFinding[]>();
  for (const finding of denied) byRule.set(finding.ruleId, [...(byRule.get(finding.ruleId) ?? []), finding]);
  const what = subject.name ? `${subject.kind} "${subject.name}"` : subject.kind || 'object';
  const head = `Palisade: ${what} violates ${byRule.size} enforced rule${byRule.size === 1 ? '' : 's'}:`;
  const lines: string[] = [];
  for (const [ruleId, findings] of byRule) {
    const details = findings.map((f) => (f.result === 'error' ? `could not be evaluated: ${f.message}` : f.message)).join('; ');
    const first = findings[0] as DecidedFinding;
    const fix = first.result === 'error' ? 'fix the rule, or set its onError' : first.remediation;
    lines.push(oneLine(`- ${ruleId}: ${details}. Fix: ${fix}`, LINE_MAX));
  }
  let message = head;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (message.length + line.length + 60 > budget) {
      message += `\n+${lines.length - i} more rule${lines.length - i === 1 ? '' : 's'} (see the audit annotations)`;
      break;
    }
    message += `\n${line}`;
  }
  return message;
}
