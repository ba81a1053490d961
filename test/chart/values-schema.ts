/**
 * charts/palisade/values.schema.json, as it must be: every mapping of the chart's own values closed
 * (a misspelt value fails `helm install` instead of being ignored), enums for the modes, and for
 * `config` the very schema Palisade validates palisade.yaml with (src/config/schema.ts), so a
 * misspelt configuration field fails at `helm install` too, not at the pods' start. Written by
 * chart-files.test.ts with UPDATE_FIXTURES=1.
 */
import { configSchema } from '../../src/config/schema.js';

const string = { type: 'string' } as const;
const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
const object = { type: 'object' } as const;
const objects = { type: 'array', items: object } as const;
const quantities = { type: 'object', additionalProperties: { type: ['string', 'number'] } } as const;
/** A Go duration as cert-manager and Palisade take it: 10m, 1h30m, 2160h. */
const duration = { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$' } as const;
const closed = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', additionalProperties: false, properties, ...extra });

/** What both components' pods take. */
const pod = {
  resources: closed({ requests: quantities, limits: quantities }),
  logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] },
  extraArgs: { type: 'array', items: string },
  podLabels: stringMap,
  podAnnotations: stringMap,
  nodeSelector: stringMap,
  tolerations: objects,
  affinity: object,
  priorityClassName: string,
};

export function valuesSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Values of the Palisade chart (charts/palisade/README.md)',
    ...closed({
      global: object,
      mode: { description: 'The enforcement posture of the whole rule set', enum: ['shipped', 'dry-run', 'audit', 'enforce'] },
      config: {
        description: "palisade.yaml (docs/configuration.md): Palisade's own schema. exceptionFiles cannot be mounted by the chart: write exceptions inline.",
        ...configSchema,
        properties: { ...configSchema.properties, exceptionFiles: { type: 'array', maxItems: 0 } },
      },
      rules: {
        description: 'Your rule files: file name → Rule YAML',
        type: 'object',
        propertyNames: { pattern: '^[-._a-zA-Z0-9]+\\.ya?ml$', not: { const: 'palisade.yaml' } },
        additionalProperties: { type: 'string', minLength: 1 },
      },
      imageFiles: {
        description: 'Secrets and ConfigMaps holding what config.images names, mounted at /etc/palisade/images/<name>/',
        type: 'array',
        items: closed(
          {
            name: { type: 'string', maxLength: 51, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
            configMap: { type: 'string', minLength: 1 },
            secret: { type: 'string', minLength: 1 },
          },
          { required: ['name'], oneOf: [{ required: ['configMap'] }, { required: ['secret'] }] },
        ),
      },
      image: closed({
        repository: { type: 'string', minLength: 1 },
        tag: string,
        digest: { type: 'string', pattern: '^(sha256:[a-f0-9]{64})?$' },
        pullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
      }, { required: ['repository'] }),
      imagePullSecrets: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: string } } },
      nameOverride: string,
      fullnameOverride: string,
      commonLabels: stringMap,
      commonAnnotations: stringMap,
      certificates: closed({
        mode: { enum: ['self-managed', 'cert-manager'] },
        certManager: closed({
          issuerRef: closed({ name: { type: 'string', minLength: 1 }, kind: string, group: string }),
          caDuration: duration,
          duration,
          renewBefore: duration,
        }),
      }),
      webhook: closed({
        ...pod,
        replicas: { type: 'integer', minimum: 1 },
        configurationName: { type: 'string', maxLength: 253, pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$' },
        preStopSleepSeconds: { type: 'integer', minimum: 1 },
        terminationGracePeriodSeconds: { type: 'integer', minimum: 1 },
        topologySpreadConstraints: objects,
        serviceAnnotations: stringMap,
      }),
      controller: closed({
        ...pod,
        enabled: { type: 'boolean' },
        replicas: { type: 'integer', minimum: 1 },
        resync: duration,
        teamLabel: string,
        heapLimitMiB: { type: ['integer', 'null'], minimum: 0 },
        rbac: closed({ readAllKinds: { type: 'boolean' }, extraRules: objects }),
      }),
      uninstallHook: closed({ enabled: { type: 'boolean' }, resources: pod.resources }),
      serviceAccounts: closed({
        annotations: stringMap,
        tokenExpirationSeconds: { type: 'integer', minimum: 600, maximum: 86400 },
      }),
      networkPolicy: closed({
        enabled: { type: 'boolean' },
        apiServer: closed({
          cidrs: { type: 'array', items: string },
          ports: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 1, maximum: 65535 } },
        }),
        dns: closed({ namespaceSelector: object, podSelector: object }),
        registries: closed({
          cidrs: { type: 'array', items: string },
          ports: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 1, maximum: 65535 } },
        }),
        controllerIngressFrom: objects,
      }),
      serviceMonitor: closed({ enabled: { type: 'boolean' }, interval: duration, labels: stringMap }),
    }),
  };
}

export function valuesSchemaFile(): string {
  return `${JSON.stringify(valuesSchema(), null, 2)}\n`;
}
