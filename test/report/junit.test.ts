import t from 'tap';
import { renderJunit } from '../../src/report/junit.js';
import { descendants, parseXml, type XmlElement } from './xml-check.js';
import { loadReport } from './helpers.js';

function suiteNamed(root: XmlElement, prefix: string): XmlElement {
  const suite = descendants(root, 'testsuite').find((s) => s.attrs['name']?.startsWith(prefix));
  if (!suite) throw new Error(`no suite ${prefix}`);
  return suite;
}

function caseNamed(suite: XmlElement, name: string): XmlElement {
  const found = suite.children.find((c) => c.name === 'testcase' && c.attrs['name'] === name);
  if (!found) throw new Error(`no testcase ${name}`);
  return found;
}

t.test('the checker itself rejects malformed XML', async (t) => {
  t.throws(() => parseXml('<a><b></a></b>'));
  t.throws(() => parseXml('<a x="1" x="2"/>'));
  t.throws(() => parseXml('<a>Tom & Jerry</a>'));
  t.throws(() => parseXml('<a>\u0001</a>'));
  t.throws(() => parseXml('<a/><b/>'));
  t.equal(parseXml('<?xml version="1.0"?>\n<a k="&lt;&#10;"> x &amp; y <b/></a>').attrs['k'], '<\n');
});

t.test('well-formed, one suite per resource plus input problems, counts add up', async (t) => {
  const root = parseXml(renderJunit(await loadReport('scan-report.json')));
  t.equal(root.name, 'testsuites');
  const suites = descendants(root, 'testsuite');
  t.equal(suites.length, 8 + 1);
  const cases = descendants(root, 'testcase');
  t.equal(root.attrs['tests'], String(cases.length));
  t.equal(root.attrs['failures'], '7', '3 deny + 4 warn');
  t.equal(root.attrs['skipped'], '1', 'the excepted finding');
  t.equal(root.attrs['errors'], '2', 'the input problems');
  for (const suite of suites) {
    const own = suite.children.filter((c) => c.name === 'testcase');
    t.equal(suite.attrs['tests'], String(own.length), `${suite.attrs['name']} tests`);
    t.equal(suite.attrs['failures'], String(own.filter((c) => descendants(c, 'failure').length > 0).length));
  }
});

t.test('deny and warn fail, excepted is skipped, dry-run passes', async (t) => {
  const root = parseXml(renderJunit(await loadReport('scan-report.json')));
  const pod = suiteNamed(root, 'Pod default/debug-shell');
  t.equal(pod.attrs['file'], 'manifests/web.yaml');
  const privileged = caseNamed(pod, 'disallow-privileged');
  t.equal(privileged.attrs['classname'], 'Pod/default/debug-shell');
  t.equal(privileged.attrs['line'], '52');
  t.match(descendants(privileged, 'failure')[0]?.attrs, { type: 'deny', message: /privileged/ });
  const dryRun = caseNamed(pod, 'require-signed-images');
  t.same(descendants(dryRun, 'failure'), []);
  t.match(descendants(dryRun, 'system-out')[0]?.text, /^\[DRY-RUN\]/);

  const web = suiteNamed(root, 'Deployment default/web');
  t.match(descendants(caseNamed(web, 'require-run-as-non-root'), 'failure')[0]?.attrs, { type: 'warn' });

  const api = suiteNamed(root, 'Deployment payments/api');
  const excepted = caseNamed(api, 'disallow-host-network');
  t.match(descendants(excepted, 'skipped')[0]?.attrs['message'], /legacy-host-network: Payment terminal bridge/);
  const expired = descendants(caseNamed(api, 'disallow-latest-tag'), 'failure')[0];
  t.equal(expired?.attrs['type'], 'deny');
  t.match(expired?.text, /expired exception payments\/allow-latest-during-migration/);

  const clean = suiteNamed(root, 'Service default/web');
  t.same(caseNamed(clean, 'no findings').children, []);

  const problems = suiteNamed(root, 'input problems');
  t.match(descendants(problems, 'error').map((e) => e.attrs), [
    { type: 'InputProblem', message: /YAML parse error/ },
    { type: 'InputProblem', message: /not a Kubernetes object/ },
  ]);
});

t.test('hostile text is escaped and stays well-formed', async (t) => {
  const report = await loadReport('scan-report.json');
  const [first] = report.results;
  const finding = first?.findings[0];
  if (!first || !finding) throw new Error('fixture changed');
  const nasty = 'a <b>"quoted"</b> & \'single\' ]]> \u0000\u001b\uFFFE end\nsecond line';
  finding.message = nasty;
  first.resource.name = 'x"><injected attr="';
  const xml = renderJunit(report);
  const root = parseXml(xml);
  const message = descendants(root, 'testcase')
    .flatMap((c) => c.children)
    .map((c) => c.attrs['message'] ?? c.text)
    .find((m) => m.includes('quoted'));
  t.ok(
    message?.includes('a <b>"quoted"</b> & \'single\' ]]> \uFFFD\uFFFD\uFFFD end\nsecond line'),
    'round-trips, forbidden characters replaced',
  );
  t.ok(descendants(root, 'testcase').some((c) => c.attrs['classname']?.includes('x"><injected attr="')));
  t.notOk(descendants(root, 'injected').length);
});

t.test('stdin resources carry no file attribute', async (t) => {
  const root = parseXml(renderJunit(await loadReport('scan-report.json')));
  const ns = suiteNamed(root, 'Namespace payments');
  t.equal(ns.attrs['file'], undefined);
  t.equal(caseNamed(ns, 'require-psa-label').attrs['file'], undefined);
});

t.test('a clean report is all passes', async (t) => {
  const root = parseXml(renderJunit(await loadReport('clean-report.json')));
  t.match(root.attrs, { tests: '2', failures: '0', errors: '0', skipped: '0' });
});
