import t from 'tap';
import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';
import { buildServer } from '../../src/server/app.js';
import { createMetrics } from '../../src/server/metrics.js';
import { PolicyHolder } from '../../src/server/policy-holder.js';
import { builtinRules, config, NOW, review, reviewText } from '../admission/support.js';
import type { PalisadeConfig } from '../../src/config/types.js';

/** A logger whose lines the test can read back as data. */
function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

function app(cfg: PalisadeConfig = config(), options: { empty?: boolean; bodyLimit?: number } = {}) {
  const holder = new PolicyHolder();
  if (!options.empty) holder.replace(builtinRules, cfg, NOW);
  const metrics = createMetrics({ processMetrics: false });
  const { logger, lines } = capturingLogger();
  const server = buildServer({ policy: holder, metrics, logger, clock: () => NOW, ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}) });
  return { server, metrics, lines, holder };
}

t.test('POST /validate: an AdmissionReview in, an AdmissionReview out with the same uid and apiVersion', async (t) => {
  const { server, lines } = app();
  const res = await server.inject({ method: 'POST', url: '/validate?timeout=10s', payload: review('pod-privileged-create.json') });
  t.equal(res.statusCode, 200, 'a denial is a normal answer, never an HTTP error');
  const body = res.json() as { apiVersion: string; kind: string; response: { uid: string; allowed: boolean; status: { code: number; message: string } } };
  t.equal(body.apiVersion, 'admission.k8s.io/v1');
  t.equal(body.kind, 'AdmissionReview');
  t.equal(body.response.uid, 'uid-privileged');
  t.equal(body.response.allowed, false);
  t.equal(body.response.status.code, 403);
  const decision = lines.find((l) => l['msg'] === 'admission decision');
  t.ok(decision, 'one log line for the decision');
  t.match(decision, { uid: 'uid-privileged', kind: 'Pod', namespace: 'team-a', name: 'web', user: 'alice', decision: 'denied' });
  t.ok((decision?.['rules'] as string[]).includes('disallow-privileged:enforce'));
  const text = JSON.stringify(lines);
  t.notMatch(text, /registry\.example\.com/, 'no object body in the logs');
  await server.close();
});

t.test('metrics: requests by decision, rule results, latency; dry runs labelled', async (t) => {
  const { server } = app();
  await server.inject({ method: 'POST', url: '/validate', payload: review('pod-privileged-create.json') });
  await server.inject({ method: 'POST', url: '/validate', payload: review('pod-privileged-dry-run.json') });
  await server.inject({ method: 'POST', url: '/validate', payload: review('pod-privileged-kube-system.json') });
  const metrics = (await server.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(metrics, /palisade_admission_requests_total\{operation="CREATE",kind="Pod",decision="denied",dry_run="false",controller_owned="false",endpoint="validate"\} 1/);
  t.match(metrics, /palisade_admission_requests_total\{[^}]*decision="denied",dry_run="true"[^}]*\} 1/, 'server-side dry runs carry their own label');
  t.match(metrics, /palisade_admission_requests_total\{[^}]*decision="skipped"[^}]*\} 1/);
  t.match(metrics, /palisade_rule_results_total\{rule="disallow-privileged",mode="enforce",result="fail",dry_run="false",controller_owned="false"\} 1/);
  t.match(metrics, /palisade_admission_duration_seconds_count\{endpoint="validate"\} 3/);
  await server.close();
});

t.test('bad input: malformed JSON, wrong shapes, wrong media type and oversized bodies get 400/413/415', async (t) => {
  const { server } = app(config(), { bodyLimit: 7 * 1024 * 1024 });
  const post = (payload: string, contentType = 'application/json') =>
    server.inject({ method: 'POST', url: '/validate', payload, headers: { 'content-type': contentType } });
  const truncated = await post(reviewText('pod-privileged-create.json').slice(0, 200));
  t.equal(truncated.statusCode, 400);
  t.match(truncated.json(), { code: 'PAL_ERR_INVALID_JSON' });
  const wrong = await post(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 42 } }));
  t.equal(wrong.statusCode, 400);
  t.match(wrong.json(), { code: 'PAL_ERR_INVALID_REVIEW', message: /not a valid AdmissionReview/ });
  const v1beta1 = await post(JSON.stringify({ ...review('pod-privileged-create.json'), apiVersion: 'admission.k8s.io/v1beta1' }));
  t.equal(v1beta1.statusCode, 400, 'only admission.k8s.io/v1');
  t.equal((await post('{}')).statusCode, 400);
  const nul = await post('null');
  t.equal(nul.statusCode, 400, nul.body);
  t.equal((await post('[]')).statusCode, 400);
  const text = await post('hello', 'text/plain');
  t.equal(text.statusCode, 415, text.body);
  const big = review('pod-privileged-create.json');
  (big.request.object as { metadata: { annotations: Record<string, string> } }).metadata.annotations = { blob: 'x'.repeat(7 * 1024 * 1024) };
  t.equal((await post(JSON.stringify(big))).statusCode, 413);
  const update = review('pod-privileged-label-update.json');
  const pad = 'x'.repeat(3 * 1024 * 1024 - 4096);
  (update.request.object as { metadata: { annotations: Record<string, string> } }).metadata.annotations = { pad };
  (update.request.oldObject as { metadata: { annotations: Record<string, string> } }).metadata.annotations = { pad };
  const large = await post(JSON.stringify(update));
  t.equal(large.statusCode, 200, 'an UPDATE with two ~3 MiB objects is accepted');
  const marked = await post(`\ufeff${reviewText('pod-privileged-create.json')}`);
  t.equal(marked.statusCode, 200, 'a leading byte order mark is ignored');
  await server.close();
});


