/**
 * Admission warnings within the API server's limits: 4,096 characters in total per request, shared
 * with every other webhook and Pod Security Admission; past that each warning is cut to 256
 * characters, and a warning containing a newline or tab is dropped. Palisade takes at most half of
 * the shared budget, writes one short line per rule, and ends with "+N more" when it stops early.
 */
import type { DecidedFinding } from '../policy/types.js';
import { escapeUnsafe } from '../text/escape-unsafe.js';

export const WARNING_MAX_LENGTH = 256;
/** Half of the API server's 4,096 characters, so other webhooks still have room. */
export const WARNINGS_BUDGET = 2048;

/** One line, no tabs or newlines, other control characters escaped, at most `max` characters. */
export function oneLine(text: string, max: number): string {
  const flat = escapeUnsafe(text.replace(/\s+/g, ' ').trim());
  if (flat.length <= max) return flat;
  // Cut before an escape (`\u{1b}`) or a surrogate pair the limit would split: half of either
  // reads as something else.
  let cut = max - 1;
  const escape = flat.lastIndexOf('\\u{', cut - 1);
  if (escape >= 0 && flat.indexOf('}', escape) >= cut) cut = escape;
  const last = flat.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${flat.slice(0, cut)}…`;
}

/** `rule-id: detail` for each rule (a rule's several findings share one line). */
export function warningLines(findings: readonly DecidedFinding[]): string[] {
  const byRule = new Map<string, string[]>();
  for (const finding of findings) {
    const list = byRule.get(finding.ruleId) ?? [];
    list.push(finding.result === 'error' ? `evaluation error: ${finding.message}` : finding.message);
    byRule.set(finding.ruleId, list);
  }
  return [...byRule].map(([ruleId, details]) => oneLine(`${ruleId}: ${details.join('; ')}`, WARNING_MAX_LENGTH));
}

/** Fits lines (and extra lines already decided, e.g. a break-glass notice) into the budget. */
export function fitWarnings(lines: readonly string[], budget = WARNINGS_BUDGET): string[] {
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const remaining = lines.length - i - 1;
    // Keep room for the "+N more" line whenever something may still be cut.
    const reserve = remaining > 0 ? 40 : 0;
    if (used + line.length + reserve > budget) {
      out.push(`+${lines.length - i} more Palisade warning${lines.length - i === 1 ? '' : 's'} (see the audit annotations)`);
      return out;
    }
    out.push(line);
    used += line.length;
  }
  return out;
}
