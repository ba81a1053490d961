/**
 * The CRD files in crds/ are what src/cluster/crds.ts generates (UPDATE_FIXTURES=1 rewrites them),
 * their schemas are structural, and they accept every rule and exception Palisade accepts without
 * pruning a field.
 */
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { resourceSchema, SchemaConversionError, structuralProblems, toStructuralSchema, type StructuralSchema } from '../../src/cluster/crd-schema.js';
import { palisadeCrds, renderCrd, type CustomResourceDefinition } from '../../src/cluster/crds.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';
import { findRuleFiles } from '../../src/rules/loader.js';
import { readYamlDocuments } from '../../src/rules/yaml-documents.js';
import { items } from './support.js';

const CRDS_DIR = new URL('../../crds/', import.meta.url);
const schemaOf = (crd: CustomResourceDefinition): StructuralSchema => crd.spec.versions[0]!.schema.openAPIV3Schema;
const crdOf = (kind: string): CustomResourceDefinition => palisadeCrds().find((c) => c.crd.spec.names.kind === kind)!.crd;

t.test('the committed CRD files are exactly what the generator writes', async (t) => {
  const crds = palisadeCrds();
  t.same(crds.map((c) => c.file), ['rules.palisade.dev.yaml', 'exceptions.palisade.dev.yaml']);
  for (const { file, crd } of crds) {
    const path = fileURLToPath(new URL(file, CRDS_DIR));
    const expected = renderCrd(crd);
    if (process.env['UPDATE_FIXTURES'] === '1') await writeFile(path, expected);
    const actual = await readFile(path, 'utf8').catch(() => undefined);
    if (actual === undefined) {
      t.fail(`crds/${file} is missing; write it with UPDATE_FIXTURES=1 npx tap test/cluster/crds.test.ts`);
      continue;
    }
    t.equal(actual, expected, `crds/${file} matches the generator (if the schema changed on purpose: UPDATE_FIXTURES=1 npx tap test/cluster/crds.test.ts, then review git diff)`);
    t.same(parse(actual), JSON.parse(JSON.stringify(crd)), `crds/${file} reads back as the CRD object`);
  }
});

t.test('both CRDs are well-formed apiextensions.k8s.io/v1 definitions', async (t) => {
  for (const { crd } of palisadeCrds()) {
    const { spec } = crd;
    t.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
    t.equal(crd.metadata.name, `${spec.names.plural}.${spec.group}`, 'named <plural>.<group>');
    t.match(spec.names.plural, /^[a-z]+$/);
    t.equal(spec.names.singular, spec.names.kind.toLowerCase());
    t.equal(spec.names.listKind, `${spec.names.kind}List`);
    t.equal(spec.versions.filter((v) => v.storage).length, 1, 'exactly one storage version');
    for (const version of spec.versions) {
      t.ok(version.served);
      for (const column of version.additionalPrinterColumns) t.match(column.jsonPath, /^\.[a-zA-Z]/, `${column.name}: a JSONPath from the object`);
      t.equal(version.additionalPrinterColumns.at(-1)?.name, 'Age', 'Age is listed explicitly');
    }
    t.notOk('subresources' in version(crd), 'no subresources: Palisade writes no status');
  }
  t.equal(crdOf('Rule').spec.scope, 'Cluster', 'rules apply cluster-wide');
  t.equal(crdOf('Exception').spec.scope, 'Namespaced', 'exceptions live in the namespaces the configuration accepts');
  t.same(crdOf('Rule').spec.versions[0]!.additionalPrinterColumns.map((c) => c.jsonPath), ['.spec.severity', '.spec.mode', '.spec.category', '.metadata.creationTimestamp']);
  t.same(crdOf('Exception').spec.versions[0]!.additionalPrinterColumns.map((c) => c.jsonPath), ['.spec.rules', '.spec.expiresAt', '.spec.owner', '.metadata.creationTimestamp']);
});

function version(crd: CustomResourceDefinition): Record<string, unknown> {
  return crd.spec.versions[0] as unknown as Record<string, unknown>;
}

t.test('the CRD schemas are structural', async (t) => {
  for (const { file, crd } of palisadeCrds()) t.same(structuralProblems(schemaOf(crd)), [], file);
});

