/**
 * The CustomResourceDefinitions of `palisade.dev/v1alpha1` Rule (cluster-scoped: rules apply to the
 * whole cluster, and a namespaced Rule would suggest a tenant scoping Palisade does not have) and
 * Exception (namespaced: the configuration says which namespaces' exceptions are honoured).
 *
 * Their schemas are generated from the same JSON Schemas the file loaders use, so a field added to
 * a rule file is a field of the custom resource. The files in crds/ are this module's output,
 * checked by test/cluster/crds.test.ts (UPDATE_FIXTURES=1 rewrites them).
 */
import { stringify } from 'yaml';
import { exceptionSchema } from '../policy/exception-file.js';
import { ruleSchema } from '../rules/rule-schema.js';
import { resourceSchema, type StructuralSchema } from './crd-schema.js';
import { PALISADE_GROUP, PALISADE_VERSION } from './api-names.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; categories: string[] };
    scope: 'Cluster' | 'Namespaced';
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: StructuralSchema };
      additionalPrinterColumns: PrinterColumn[];
    }[];
  };
}

interface Definition {
  kind: string;
  plural: string;
  scope: 'Cluster' | 'Namespaced';
  schema: StructuralSchema;
  columns: PrinterColumn[];
}

/** Given explicitly: once printer columns are listed, the API server no longer adds Age by itself. */
const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

function definition({ kind, plural, scope, schema, columns }: Definition): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${PALISADE_GROUP}`, labels: { 'app.kubernetes.io/name': 'palisade', 'app.kubernetes.io/part-of': 'palisade' } },
    spec: {
      group: PALISADE_GROUP,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), categories: ['palisade'] },
      scope,
      versions: [
        { name: PALISADE_VERSION, served: true, storage: true, schema: { openAPIV3Schema: schema }, additionalPrinterColumns: [...columns, AGE] },
      ],
    },
  };
}

export function ruleCrd(): CustomResourceDefinition {
  return definition({
    kind: 'Rule',
    plural: 'rules',
    scope: 'Cluster',
    schema: resourceSchema(
      ruleSchema,
      'A Palisade rule: CEL validations applied cluster-wide at admission, in the background audit and by palisade scan. '
        + 'The same schema as a rule file (docs/authoring.md); metadata.name is the rule id. '
        + "Palisade's validating webhook compiles the rule when it is applied and refuses it with every problem named.",
    ),
    columns: [
      { name: 'Severity', type: 'string', jsonPath: '.spec.severity' },
      { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
      { name: 'Category', type: 'string', jsonPath: '.spec.category' },
    ],
  });
}

export function exceptionCrd(): CustomResourceDefinition {
  return definition({
    kind: 'Exception',
    plural: 'exceptions',
    scope: 'Namespaced',
    schema: resourceSchema(
      exceptionSchema,
      'A Palisade exception: exempts matching objects from the named rules until expiresAt. '
        + 'Honoured only in the namespaces the configuration lists (cluster.exceptionNamespaces), '
        + 'and only up to cluster.maxExceptionLifetimeDays after it was created. '
        + 'The annotation palisade.dev/created-by records who created it and is set by Palisade.',
    ),
    columns: [
      { name: 'Rules', type: 'string', jsonPath: '.spec.rules' },
      { name: 'Expires', type: 'string', jsonPath: '.spec.expiresAt' },
      { name: 'Owner', type: 'string', jsonPath: '.spec.owner' },
    ],
  });
}

/** Every CRD with the file (under crds/) it is written to. */
export function palisadeCrds(): { file: string; crd: CustomResourceDefinition }[] {
  return [ruleCrd(), exceptionCrd()].map((crd) => ({ file: `${crd.metadata.name}.yaml`, crd }));
}

/** The YAML text of a CRD file, with a header saying where it comes from. */
export function renderCrd(crd: CustomResourceDefinition): string {
  const header = [
    '# Generated from the JSON Schema of the file format by src/cluster/crds.ts: do not edit by hand.',
    '# Regenerate with: UPDATE_FIXTURES=1 npx tap test/cluster/crds.test.ts',
  ];
  return `${header.join('\n')}\n${stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
