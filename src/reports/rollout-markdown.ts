/**
 * The rollout report as GitHub-flavoured Markdown (an issue, a PR to palisade.yaml, a wiki page).
 * Everything read from reports is escaped: object names, messages and label values come from the
 * cluster, where tenants choose them.
 */
import { docsUrl } from '../report/links.js';
import { cell, code, escapeMarkdown } from '../report/markdown-text.js';
import { count } from '../report/view.js';
import { blockedText, type RolloutOwner, type RolloutReport, type RolloutRule } from './rollout.js';

function row(cells: readonly string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

/** A fence longer than any backtick run inside, so the block cannot be closed early. */
function fenced(language: string, text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${text.endsWith('\n') ? text : `${text}\n`}${fence}`;
}

function modeText(rule: RolloutRule): string {
  return rule.configuredMode === 'enforce' ? 'enforce, relaxed by namespaces' : rule.configuredMode;
}

function ownerCell(owner: RolloutOwner): string {
  const objects = owner.objects !== undefined && owner.objects > 1 ? ` (${count(owner.objects, 'object')})` : '';
  return `${escapeMarkdown(owner.kind)} ${code(owner.name)}${objects}`;
}

function detailCell(owner: RolloutOwner): string {
  return owner.findings
    .map((f) => {
      const error = f.result === 'error' ? '**rule error:** ' : '';
      const where = f.paths ? ` (at ${code(f.paths)})` : '';
      return `${error}${escapeMarkdown(f.message)}${where}`;
    })
    .join('\n');
}

function ruleSection(rule: RolloutRule, teamLabel: string | undefined): string {
  const docs = docsUrl(rule.docs);
  const title = docs ? `[${escapeMarkdown(rule.title)}](${docs.replace(/[()]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)})` : escapeMarkdown(rule.title);
  const facts = [blockedText(rule)];
  if (rule.excepted > 0) facts.push(`${rule.excepted} excepted`);
  if (rule.alreadyEnforced > 0) facts.push(`${rule.alreadyEnforced} already in enforce`);
  const header = ['Namespace', 'Owner', ...(teamLabel ? ['Team'] : []), 'Mode', 'What is wrong'];
  const rows: string[] = [];
  for (const group of rule.namespaces) {
    group.owners.forEach((owner, i) => {
      const ns = i > 0 ? '' : group.namespace !== undefined ? code(group.namespace) : '_cluster-scoped_';
      rows.push(
        row([ns, ownerCell(owner), ...(teamLabel ? [owner.team !== undefined ? escapeMarkdown(owner.team) : '—'] : []), owner.mode, detailCell(owner)]),
      );
    });
  }
  return [
    `### ${code(rule.id)} — ${title}`,
    '',
    `**${escapeMarkdown(rule.severity)}** · ${escapeMarkdown(rule.category)} · mode today: ${modeText(rule)} · ${facts.join(' · ')}`,
    '',
    ...(rule.remediation.trim() !== '' ? [`**Fix:** ${escapeMarkdown(rule.remediation)}`, ''] : []),
    row(header),
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows,
  ].join('\n');
}

export function renderRolloutMarkdown(report: RolloutReport): string {
  const { summary } = report;
  const sections: string[] = [
    [
      '<!-- palisade:rollout-report -->',
      '## Palisade rollout report',
      '',
      summary.rules > 0
        ? `**Enforcing today would block ${count(summary.workloads, 'workload')} (${count(summary.rules, 'rule')}, ${count(summary.pendingNamespaces, 'namespace')}).**`
        : 'Enforcing today would block nothing.',
      '',
      `${count(summary.safeRules, 'rule')} safe to enforce now · ${count(summary.cleanNamespaces, 'namespace')} ready for enforce`,
    ].join('\n'),
  ];

  if (report.safeRules.length > 0) {
    sections.push(
      [
        '### Safe to enforce now',
        '',
        'These rules are in audit or dry-run and no workload in the cluster fails them. Merge this into the configuration file (`palisade.yaml`) to enforce them:',
        '',
        fenced('yaml', report.configSnippet),
        '',
        row(['Rule', 'Severity', 'Mode today', 'Excepted']),
        '| --- | --- | --- | ---: |',
        ...report.safeRules.map((r) => row([`${code(r.id)} ${escapeMarkdown(r.title)}`, escapeMarkdown(r.severity), r.configuredMode, String(r.excepted)])),
      ].join('\n'),
    );
  }

  if (report.namespaces.clean.length > 0) {
    sections.push(
      [
        '### Namespaces ready for enforce',
        '',
        'No rule would block any workload in these namespaces. Enforce every rule in them:',
        '',
        fenced('sh', report.namespaces.clean.map((n) => n.command).join('\n')),
      ].join('\n'),
    );
  }

  if (report.rules.length > 0) {
    sections.push('## Would be blocked', ...report.rules.map((rule) => ruleSection(rule, report.teamLabel)));
    sections.push(
      [
        '### Namespaces not ready yet',
        '',
        row(['Namespace', 'Workloads', 'Rules']),
        '| --- | ---: | --- |',
        ...report.namespaces.pending.map((p) => row([code(p.namespace), String(p.workloads), p.rules.map(code).join(', ')])),
      ].join('\n'),
    );
  }

  const notes: string[] = [];
  if (report.namespaces.enforcing.length > 0) notes.push(`Already enforcing: ${report.namespaces.enforcing.map(code).join(', ')}.`);
  for (const rule of report.notJudged) notes.push(`${code(rule.id)} is not judged here: ${escapeMarkdown(rule.reason)}.`);
  if (report.unknownRules.length > 0) {
    notes.push(`Reports name rules that are not loaded (stale results, left out): ${report.unknownRules.map(code).join(', ')}.`);
  }
  if (notes.length > 0) sections.push(['### Notes', '', ...notes.map((n) => `- ${n}`)].join('\n'));

  sections.push(`<sub>palisade rollout report · generated ${escapeMarkdown(report.generatedAt)}</sub>`);
  return `${sections.join('\n\n')}\n`;
}
