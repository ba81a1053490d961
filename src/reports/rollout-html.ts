/**
 * The rollout report as one self-contained HTML page: inline styles, no scripts, no fonts or
 * images to fetch, so it can be mailed or attached and opened offline. Every value is escaped
 * (names and messages come from the cluster), and a Content-Security-Policy that allows no
 * script and no request is a second line of defence should an escape ever be missed.
 */
import { docsUrl } from '../report/links.js';
import { count } from '../report/view.js';
import { xmlAttr, xmlText } from '../report/xml.js';
import { blockedText, type RolloutOwner, type RolloutReport, type RolloutRule } from './rollout.js';

/** Element text: `& < >` as entities, characters XML cannot carry as U+FFFD (newlines kept, for <pre>). */
const h = (text: string): string => xmlText(text);
/** Attribute values: quotes and whitespace as references too. */
const a = (text: string): string => xmlAttr(text);

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1f2328}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:.6rem;overflow-x:auto}
.sev{font-weight:600;text-transform:uppercase;font-size:.8em}.critical{color:#8250df}.high{color:#cf222e}.medium{color:#9a6700}.low{color:#0969da}.info{color:#57606a}
.muted{color:#57606a}.verdict{font-size:1.1rem}
`.trim();

function ownerCell(owner: RolloutOwner): string {
  const objects = owner.objects !== undefined && owner.objects > 1 ? ` <span class="muted">(${h(count(owner.objects, 'object'))})</span>` : '';
  return `${h(owner.kind)} <code>${h(owner.name)}</code>${objects}`;
}

function detailCell(owner: RolloutOwner): string {
  return owner.findings
    .map((f) => {
      const error = f.result === 'error' ? '<strong>rule error:</strong> ' : '';
      const where = f.paths ? ` <span class="muted">at <code>${h(f.paths)}</code></span>` : '';
      return `<div>${error}${h(f.message)}${where}</div>`;
    })
    .join('');
}

function ruleSection(rule: RolloutRule, teamLabel: string | undefined): string {
  const docs = docsUrl(rule.docs);
  const title = docs ? `<a href="${a(docs)}">${h(rule.title)}</a>` : h(rule.title);
  const facts = [blockedText(rule)];
  if (rule.excepted > 0) facts.push(`${rule.excepted} excepted`);
  if (rule.alreadyEnforced > 0) facts.push(`${rule.alreadyEnforced} already in enforce`);
  const mode = rule.configuredMode === 'enforce' ? 'enforce, relaxed by namespaces' : rule.configuredMode;
  const rows: string[] = [];
  for (const group of rule.namespaces) {
    group.owners.forEach((owner, i) => {
      const ns =
        i > 0 ? '' : group.namespace !== undefined ? `<code>${h(group.namespace)}</code>` : '<em>cluster-scoped</em>';
      const team = teamLabel ? `<td>${owner.team !== undefined ? h(owner.team) : '—'}</td>` : '';
      rows.push(`<tr><td>${ns}</td><td>${ownerCell(owner)}</td>${team}<td>${h(owner.mode)}</td><td>${detailCell(owner)}</td></tr>`);
    });
  }
  return [
    `<section id="rule-${a(rule.id)}">`,
    `<h3><code>${h(rule.id)}</code> — ${title}</h3>`,
    `<p><span class="sev ${a(rule.severity)}">${h(rule.severity)}</span> · ${h(rule.category)} · mode today: ${h(mode)} · ${h(facts.join(' · '))}</p>`,
    ...(rule.remediation.trim() !== '' ? [`<p><strong>Fix:</strong> ${h(rule.remediation)}</p>`] : []),
    '<table>',
    `<thead><tr><th>Namespace</th><th>Owner</th>${teamLabel ? `<th>Team (${h(teamLabel)})</th>` : ''}<th>Mode</th><th>What is wrong</th></tr></thead>`,
    `<tbody>${rows.join('\n')}</tbody>`,
    '</table>',
    '</section>',
  ].join('\n');
}

export function renderRolloutHtml(report: RolloutReport): string {
  const { summary } = report;
  const body: string[] = [
    '<h1>Palisade rollout report</h1>',
    `<p class="verdict">${
      summary.rules > 0
        ? `<strong>Enforcing today would block ${h(count(summary.workloads, 'workload'))} (${h(count(summary.rules, 'rule'))}, ${h(count(summary.pendingNamespaces, 'namespace'))}).</strong>`
        : 'Enforcing today would block nothing.'
    }</p>`,
    `<p>${h(count(summary.safeRules, 'rule'))} safe to enforce now · ${h(count(summary.cleanNamespaces, 'namespace'))} ready for enforce</p>`,
  ];

  if (report.safeRules.length > 0) {
    body.push(
      '<h2>Safe to enforce now</h2>',
      '<p>These rules are in audit or dry-run and no workload in the cluster fails them. Merge this into the configuration file (<code>palisade.yaml</code>) to enforce them:</p>',
      `<pre><code>${h(report.configSnippet)}</code></pre>`,
      '<table><thead><tr><th>Rule</th><th>Severity</th><th>Mode today</th><th>Excepted</th></tr></thead><tbody>',
      ...report.safeRules.map(
        (r) =>
          `<tr><td><code>${h(r.id)}</code> ${h(r.title)}</td><td><span class="sev ${a(r.severity)}">${h(r.severity)}</span></td><td>${h(r.configuredMode)}</td><td>${r.excepted}</td></tr>`,
      ),
      '</tbody></table>',
    );
  }

  if (report.namespaces.clean.length > 0) {
    body.push(
      '<h2>Namespaces ready for enforce</h2>',
      '<p>No rule would block any workload in these namespaces. Enforce every rule in them:</p>',
      `<pre><code>${h(report.namespaces.clean.map((n) => n.command).join('\n'))}</code></pre>`,
    );
  }

  if (report.rules.length > 0) {
    body.push('<h2>Would be blocked</h2>', ...report.rules.map((rule) => ruleSection(rule, report.teamLabel)));
    body.push(
      '<h2>Namespaces not ready yet</h2>',
      '<table><thead><tr><th>Namespace</th><th>Workloads</th><th>Rules</th></tr></thead><tbody>',
      ...report.namespaces.pending.map(
        (p) => `<tr><td><code>${h(p.namespace)}</code></td><td>${p.workloads}</td><td>${p.rules.map((id) => `<code>${h(id)}</code>`).join(', ')}</td></tr>`,
      ),
      '</tbody></table>',
    );
  }

  const notes: string[] = [];
  if (report.namespaces.enforcing.length > 0) {
    notes.push(`Already enforcing: ${report.namespaces.enforcing.map((n) => `<code>${h(n)}</code>`).join(', ')}.`);
  }
  for (const rule of report.notJudged) notes.push(`<code>${h(rule.id)}</code> is not judged here: ${h(rule.reason)}.`);
  if (report.unknownRules.length > 0) {
    notes.push(`Reports name rules that are not loaded (stale results, left out): ${report.unknownRules.map((id) => `<code>${h(id)}</code>`).join(', ')}.`);
  }
  if (notes.length > 0) body.push('<h2>Notes</h2>', `<ul>${notes.map((n) => `<li>${n}</li>`).join('\n')}</ul>`);
  body.push(`<p class="muted"><small>palisade rollout report · generated ${h(report.generatedAt)}</small></p>`);

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Palisade rollout report</title>',
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
