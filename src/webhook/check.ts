/**
 * The checks the API server makes when a ValidatingWebhookConfiguration or
 * MutatingWebhookConfiguration (admissionregistration.k8s.io/v1) is created, as Kubernetes writes
 * them (pkg/apis/admissionregistration/validation, apiserver/pkg/util/webhook), plus strict field
 * validation (unknown fields are errors, as `kubectl apply` reports them). The renderer runs them on
 * everything it renders, so an invalid configuration is a Palisade bug caught before any cluster
 * sees it; tests run them on the CLI's parsed output. Not covered: matchConditions' CEL.
 *
 * Each problem is `field.path: what is wrong`, in field order.
 */
import { isRecord } from '../json/is-record.js';

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

export function isDns1035Label(value: string): boolean {
  return value.length <= 63 && DNS1035_LABEL.test(value);
}

/** A webhook name: a DNS subdomain of at least three segments (utilvalidation.IsFullyQualifiedName). */
export function isFullyQualifiedName(value: string): boolean {
  return isDns1123Subdomain(value) && value.split('.').length >= 3;
}

/** A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain. */
export function isQualifiedName(value: string): boolean {
  const slash = value.indexOf('/');
  const prefix = slash === -1 ? undefined : value.slice(0, slash);
  const name = slash === -1 ? value : value.slice(slash + 1);
  if (prefix !== undefined && (prefix === '' || !isDns1123Subdomain(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && LABEL_NAME.test(value));
}

const OPERATIONS = new Set(['*', 'CREATE', 'UPDATE', 'DELETE', 'CONNECT']);
const SCOPES = new Set(['*', 'Cluster', 'Namespaced']);
const ACCEPTED_REVIEW_VERSIONS = new Set(['v1', 'v1beta1']);
const WEBHOOK_FIELDS = [
  'name', 'clientConfig', 'rules', 'failurePolicy', 'matchPolicy', 'namespaceSelector', 'objectSelector',
  'sideEffects', 'timeoutSeconds', 'admissionReviewVersions', 'matchConditions',
];

type JsonObject = Record<string, unknown>;

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** Every problem with a webhook configuration; empty when the API server would accept it. */
export function checkWebhookConfiguration(object: unknown): string[] {
  const problems: string[] = [];
  const report = (field: string, message: string): void => {
    problems.push(`${field}: ${message}`);
  };
  if (!isRecord(object)) return ['(root): must be an object'];
  unknownFields(object, ['apiVersion', 'kind', 'metadata', 'webhooks'], '', report);
  if (object['apiVersion'] !== 'admissionregistration.k8s.io/v1') report('apiVersion', 'must be admissionregistration.k8s.io/v1');
  const kind = object['kind'];
  if (kind !== 'ValidatingWebhookConfiguration' && kind !== 'MutatingWebhookConfiguration') {
    report('kind', 'must be ValidatingWebhookConfiguration or MutatingWebhookConfiguration');
  }
  checkMetadata(object['metadata'], report);
  const webhooks = object['webhooks'];
  if (webhooks === undefined) return problems;
  if (!Array.isArray(webhooks)) {
    report('webhooks', 'must be a list');
    return problems;
  }
  const names = new Set<string>();
  webhooks.forEach((webhook: unknown, index) => {
    const at = `webhooks[${index}]`;
    if (!isRecord(webhook)) {
      report(at, 'must be an object');
      return;
    }
    checkWebhook(webhook, at, kind === 'MutatingWebhookConfiguration', report);
    const name = webhook['name'];
    if (typeof name === 'string' && name !== '') {
      if (names.has(name)) report(`${at}.name`, `duplicate webhook name "${name}"`);
      names.add(name);
    }
  });
  return problems;
}

type Report = (field: string, message: string) => void;

function unknownFields(object: JsonObject, known: readonly string[], at: string, report: Report): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) report(at ? `${at}.${key}` : key, 'unknown field');
  }
}

function checkMetadata(metadata: unknown, report: Report): void {
  if (!isRecord(metadata)) {
    report('metadata', 'must be an object');
    return;
  }
  const name = metadata['name'];
  if (typeof name !== 'string' || !isDns1123Subdomain(name)) report('metadata.name', 'must be a DNS subdomain (lowercase letters, digits, - and .)');
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata[field];
    if (map === undefined) continue;
    if (!isRecord(map)) {
      report(`metadata.${field}`, 'must be a map of strings');
      continue;
    }
    for (const [key, value] of Object.entries(map)) {
      if (!isQualifiedName(key)) report(`metadata.${field}.${key}`, 'is not a valid key');
      if (typeof value !== 'string') report(`metadata.${field}.${key}`, 'must be a string');
      else if (field === 'labels' && !isLabelValue(value)) report(`metadata.${field}.${key}`, `"${value}" is not a valid label value`);
    }
  }
}

