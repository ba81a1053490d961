import t from 'tap';
import { artifactUri, renderSarif, toSarif } from '../../src/report/sarif.js';
import type { SarifLog, SarifResult, SarifRun } from '../../src/report/sarif-log.js';
import { errorsText, loadReport, sarifValidator } from './helpers.js';

function run(log: SarifLog): SarifRun {
  const first = log.runs[0];
  if (!first) throw new Error('no run');
  return first;
}

function resultFor(log: SarifLog, ruleId: string, fqn: string): SarifResult {
  const found = run(log).results.find(
    (r) => r.ruleId === ruleId && r.locations[0]?.logicalLocations?.[0]?.fullyQualifiedName === fqn,
  );
  if (!found) throw new Error(`no result ${ruleId} on ${fqn}`);
  return found;
}

t.test('validates against the official SARIF 2.1.0 schema', async (t) => {
  const validate = await sarifValidator();
  for (const name of ['scan-report.json', 'clean-report.json']) {
    const log: unknown = JSON.parse(renderSarif(await loadReport(name)));
    t.ok(validate(log), `${name}\n${errorsText(validate)}`);
  }
});

t.test('the schema check is real: it rejects an invalid log', async (t) => {
  const validate = await sarifValidator();
  const log = JSON.parse(renderSarif(await loadReport('scan-report.json'))) as SarifLog;
  const broken = structuredClone(log);
  const result = run(broken).results[0] as unknown as Record<string, unknown>;
  result['level'] = 'fatal';
  t.notOk(validate(broken), 'an unknown level is rejected');
  t.notOk(validate({ ...log, version: '2.0.0' }), 'another version is rejected');
});