t.test('the structural check catches what the API server refuses', async (t) => {
  const root = (spec: unknown): unknown => ({ type: 'object', properties: { spec } });
  t.match(structuralProblems(root({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } })), [/spec: properties and additionalProperties are mutually exclusive/]);
  t.match(structuralProblems(root({ type: 'object', properties: { a: {} } })), [/spec\.a: needs a type/]);
  t.match(structuralProblems(root({ type: 'object', additionalProperties: false })), [/additionalProperties must be a schema/]);
  t.match(structuralProblems(root({ type: 'array' })), [/an array needs one schema for its items/]);
  t.match(structuralProblems(root({ type: 'string', const: 'x' })), [/"const" is not allowed/]);
  t.match(structuralProblems(root({ type: 'string', enum: ['a', 1] })), [/enum value 1 does not match type string/]);
  t.match(structuralProblems(root({ type: 'object', properties: {}, required: ['a'] })), [/required field "a" is not among its properties/]);
  t.match(
    structuralProblems({ type: 'object', properties: { metadata: { type: 'object', required: ['labels'], properties: { labels: { type: 'object' } } } } }),
    [/metadata: may only restrict name and generateName/, /metadata\.labels: only name and generateName/],
  );
});

t.test('conversion: const and enum get a type, free-form values keep unknown fields, unknown keywords fail', async (t) => {
  t.same(toStructuralSchema({ const: 'JSONPatch' }), { type: 'string', enum: ['JSONPatch'] });
  t.same(toStructuralSchema({ enum: ['a', 'b'] }), { type: 'string', enum: ['a', 'b'] });
  t.same(toStructuralSchema({}), { 'x-kubernetes-preserve-unknown-fields': true }, 'a parameter default may be anything');
  t.same(toStructuralSchema({ anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }), { 'x-kubernetes-preserve-unknown-fields': true });
  t.same(toStructuralSchema({ type: 'object' }), { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, 'an undescribed object is not pruned empty');
  t.same(
    toStructuralSchema({ type: 'object', additionalProperties: false, required: ['a'], properties: { a: { type: 'string', minLength: 1 } } }),
    { type: 'object', properties: { a: { type: 'string', minLength: 1 } }, required: ['a'] },
    'additionalProperties: false is dropped',
  );
  t.throws(() => toStructuralSchema({ type: 'object', properties: { a: { $ref: '#/definitions/a' } } }), new SchemaConversionError('a', 'JSON Schema keyword "$ref" has no structural equivalent'));
  t.throws(() => toStructuralSchema({ type: 'string', format: 'date' }), SchemaConversionError, 'a keyword the converter does not know is an error, not dropped');
  const schema = resourceSchema({ required: ['apiVersion', 'kind', 'metadata', 'spec'], properties: { metadata: { properties: { name: { type: 'string' }, namespace: { type: 'string' } } }, spec: { type: 'object', properties: {} } } }, 'd');
  t.same(schema.properties?.['metadata'], { type: 'object', properties: { name: { type: 'string' } } }, 'metadata keeps only its name');
  t.same(schema.required, ['spec']);
});

/** Fields the API server would prune from `value` under `schema`: each would silently vanish. */
function pruned(value: unknown, schema: StructuralSchema, path = ''): string[] {
  if (schema['x-kubernetes-preserve-unknown-fields']) return [];
  if (Array.isArray(value)) return schema.items ? value.flatMap((v, i) => pruned(v, schema.items!, `${path}[${i}]`)) : [];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const at = path ? `${path}.${key}` : key;
    const sub = schema.properties ? schema.properties[key] : schema.additionalProperties;
    if (!sub) return path === 'metadata' ? [] : [at];
    return pruned(child, sub, at);
  });
}

t.test('every built-in rule, applied as a Rule resource, passes the CRD schema and loses no field', async (t) => {
  const schema = schemaOf(crdOf('Rule'));
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  const files = await findRuleFiles(BUILTIN_RULES_DIR);
  t.ok(files.length > 40, 'the built-in rules are found');
  for (const file of files) {
    for (const doc of readYamlDocuments(await readFile(file, 'utf8'))) {
      // What kubectl sends: YAML read as JSON.
      const object = JSON.parse(JSON.stringify(doc.value)) as unknown;
      const name = (object as { metadata: { name: string } }).metadata.name;
      if (!validate(object)) t.fail(`${name}: ${JSON.stringify(validate.errors)}`);
      t.same(pruned(object, schema), [], `${name}: nothing pruned`);
    }
  }
});

t.test('an Exception resource passes the CRD schema and loses no field', async (t) => {
  const schema = schemaOf(crdOf('Exception'));
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  const [good] = items('exceptions-list.json');
  t.ok(validate(good), JSON.stringify(validate.errors));
  const { spec } = good as { spec: unknown };
  t.same(pruned({ spec: { ...(spec as object), match: { kinds: ['Pod'], selector: { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }] }, owners: [{ kind: 'Deployment', name: 'web' }], containers: ['istio-proxy'], images: ['docker.io/istio/*'] } } }, schema), []);
  t.notOk(validate({ spec: { ...(spec as object), rules: [] } }), 'an empty rules list is refused by the API server already');
});