function checkWebhook(webhook: JsonObject, at: string, mutating: boolean, report: Report): void {
  unknownFields(webhook, mutating ? [...WEBHOOK_FIELDS, 'reinvocationPolicy'] : WEBHOOK_FIELDS, at, report);
  const name = webhook['name'];
  if (typeof name !== 'string' || !isFullyQualifiedName(name)) {
    report(`${at}.name`, 'must be a fully qualified name: a DNS subdomain with at least three segments, e.g. check.example.com');
  }
  checkClientConfig(webhook['clientConfig'], `${at}.clientConfig`, report);
  const rules = webhook['rules'];
  if (rules !== undefined) {
    if (!Array.isArray(rules)) report(`${at}.rules`, 'must be a list');
    else rules.forEach((rule: unknown, i) => checkRule(rule, `${at}.rules[${i}]`, report));
  }
  oneOf(webhook, 'failurePolicy', ['Fail', 'Ignore'], at, report);
  oneOf(webhook, 'matchPolicy', ['Equivalent', 'Exact'], at, report);
  if (webhook['sideEffects'] === undefined) report(`${at}.sideEffects`, 'is required: None or NoneOnDryRun');
  else oneOf(webhook, 'sideEffects', ['None', 'NoneOnDryRun'], at, report);
  if (mutating) oneOf(webhook, 'reinvocationPolicy', ['IfNeeded', 'Never'], at, report);
  const timeout = webhook['timeoutSeconds'];
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > 30)) {
    report(`${at}.timeoutSeconds`, 'must be a whole number of seconds from 1 to 30');
  }
  for (const field of ['namespaceSelector', 'objectSelector'] as const) {
    if (webhook[field] !== undefined) checkLabelSelector(webhook[field], `${at}.${field}`, report);
  }
  const versions = webhook['admissionReviewVersions'];
  if (!isStringArray(versions) || versions.length === 0) {
    report(`${at}.admissionReviewVersions`, 'is required: a list including v1');
  } else {
    if (new Set(versions).size !== versions.length) report(`${at}.admissionReviewVersions`, 'must not repeat a version');
    for (const v of versions) if (!isDns1035Label(v)) report(`${at}.admissionReviewVersions`, `"${v}" is not a version name`);
    if (!versions.some((v) => ACCEPTED_REVIEW_VERSIONS.has(v))) report(`${at}.admissionReviewVersions`, 'must include v1 or v1beta1');
  }
  const conditions = webhook['matchConditions'];
  if (conditions !== undefined && (!Array.isArray(conditions) || conditions.length > 64
    || !conditions.every((c) => isRecord(c) && typeof c['name'] === 'string' && typeof c['expression'] === 'string'))) {
    report(`${at}.matchConditions`, 'must be a list of at most 64 {name, expression}');
  }
}

function oneOf(object: JsonObject, field: string, values: readonly string[], at: string, report: Report): void {
  const value = object[field];
  if (value !== undefined && !(typeof value === 'string' && values.includes(value))) {
    report(`${at}.${field}`, `must be one of ${values.join(', ')}`);
  }
}

function checkClientConfig(config: unknown, at: string, report: Report): void {
  if (!isRecord(config)) {
    report(at, 'is required');
    return;
  }
  unknownFields(config, ['url', 'service', 'caBundle'], at, report);
  const { url, service, caBundle } = config;
  if ((url === undefined) === (service === undefined)) report(at, 'exactly one of url or service is required');
  if (url !== undefined) checkUrl(url, `${at}.url`, report);
  if (service !== undefined) checkService(service, `${at}.service`, report);
  if (caBundle !== undefined) {
    if (typeof caBundle !== 'string' || !BASE64.test(caBundle)) report(`${at}.caBundle`, 'must be base64');
    // The API server takes any bytes; a bundle without a certificate would fail every call.
    else if (!Buffer.from(caBundle, 'base64').toString('utf8').includes('-----BEGIN CERTIFICATE-----')) {
      report(`${at}.caBundle`, 'must be base64 of PEM certificates');
    }
  }
}

function checkUrl(value: unknown, at: string, report: Report): void {
  const form = '; desired format: https://host[/path]';
  if (typeof value !== 'string') {
    report(at, `must be a string${form}`);
    return;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    report(at, `must be a valid URL${form}`);
    return;
  }
  if (url.protocol !== 'https:') report(at, `'https' is the only allowed URL scheme${form}`);
  if (url.host === '') report(at, `host must be provided${form}`);
  if (url.username !== '' || url.password !== '') report(at, 'user information is not permitted in the URL');
  if (value.includes('#')) report(at, 'fragments are not permitted in the URL');
  if (value.includes('?')) report(at, 'query parameters are not permitted in the URL');
}

function checkService(value: unknown, at: string, report: Report): void {
  if (!isRecord(value)) {
    report(at, 'must be an object');
    return;
  }
  unknownFields(value, ['name', 'namespace', 'port', 'path'], at, report);
  if (typeof value['name'] !== 'string' || value['name'] === '') report(`${at}.name`, 'service name is required');
  if (typeof value['namespace'] !== 'string' || value['namespace'] === '') report(`${at}.namespace`, 'service namespace is required');
  const port = value['port'] ?? 443;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) report(`${at}.port`, 'must be a port number from 1 to 65535');
  const path = value['path'];
  if (path === undefined || path === '' || path === '/') return;
  if (typeof path !== 'string') {
    report(`${at}.path`, 'must be a string');
    return;
  }
  if (!path.startsWith('/')) report(`${at}.path`, "must start with a '/'");
  let rest = path.startsWith('/') ? path.slice(1) : path;
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  rest.split('/').forEach((segment, i) => {
    if (segment === '') report(`${at}.path`, `segment[${i}] may not be empty`);
    else if (!isDns1123Subdomain(segment)) report(`${at}.path`, `segment[${i}] "${segment}" must be a DNS subdomain`);
  });
}