t.test('driver: palisade, version, informationUri, one rule per code that appears', async (t) => {
  const log = toSarif(await loadReport('scan-report.json'));
  const { driver } = run(log).tool;
  t.equal(driver.name, 'palisade');
  t.equal(driver.version, '0.1.0');
  t.match(driver.informationUri, /^https:\/\//);
  const codes = [...new Set(run(log).results.map((r) => r.ruleId))].sort();
  t.same(driver.rules.map((r) => r.id), codes, 'sorted, unique, exactly the codes with results');
  for (const result of run(log).results) {
    t.equal(driver.rules[result.ruleIndex]?.id, result.ruleId, `ruleIndex of ${result.ruleId}`);
  }
  const privileged = driver.rules.find((r) => r.id === 'disallow-privileged');
  t.match(privileged, {
    name: 'DisallowPrivileged',
    shortDescription: { text: 'Privileged containers are not allowed' },
    helpUri: 'https://palisade.dev/docs/rules.md#disallow-privileged',
    help: { text: 'Remove securityContext.privileged from the container, or set it to false.' },
    defaultConfiguration: { level: 'error' },
    properties: { 'security-severity': '9.5' },
  });
  t.ok(privileged?.properties.tags?.includes('cis-kubernetes:5.2.2'), 'standards become tags');
  const limits = driver.rules.find((r) => r.id === 'require-resource-limits/memory');
  t.equal(limits?.defaultConfiguration, undefined, 'no rule mode: no default level claimed');
});

t.test('security-severity follows the GitHub convention', async (t) => {
  const { driver } = run(toSarif(await loadReport('scan-report.json'))).tool;
  const bySeverity = new Map(driver.rules.map((r) => [r.properties['severity'], r.properties['security-severity']]));
  t.same(Object.fromEntries(bySeverity), { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '1.0' });
});

t.test('levels, suppressions and locations', async (t) => {
  const log = toSarif(await loadReport('scan-report.json'));
  const denied = resultFor(log, 'disallow-privileged', 'Pod/default/debug-shell');
  t.equal(denied.level, 'error');
  t.same(denied.locations[0]?.physicalLocation, {
    artifactLocation: { uri: 'manifests/web.yaml' },
    region: { startLine: 52 },
  }, 'the finding line wins over the resource line');
  t.same(denied.locations[0]?.logicalLocations?.map((l) => l.fullyQualifiedName), [
    'Pod/default/debug-shell',
    'Pod/default/debug-shell/spec.containers[0].securityContext.privileged',
  ]);
  t.equal(denied.suppressions, undefined);

  t.equal(resultFor(log, 'require-run-as-non-root', 'Deployment/default/web').level, 'warning');
  t.equal(resultFor(log, 'require-signed-images', 'Deployment/default/web').level, 'warning', 'enforce rule error with onError=allow');
  t.equal(resultFor(log, 'require-resource-limits/memory', 'Deployment/default/web').level, 'note');
  t.equal(
    resultFor(log, 'require-resource-limits/memory', 'Deployment/default/web').locations[0]?.physicalLocation?.region?.startLine,
    1,
    'no finding line: the resource line',
  );

  const excepted = resultFor(log, 'disallow-host-network', 'Deployment/payments/api');
  t.equal(excepted.level, 'note');
  t.match(excepted.suppressions, [
    { kind: 'external', justification: 'Payment terminal bridge needs the host network until PAY-1432 ships' },
  ]);

  const expired = resultFor(log, 'disallow-latest-tag', 'Deployment/payments/api');
  t.equal(expired.level, 'error', 'an expired exception does not exempt');
  t.equal(expired.suppressions, undefined);
  t.match(expired.properties, { expiredException: { name: 'allow-latest-during-migration' } });

  const stdin = resultFor(log, 'require-psa-label', 'Namespace/payments');
  t.equal(stdin.locations[0]?.physicalLocation, undefined, 'stdin has no artifact');
});

t.test('input problems are tool execution notifications', async (t) => {
  const [invocation] = run(toSarif(await loadReport('scan-report.json'))).invocations;
  t.equal(invocation?.executionSuccessful, true, 'the run itself completed');
  t.match(invocation?.toolExecutionNotifications, [
    {
      level: 'error',
      message: { text: /YAML parse error/ },
      locations: [{ physicalLocation: { artifactLocation: { uri: 'manifests/broken.yaml' }, region: { startLine: 7 } } }],
    },
    { level: 'error', message: { text: /not a Kubernetes object/ } },
  ]);
  const [clean] = run(toSarif(await loadReport('clean-report.json'))).invocations;
  t.same(clean?.toolExecutionNotifications, []);
});

t.test('fingerprints are stable when lines move, distinct per finding', async (t) => {
  const report = await loadReport('scan-report.json');
  const before = run(toSarif(report)).results.map((r) => r.partialFingerprints['palisadeFinding/v1']);
  for (const result of report.results) if (result.resource.line !== undefined) result.resource.line += 10;
  const after = run(toSarif(report)).results.map((r) => r.partialFingerprints['palisadeFinding/v1']);
  t.same(after, before);
  t.equal(new Set(before).size, before.length);
});

t.test('artifact URIs: relative, forward slashes, encoded', async (t) => {
  t.equal(artifactUri('manifests/web.yaml'), 'manifests/web.yaml');
  t.equal(artifactUri('./manifests/web.yaml'), 'manifests/web.yaml');
  t.equal(artifactUri('manifests\\win\\web.yaml'), 'manifests/win/web.yaml');
  t.equal(artifactUri('my app/#1 ?.yaml'), 'my%20app/%231%20%3F.yaml');
  t.equal(artifactUri('a:b/web.yaml'), './a:b/web.yaml', 'not mistaken for a scheme');
  t.equal(artifactUri('/abs/web.yaml'), 'file:///abs/web.yaml');
  t.equal(artifactUri('C:\\repo\\web.yaml'), 'file:///C:/repo/web.yaml');
  t.equal(artifactUri('-'), undefined);
  t.equal(artifactUri(undefined), undefined);
});