t.test('keys named __proto__ or constructor are data: the object is judged like any other, and nothing is polluted', async (t) => {
  // A ConfigMap's keys may be named so, and the API server accepts them. Refusing the body (HTTP
  // 400) would let the object through unjudged under an Ignore registration.
  const { server } = app();
  const post = (name: string) => server.inject({ method: 'POST', url: '/validate', payload: reviewText(name), headers: { 'content-type': 'application/json' } });
  const configMap = await post('configmap-proto-key-create.json');
  t.equal(configMap.statusCode, 200, configMap.body);
  const response = (configMap.json() as { response: { allowed: boolean; warnings?: string[] } }).response;
  t.equal(response.allowed, true, 'the rule is in audit');
  t.match(response.warnings?.join('\n'), /no-secrets-in-configmaps: .*"__proto__"/, 'the credential under the key "__proto__" is found');
  t.notMatch(configMap.body, /IOSFODNN7EXAMPLE/, 'and its value is not repeated');
  const custom = await post('custom-resource-proto-keys-create.json');
  t.equal(custom.statusCode, 200, custom.body);
  t.equal((custom.json() as { response: { allowed: boolean } }).response.allowed, true);
  t.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype is untouched');
  await server.close();
});
t.test('managedFields, as the API server sends them: left out unread, and the verdict is the one without them', async (t) => {
  const { server } = app();
  // Compact, as the API server writes it: the form the webhook steps over without parsing.
  const post = (payload: string) => server.inject({ method: 'POST', url: '/validate', payload, headers: { 'content-type': 'application/json' } });
  const compact = (name: string): string => JSON.stringify(review(name));
  const withFields = await post(compact('pod-becomes-privileged-managed-fields-update.json'));
  const without = await post(compact('pod-becomes-privileged-update.json'));
  t.equal(withFields.statusCode, 200, withFields.body);
  const answer = (withFields.json() as { response: { uid: string; allowed: boolean; status?: { message: string } } }).response;
  t.equal(answer.uid, 'uid-managed-fields');
  t.equal(answer.allowed, false);
  t.equal(answer.status?.message, (without.json() as { response: { status?: { message: string } } }).response.status?.message, 'the same denial');
  const damaged = compact('pod-becomes-privileged-managed-fields-update.json').replace('"fieldsType":"FieldsV1"', '"fieldsType":"FieldsV1"]');
  const refused = await post(damaged);
  t.equal(refused.statusCode, 400, 'a body malformed inside managedFields is still refused');
  t.match(refused.json(), { code: 'PAL_ERR_INVALID_JSON' });
  const configMap = await post(compact('configmap-managed-fields-key-create.json'));
  t.match((configMap.json() as { response: { warnings?: string[] } }).response.warnings?.join('\n'), /no-secrets-in-configmaps: .*"managedFields"/, 'a data key named managedFields is data, and its credential is found');
  await server.close();
});

t.test('not ready: no rule set yet → 503, so the API server applies the failure policy', async (t) => {
  const { server, holder } = app(config(), { empty: true });
  const res = await server.inject({ method: 'POST', url: '/validate', payload: review('pod-privileged-create.json') });
  t.equal(res.statusCode, 503);
  t.equal((await server.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);
  holder.replace(builtinRules, config(), NOW);
  const ready = await server.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200);
  t.match(ready.json(), { ready: true, checks: { rules: { ok: true, generation: 1 } } });
  holder.fail('rules/x.yaml:3: spec.validations[0].expression: syntax error', NOW);
  const degraded = await server.inject({ method: 'GET', url: '/readyz' });
  t.equal(degraded.statusCode, 200, 'the last good set still serves');
  t.match(degraded.json(), { checks: { rules: { ok: true, detail: /rules\/x\.yaml:3/ } } });
  t.equal((await server.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  await server.close();
});

t.test('two registrations answer on their own paths', async (t) => {
  const { server } = app(config((c) => { c.policy.defaultMode = 'audit'; c.policy.rules['disallow-privileged'] = { mode: 'audit' }; }));
  const enforce = (await server.inject({ method: 'POST', url: '/validate/enforce', payload: review('pod-privileged-create.json') })).json() as { response: { allowed: boolean; warnings?: string[] } };
  const audit = (await server.inject({ method: 'POST', url: '/validate/audit', payload: review('pod-privileged-create.json') })).json() as { response: { allowed: boolean; warnings?: string[] } };
  t.equal(enforce.response.allowed, true, 'nothing enforced');
  t.notOk(enforce.response.warnings, 'the enforce registration leaves warnings to the audit one');
  t.equal(audit.response.allowed, true);
  t.ok(audit.response.warnings?.some((w) => w.startsWith('disallow-privileged: ')));
  await server.close();
});

t.test('a request that waited past its deadline is not evaluated', async (t) => {
  const { server } = app();
  // The clock-free path: a timeout of 0.001 ms is already over by the time the handler runs.
  const res = await server.inject({ method: 'POST', url: '/validate?timeout=0.000001s', payload: review('pod-privileged-create.json') });
  const body = res.json() as { response: { allowed: boolean; auditAnnotations: Record<string, string> } };
  t.equal(body.response.auditAnnotations['palisade-error'], 'not evaluated: the request waited past its deadline');
  await server.close();
});