function checkRule(rule: unknown, at: string, report: Report): void {
  if (!isRecord(rule)) {
    report(at, 'must be an object');
    return;
  }
  unknownFields(rule, ['apiGroups', 'apiVersions', 'operations', 'resources', 'scope'], at, report);
  const list = (field: string, what: string): string[] | undefined => {
    const value = rule[field];
    if (!isStringArray(value) || value.length === 0) {
      report(`${at}.${field}`, 'is required: a non-empty list');
      return undefined;
    }
    if (value.length > 1 && value.includes('*')) report(`${at}.${field}`, `if '*' is present, must not specify other ${what}`);
    return value;
  };
  list('apiGroups', 'API groups');
  const versions = list('apiVersions', 'API versions');
  if (versions?.includes('')) report(`${at}.apiVersions`, 'must not contain an empty version');
  const operations = list('operations', 'operations');
  for (const op of operations ?? []) if (!OPERATIONS.has(op)) report(`${at}.operations`, `unsupported operation "${op}"`);
  const resources = rule['resources'];
  if (!isStringArray(resources) || resources.length === 0) report(`${at}.resources`, 'is required: a non-empty list');
  else checkResources(resources, `${at}.resources`, report);
  const scope = rule['scope'];
  if (scope !== undefined && !(typeof scope === 'string' && SCOPES.has(scope))) report(`${at}.scope`, 'must be one of *, Cluster, Namespaced');
}

/** As validateResources: `*` only with subresources, `*\/*` alone, no `x/y` beside `x/*` or `*\/y`. */
function checkResources(resources: string[], at: string, report: Report): void {
  const wildcardSubresources = new Set<string>();
  const wildcardResources = new Set<string>();
  let single = false;
  let plain = false;
  resources.forEach((entry, i) => {
    if (entry === '') {
      report(`${at}[${i}]`, 'must not be empty');
      return;
    }
    if (entry === '*') single = true;
    const slash = entry.indexOf('/');
    if (slash === -1) {
      if (entry !== '*') plain = true;
      return;
    }
    const [resource, sub] = [entry.slice(0, slash), entry.slice(slash + 1)];
    if (wildcardSubresources.has(resource)) report(`${at}[${i}]`, `if '${resource}/*' is present, must not specify ${entry}`);
    if (wildcardResources.has(sub)) report(`${at}[${i}]`, `if '*/${sub}' is present, must not specify ${entry}`);
    if (sub === '*') wildcardSubresources.add(resource);
    if (resource === '*') wildcardResources.add(sub);
  });
  if (resources.length > 1 && resources.includes('*/*')) report(at, "if '*/*' is present, must not specify other resources");
  if (single && plain) report(at, "if '*' is present, must not specify other resources without subresources");
}

function checkLabelSelector(selector: unknown, at: string, report: Report): void {
  if (!isRecord(selector)) {
    report(at, 'must be an object');
    return;
  }
  unknownFields(selector, ['matchLabels', 'matchExpressions'], at, report);
  const labels = selector['matchLabels'];
  if (labels !== undefined) {
    if (!isRecord(labels)) report(`${at}.matchLabels`, 'must be a map of strings');
    else {
      for (const [key, value] of Object.entries(labels)) {
        if (!isQualifiedName(key)) report(`${at}.matchLabels`, `"${key}" is not a valid label key`);
        if (typeof value !== 'string' || !isLabelValue(value)) report(`${at}.matchLabels.${key}`, 'is not a valid label value');
      }
    }
  }
  const expressions = selector['matchExpressions'];
  if (expressions === undefined) return;
  if (!Array.isArray(expressions)) {
    report(`${at}.matchExpressions`, 'must be a list');
    return;
  }
  expressions.forEach((expression: unknown, i) => {
    const here = `${at}.matchExpressions[${i}]`;
    if (!isRecord(expression)) {
      report(here, 'must be an object');
      return;
    }
    unknownFields(expression, ['key', 'operator', 'values'], here, report);
    const { key, operator, values } = expression;
    if (typeof key !== 'string' || !isQualifiedName(key)) report(`${here}.key`, 'is not a valid label key');
    const list = values === undefined ? [] : values;
    if (!isStringArray(list)) {
      report(`${here}.values`, 'must be a list of strings');
      return;
    }
    if (operator === 'In' || operator === 'NotIn') {
      if (list.length === 0) report(`${here}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\'');
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      if (list.length > 0) report(`${here}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\'');
    } else {
      report(`${here}.operator`, 'must be one of In, NotIn, Exists, DoesNotExist');
    }
    for (const value of list) if (!isLabelValue(value)) report(`${here}.values`, `"${value}" is not a valid label value`);
  });
}
