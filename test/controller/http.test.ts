/**
 * The controller's HTTP server through app.inject(): probes, metrics with the controller's own
 * registry (compliance and findings computed at scrape time from the loop's entries), the rollout
 * report in each format and a refusal when the stored reports cannot be read.
 */
import t from 'tap';
import { pino } from 'pino';
import type { AuditEntry } from '../../src/audit/types.js';
import { buildControllerApp, type RolloutFormat } from '../../src/controller/http.js';
import { createControllerMetrics } from '../../src/controller/metrics.js';
import type { Standard } from '../../src/standards/types.js';

const standard: Standard = { id: 'pss-baseline', title: 'Pod Security Standards: Baseline', version: '1.37', controls: [{ id: 'privileged', title: 'Privileged containers' }] } as unknown as Standard;
const finding = { ruleId: 'disallow-privileged', code: 'disallow-privileged', title: 't', severity: 'high' as const, category: 'pod-security', message: 'privileged', remediation: '', reason: 'Forbidden' as const, paths: [], containers: [], images: [], standards: { 'pss-baseline': ['privileged'] }, ruleClass: 'object' as const, result: 'fail' as const, docs: '', mode: 'audit' as const, modeSource: 'default' as const, denies: false };
const entry: AuditEntry = { owner: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', uid: 'u' }, objects: 3, labels: {}, evaluated: ['disallow-privileged', 'require-run-as-non-root'], findings: [finding] };

function app(options: { ready?: boolean; rollout?: (format: RolloutFormat) => Promise<string> } = {}) {
  const metrics = createControllerMetrics({ standards: [standard], processMetrics: false });
  metrics.leader.set(1);
  metrics.setCompliance(() => ({
    entries: [entry],
    rules: [
      { id: 'disallow-privileged', severity: 'high', standards: { 'pss-baseline': ['privileged'] }, ruleClass: 'object' },
      { id: 'require-run-as-non-root', severity: 'medium', standards: {} as Record<string, string[]>, ruleClass: 'object' },
    ],
    finishedAt: new Date('2026-11-22T12:00:00Z'),
  }));
  const server = buildControllerApp({
    metrics,
    logger: pino({ level: 'silent' }),
    readiness: () => ({ rules: { ok: true, rules: 2 }, audit: { ok: options.ready ?? true, role: 'leader' } }),
    rollout: options.rollout ?? (async (format) => (format === 'json' ? '{"format":"palisade.dev/rollout-report/v1"}' : `# rollout (${format})`)),
  });
  t.teardown(() => server.close());
  return { server, metrics };
}

t.test('probes', async (t) => {
  const { server } = app({ ready: false });
  t.same((await server.inject('/healthz')).json(), { status: 'ok' });
  const ready = await server.inject('/readyz');
  t.equal(ready.statusCode, 503, 'not ready before the first audit');
  t.same(ready.json(), { ready: false, checks: { rules: { ok: true, rules: 2 }, audit: { ok: false, role: 'leader' } } });
  const { server: readyServer } = app();
  t.equal((await readyServer.inject('/readyz')).statusCode, 200);
});

t.test('metrics: the controller’s gauges, computed when scraped', async (t) => {
  const { server } = app();
  const response = await server.inject('/metrics');
  t.match(response.headers['content-type'], /text\/plain/);
  t.match(response.body, /palisade_audit_leader 1/);
  t.match(response.body, /palisade_compliance_score\{standard="pss-baseline"\} 0/);
  t.match(response.body, /palisade_audit_findings\{rule="disallow-privileged",severity="high"\} 1/);
  t.match(response.body, /palisade_audit_findings\{rule="require-run-as-non-root",severity="medium"\} 0/, 'a clean rule counts 0');
  for (const name of ['palisade_audit_duration_seconds', 'palisade_audit_objects', 'palisade_audit_watch_restarts_total', 'palisade_ruleset_load_success']) t.match(response.body, new RegExp(`# TYPE ${name} `));
  t.notMatch(response.body, /palisade_admission_requests_total|palisade_certificate_expiry_seconds/, "no webhook metrics in the controller's registry");
});

t.test('the rollout report in each format; 400 for an unknown one; 503 when reports cannot be read', async (t) => {
  const { server } = app();
  const markdown = await server.inject('/reports/rollout');
  t.equal(markdown.headers['content-type'], 'text/markdown; charset=utf-8');
  t.equal(markdown.body, '# rollout (markdown)');
  t.equal((await server.inject('/reports/rollout?format=html')).headers['content-type'], 'text/html; charset=utf-8');
  t.same((await server.inject('/reports/rollout?format=json')).json(), { format: 'palisade.dev/rollout-report/v1' });
  t.equal((await server.inject('/reports/rollout?format=pdf')).statusCode, 400);
  const { server: broken } = app({ rollout: async () => { throw new Error('403 Forbidden'); } });
  const refused = await broken.inject('/reports/rollout');
  t.equal(refused.statusCode, 503);
  t.same(refused.json(), { error: 'the stored reports cannot be read: 403 Forbidden' });
});
