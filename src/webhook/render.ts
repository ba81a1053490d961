/**
 * renderWebhookConfigurations(ruleSet, config, options) → the ValidatingWebhookConfiguration and,
 * when mutation is opted in, the MutatingWebhookConfiguration that send Palisade exactly the
 * requests its loaded rules need. Pure (no I/O, no clock): `palisade webhook-config` renders them
 * for the Helm chart, and the in-cluster reconciler renders the same objects to keep them current.
 *
 * What is rendered, and why (docs/webhook-configuration.md says it for users):
 * - Two validating registrations. `enforce.validate.palisade.dev` (/validate/enforce,
 *   failurePolicy Fail) receives the kinds of the rules whose configured mode is enforce, plus
 *   Namespace CREATE/UPDATE for the `palisade.dev/*` label guard. `audit.validate.palisade.dev`
 *   (/validate/audit, Ignore) receives the kinds of every other rule, so an outage never blocks
 *   what is not enforced. The split is the server's own (admission/registration.ts `servedBy`), so
 *   each registration's requests are answered by the rules it was registered for.
 * - Only the kinds and operations rules name. Context rules never run at admission and add nothing.
 *   Leases and events are never intercepted; a rule over `*` is narrowed so they stay out.
 * - Namespaces excluded in the configuration (plain names) and Palisade's own namespace are left
 *   out by the immutable `kubernetes.io/metadata.name` label. A namespaceSelector does not apply
 *   to cluster-scoped kinds: those are still sent, and the server decides.
 */
import { MUTATE_LABEL } from '../admission/mutate-review.js';
import { servedBy } from '../admission/registration.js';
import type { PalisadeConfig } from '../config/types.js';
import type { RuleSet } from '../engine/rule-set.js';
import { matchesAnyGlob } from '../engine/selectors.js';
import { classRunsIn } from '../rules/classes.js';
import { WORKLOADS } from '../rules/loader.js';
import type { CompiledRule, LabelSelector, LabelSelectorRequirement, Operation } from '../rules/types.js';
import { checkWebhookConfiguration, isDns1035Label, isDns1123Label, isDns1123Subdomain } from './check.js';
import {
  GROUPS_WITH_EXCLUSIONS,
  isNeverIntercepted,
  isNeverSentToWebhooks,
  KNOWN_GROUPS,
  knownResourcesOf,
  resourceNameOf,
} from './resource-names.js';
import type {
  ConfigurationMetadata,
  FailurePolicy,
  MutatingWebhook,
  MutatingWebhookConfiguration,
  ValidatingWebhook,
  ValidatingWebhookConfiguration,
  WebhookClientConfig,
  WebhookRule,
} from './types.js';
import { compare, Interceptions } from './webhook-rules.js';

export const WEBHOOKS = {
  enforce: { name: 'enforce.validate.palisade.dev', path: '/validate/enforce', failurePolicy: 'Fail' },
  audit: { name: 'audit.validate.palisade.dev', path: '/validate/audit', failurePolicy: 'Ignore' },
  mutate: { name: 'mutate.palisade.dev', path: '/mutate', failurePolicy: 'Ignore' },
  // Palisade's own Rule and Exception resources: checked (CEL compiles, exception policy) and
  // stamped with their creator wherever they live, including Palisade's own namespace, which the
  // other registrations exclude. Fail: a Rule that was never checked must not slip in.
  resources: { name: 'resources.validate.palisade.dev', path: '/validate/enforce', failurePolicy: 'Fail' },
  stamp: { name: 'stamp.mutate.palisade.dev', path: '/mutate', failurePolicy: 'Fail' },
  // With image verification configured: new Pods' verified images pinned to their digests.
  // Ignore: when it cannot answer, /validate still verifies the tag (without the pin).
  pin: { name: 'pin.mutate.palisade.dev', path: '/mutate', failurePolicy: 'Ignore' },
} as const satisfies Record<string, { name: string; path: string; failurePolicy: FailurePolicy }>;

export const DEFAULT_CONFIGURATION_NAME = 'palisade';
export const DEFAULT_SERVICE_PORT = 443;
/** DESIGN: the API server waits this long on every intercepted request when Palisade is slow. */
export const MAX_TIMEOUT_SECONDS = 5;
/** Immutable, set by the API server on every namespace: a tenant cannot relabel their way out. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
/** Fields Palisade reconciles in a cluster, so GitOps tools can be told to leave them alone. */
export const OWNED_FIELDS_ANNOTATION = 'palisade.dev/owned-fields';
export const OWNED_FIELDS: readonly string[] = ['webhooks[*].clientConfig.caBundle', 'webhooks[*].rules'];
export const CONFIGURATION_LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'palisade',
  'app.kubernetes.io/managed-by': 'palisade',
};

export type WebhookClient =
  /** The in-cluster Service in front of Palisade. */
  | { service: { name: string; namespace: string; port?: number } }
  /** Palisade outside the cluster: `https://host[:port][/prefix]`; the endpoint paths are appended. */
  | { url: string };

export interface RenderOptions {
  client: WebhookClient;
  /** Palisade's own namespace, never sent to the webhooks. Default: the Service's namespace. */
  ownNamespace?: string;
  /**
   * The PEM CA bundle that signed Palisade's serving certificate. Absent: no caBundle is rendered,
   * and the in-cluster reconciler or cert-manager's CA injector fills it.
   */
  caBundle?: string;
  /** metadata.name of both configurations (default `palisade`). */
  name?: string;
  /** 1 to 5 (default 5). */
  timeoutSeconds?: number;
  /**
   * Resource names for kinds the built-in table lacks (custom resources), by `group/Kind` or bare
   * `Kind`: `{ 'argoproj.io/Rollout': 'rollouts' }`. The in-cluster reconciler takes them from API
   * discovery.
   */
  resourceNames?: Readonly<Record<string, string>>;
  /** More API groups that a rule over every kind (`*`) should cover: custom resources' groups. */
  apiGroups?: readonly string[];
}

export const RENDER_WARNING_CODES = [
  'resource-name-guessed',
  'wildcard-narrowed',
  'never-intercepted',
  'not-sent-to-webhooks',
  'namespace-not-excludable',
  'rule-in-excluded-namespaces',
  'mutation-not-rendered',
] as const;
export type RenderWarningCode = (typeof RENDER_WARNING_CODES)[number];

/** Something the configurations cannot say exactly as the rules or configuration do. */
export interface RenderWarning {
  code: RenderWarningCode;
  message: string;
  /** The rules concerned, when it is about rules. */
  rules: string[];
}

export interface RenderedWebhooks {
  validating: ValidatingWebhookConfiguration;
  /** Present only when the configuration opts rules in to mutation and one of them can mutate. */
  mutating?: MutatingWebhookConfiguration;
  warnings: RenderWarning[];
}

/** Options that cannot be rendered; the message names the option and what it must be. */
export class WebhookOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookOptionsError';
  }
}

interface NormalOptions {
  clientConfig: (path: string) => WebhookClientConfig;
  ownNamespace?: string;
  name: string;
  timeoutSeconds: number;
  resourceNames: Readonly<Record<string, string>>;
  apiGroups: readonly string[];
}

type RuleSource = Pick<RuleSet, 'rules' | 'podTemplates'>;

export function renderWebhookConfigurations(ruleSet: RuleSource, config: PalisadeConfig, options: RenderOptions): RenderedWebhooks {
  const opts = normaliseOptions(options);
  const warnings = new Warnings();
  const excluded = excludedNamespaces(config, opts, warnings);
  const rules = admissionRules(ruleSet, (ns) => ns === opts.ownNamespace || matchesAnyGlob(config.policy.excludedNamespaces, ns), warnings);
  const expand = resourceExpander(ruleSet, opts, warnings);

  const enforce = new Interceptions();
  const audit = new Interceptions();
  for (const rule of rules) {
    const enforced = servedBy('enforce', { ruleId: rule.meta.id, ruleMode: rule.meta.mode }, config.policy);
    expand(enforced ? enforce : audit, rule, rule.match.operations);
  }
  for (const target of [enforce, audit]) addEphemeralContainers(target);
  // The palisade.dev/* label guard: only the configured users may change a namespace's mode labels.
  enforce.add('', 'namespaces', ['CREATE', 'UPDATE']);

  const exclusion = (): LabelSelectorRequirement[] =>
    excluded.length > 0 ? [{ key: NAMESPACE_NAME_LABEL, operator: 'NotIn', values: [...excluded] }] : [];
  const webhooks: ValidatingWebhook[] = [validatingWebhook(WEBHOOKS.enforce, enforce.toRules(), exclusion(), opts)];
  if (audit.size > 0) webhooks.push(validatingWebhook(WEBHOOKS.audit, audit.toRules(), exclusion(), opts));
  webhooks.push(validatingWebhook(WEBHOOKS.resources, palisadeResourceRules(['exceptions', 'rules']), [], opts));
  const validating: ValidatingWebhookConfiguration = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: metadata(opts.name),
    webhooks,
  };

  // Exceptions always get their creator stamped, so the mutating configuration always exists.
  const stamp: MutatingWebhook = { ...validatingWebhook(WEBHOOKS.stamp, palisadeResourceRules(['exceptions']), [], opts), reinvocationPolicy: 'Never' };
  let mutating: MutatingWebhookConfiguration = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: metadata(opts.name), webhooks: [stamp] };
  const mutations = mutationInterceptions(ruleSet, rules, config, expand, warnings);
  if (mutations) {
    const expressions = exclusion();
    // Opt-in is by name (admission.mutation.namespaces) OR by the label palisade.dev/mutate=true
    // (admission/mutate-review.ts). A namespaceSelector can only AND its requirements, so it can
    // say "labelled" but not "named or labelled": with no names configured the label is the only
    // way in and the selector says so exactly; with names (or globs, or `*`) it is not narrowed,
    // and the server answers requests from namespaces that did not opt in without a patch.
    if (config.admission.mutation.namespaces.length === 0) expressions.push({ key: MUTATE_LABEL, operator: 'In', values: ['true'] });
    mutating = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: metadata(opts.name),
      webhooks: [stamp, {
        ...validatingWebhook(WEBHOOKS.mutate, mutations.toRules(), expressions, opts),
        // Another mutating webhook may act after Palisade and add what Palisade's defaults should
        // cover too, such as a sidecar injector adding a container. IfNeeded has the API server call
        // Palisade again when a later webhook changed the object. Palisade's patches only add
        // fields that are absent, so a second run on an object it already patched changes nothing.
        reinvocationPolicy: 'IfNeeded',
      } satisfies MutatingWebhook],
    };
  }

  if ((config.images?.verify.length ?? 0) > 0) {
    mutating.webhooks.push({
      ...validatingWebhook(WEBHOOKS.pin, [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }], exclusion(), opts),
      // A container another webhook adds later (a sidecar) is pinned too.
      reinvocationPolicy: 'IfNeeded',
    } satisfies MutatingWebhook);
  }

  for (const object of [validating, mutating]) {
    if (!object) continue;
    const problems = checkWebhookConfiguration(object);
    // Only a bug in the renderer gets here: every option was checked above.
    if (problems.length > 0) throw new Error(`internal: rendered an invalid ${object.kind}:\n${problems.join('\n')}`);
  }
  return { validating, ...(mutating ? { mutating } : {}), warnings: warnings.list() };
}

function normaliseOptions(options: RenderOptions): NormalOptions {
  const name = options.name ?? DEFAULT_CONFIGURATION_NAME;
  if (!isDns1123Subdomain(name)) throw new WebhookOptionsError(`name "${name}": must be a DNS subdomain (lowercase letters, digits, - and .)`);
  const timeoutSeconds = options.timeoutSeconds ?? MAX_TIMEOUT_SECONDS;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
    throw new WebhookOptionsError(`timeoutSeconds ${timeoutSeconds}: must be a whole number from 1 to ${MAX_TIMEOUT_SECONDS}; the API server holds every intercepted request that long when Palisade does not answer`);
  }
  let ownNamespace = options.ownNamespace;
  let base: (path: string) => Omit<WebhookClientConfig, 'caBundle'>;
  if ('service' in options.client) {
    const { name: service, namespace, port = DEFAULT_SERVICE_PORT } = options.client.service;
    if (!isDns1035Label(service)) throw new WebhookOptionsError(`service name "${service}": must be a DNS label starting with a letter`);
    if (!isDns1123Label(namespace)) throw new WebhookOptionsError(`service namespace "${namespace}": must be a namespace name (a DNS label)`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new WebhookOptionsError(`service port ${port}: must be a port number from 1 to 65535`);
    ownNamespace ??= namespace;
    base = (path) => ({ service: { name: service, namespace, port, path } });
  } else {
    const prefix = urlPrefix(options.client.url);
    base = (path) => ({ url: `${prefix}${path}` });
  }
  if (ownNamespace !== undefined && !isDns1123Label(ownNamespace)) {
    throw new WebhookOptionsError(`own namespace "${ownNamespace}": must be a namespace name (a DNS label)`);
  }
  let caBundle: string | undefined;
  if (options.caBundle !== undefined) {
    if (!options.caBundle.includes('-----BEGIN CERTIFICATE-----')) throw new WebhookOptionsError('CA bundle: must hold PEM certificates (-----BEGIN CERTIFICATE-----)');
    caBundle = Buffer.from(options.caBundle, 'utf8').toString('base64');
  }
  const resourceNames = options.resourceNames ?? {};
  for (const [key, resource] of Object.entries(resourceNames)) {
    if (!/^(?:[a-z0-9.-]*\/)?[A-Za-z][A-Za-z0-9]*$/.test(key)) throw new WebhookOptionsError(`resource name for "${key}": expected GROUP/Kind or Kind, e.g. argoproj.io/Rollout`);
    if (!isDns1123Label(resource)) throw new WebhookOptionsError(`resource name "${resource}" for ${key}: must be a lowercase plural resource name, e.g. rollouts`);
  }
  const apiGroups = options.apiGroups ?? [];
  for (const group of apiGroups) {
    if (!isDns1123Subdomain(group)) throw new WebhookOptionsError(`API group "${group}": must be a group name such as argoproj.io`);
  }
  return {
    clientConfig: (path) => ({ ...base(path), ...(caBundle ? { caBundle } : {}) }),
    ...(ownNamespace !== undefined ? { ownNamespace } : {}),
    name,
    timeoutSeconds,
    resourceNames,
    apiGroups,
  };
}

/** `https://host[:port][/prefix]` without a trailing slash, as the API server accepts it. */
function urlPrefix(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookOptionsError(`url "${text}": not a URL; expected https://HOST[:PORT][/PREFIX]`);
  }
  if (url.protocol !== 'https:') throw new WebhookOptionsError(`url "${text}": the API server calls webhooks over https only`);
  if (url.username || url.password) throw new WebhookOptionsError(`url "${text}": user information is not allowed in a webhook URL`);
  if (text.includes('?') || text.includes('#')) throw new WebhookOptionsError(`url "${text}": a webhook URL may have no query or fragment`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Excluded namespace names that a namespaceSelector can express, with Palisade's own, sorted. */
function excludedNamespaces(config: PalisadeConfig, opts: NormalOptions, warnings: Warnings): string[] {
  const names = new Set<string>();
  for (const pattern of config.policy.excludedNamespaces) {
    if (isDns1123Label(pattern)) names.add(pattern);
    else {
      warnings.add('namespace-not-excludable', `excluded namespace pattern "${pattern}" cannot be written as a namespaceSelector (it matches names, not a list): requests from matching namespaces still reach Palisade, which skips them`);
    }
  }
  if (opts.ownNamespace) names.add(opts.ownNamespace);
  return [...names].sort(compare);
}

/**
 * The rules that can run at admission: not context rules (they need the whole cluster), and not
 * rules limited to namespaces that are all excluded (they would never be asked).
 */
function admissionRules(ruleSet: RuleSource, isExcluded: (namespace: string) => boolean, warnings: Warnings): CompiledRule[] {
  return ruleSet.rules.filter((rule) => {
    if (!classRunsIn(rule.meta.ruleClass, 'admission')) return false;
    const only = rule.match.namespaces;
    if (only.length > 0 && only.every((ns) => !ns.includes('*') && isExcluded(ns))) {
      warnings.add('rule-in-excluded-namespaces', `the rule matches only namespaces excluded from admission (${only.join(', ')}), so it never runs at admission and adds nothing to the webhooks`, rule.meta.id);
      return false;
    }
    return true;
  });
}

type Expand = (target: Interceptions, rule: CompiledRule, operations: readonly Operation[]) => void;

/** Adds a rule's kinds, as resources, to a registration: `workloads` and `*` expanded. */
function resourceExpander(ruleSet: RuleSource, opts: NormalOptions, warnings: Warnings): Expand {
  const wildcardGroups = groupsForWildcard(ruleSet, opts);
  const display = (group: string, kind: string): string => (group === '' ? `${kind} (core)` : group === '*' ? `${kind} (any group)` : `${group}/${kind}`);
  const never = (what: string): string => `${what} is never intercepted: leases and events are written too often to wait on a webhook; the rule still checks them in the background audit and in palisade scan`;

  const addKind = (target: Interceptions, rule: CompiledRule, group: string, kind: string, ops: readonly Operation[]): void => {
    if (isNeverSentToWebhooks(group, kind)) {
      warnings.add('not-sent-to-webhooks', `${display(group, kind)} is never sent to admission webhooks by the API server (it guards its own admission configuration); the rule still checks it in the background audit and in palisade scan`, rule.meta.id);
      return;
    }
    const { resource, source } = resourceNameOf(group, kind, opts.resourceNames);
    if (isNeverIntercepted(group, resource)) {
      warnings.add('never-intercepted', never(display(group, kind)), rule.meta.id);
      return;
    }
    if (source === 'guessed') {
      const key = group === '*' ? kind : `${group}/${kind}`;
      warnings.add('resource-name-guessed', `${display(group, kind)} is not a kind Palisade knows: its resource name is guessed as "${resource}"; if the custom resource's plural differs, give it (--resource-name ${key}=PLURAL)`, rule.meta.id);
    }
    target.add(group, resource, ops);
  };

  const addWildcard = (target: Interceptions, rule: CompiledRule, group: string, ops: readonly Operation[]): void => {
    const named: string[] = [];
    for (const g of group === '*' ? wildcardGroups : [group]) {
      const resources = GROUPS_WITH_EXCLUSIONS.has(g)
        ? [...new Set([...knownResourcesOf(g), ...explicitResourcesOf(g, opts)])].filter((r) => !isNeverIntercepted(g, r)).sort(compare)
        : ['*'];
      for (const resource of resources) target.add(g, resource, ops);
      if (resources.length > 0 && g !== '') named.push(g);
      if (group !== '*' && GROUPS_WITH_EXCLUSIONS.has(g)) {
        warnings.add('wildcard-narrowed', `kind "*" in ${g === '' ? 'the core group' : g} is narrowed to ${resources.length > 0 ? `its resources listed one by one (${resources.join(', ')})` : 'nothing'}: the webhook API cannot leave a resource out of "*", and leases and events are never intercepted`, rule.meta.id);
      }
    }
    if (group === '*') {
      warnings.add('wildcard-narrowed', `kind "*" in every API group is narrowed: the webhook API cannot leave a resource out of "*", and leases and events are never intercepted, so the core group's resources are listed one by one and the other groups by name (${named.join(', ')}); resources of other groups (custom resources) are not sent to Palisade unless their group is named (--api-group GROUP)`, rule.meta.id);
    }
  };

  return (target, rule, ops) => {
    for (const selector of rule.match.resources) {
      for (const kind of selector.kinds) {
        if (kind === WORKLOADS) {
          for (const template of ruleSet.podTemplates.values()) addKind(target, rule, template.apiGroup, template.kind, ops);
          continue;
        }
        for (const group of selector.apiGroups) {
          if (group === WORKLOADS) continue;
          if (kind === '*') addWildcard(target, rule, group, ops);
          else addKind(target, rule, group, kind, ops);
        }
      }
    }
  };
}

/** The groups a rule over every group covers: the table's, the options', and any a rule or template names. */
function groupsForWildcard(ruleSet: RuleSource, opts: NormalOptions): string[] {
  const groups = new Set<string>([...KNOWN_GROUPS, ...opts.apiGroups]);
  for (const key of Object.keys(opts.resourceNames)) {
    const slash = key.indexOf('/');
    if (slash !== -1) groups.add(key.slice(0, slash));
  }
  for (const template of ruleSet.podTemplates.values()) groups.add(template.apiGroup);
  for (const rule of ruleSet.rules) {
    for (const selector of rule.match.resources) {
      for (const group of selector.apiGroups) if (group !== '*' && group !== WORKLOADS) groups.add(group);
    }
  }
  return [...groups].sort(compare);
}

function explicitResourcesOf(group: string, opts: NormalOptions): string[] {
  return Object.entries(opts.resourceNames).filter(([key]) => key.startsWith(`${group}/`)).map(([, resource]) => resource);
}

/**
 * Palisade evaluates an update of a Pod's ephemeral containers (`kubectl debug`) as the Pod, so a
 * registration that sees Pod updates also sees that subresource: otherwise a privileged debug
 * container would slip past every pod rule.
 */
function addEphemeralContainers(target: Interceptions): void {
  for (const group of ['', '*']) {
    if (target.operationsOf(group, 'pods').includes('UPDATE')) target.add(group, 'pods/ephemeralcontainers', ['UPDATE']);
  }
}

/**
 * What /mutate must receive: the kinds of the opted-in rules that have mutations, at CREATE and
 * UPDATE (what mutate() acts on), or only Pods at CREATE with admission.mutatePodsOnly. Undefined
 * when nothing is opted in or nothing opted in can mutate.
 */
function mutationInterceptions(
  ruleSet: RuleSource,
  admissible: readonly CompiledRule[],
  config: PalisadeConfig,
  expand: Expand,
  warnings: Warnings,
): Interceptions | undefined {
  const opted = config.admission.mutation.rules;
  if (opted.length === 0) return undefined;
  const target = new Interceptions();
  for (const id of opted) {
    const rule = ruleSet.rules.find((r) => r.meta.id === id);
    if (!rule) {
      warnings.add('mutation-not-rendered', 'opted in to mutation (admission.mutation.rules) but not loaded: it is disabled', id);
      continue;
    }
    if (rule.mutations.length === 0) {
      warnings.add('mutation-not-rendered', 'opted in to mutation (admission.mutation.rules) but has no mutations', id);
      continue;
    }
    if (!classRunsIn(rule.meta.ruleClass, 'admission')) {
      warnings.add('mutation-not-rendered', `opted in to mutation, but it is a ${rule.meta.ruleClass} rule, which never runs at admission`, id);
      continue;
    }
    // A rule limited to excluded namespaces was reported already.
    if (!admissible.includes(rule)) continue;
    const ops = rule.match.operations.filter((op) => op === 'CREATE' || op === 'UPDATE');
    if (!config.admission.mutatePodsOnly) {
      expand(target, rule, ops);
      continue;
    }
    const probe = new Interceptions();
    expand(probe, rule, ['CREATE']);
    const podRule = probe.operationsOf('', 'pods').length > 0 || probe.operationsOf('*', 'pods').length > 0;
    if (podRule && ops.includes('CREATE')) target.add('', 'pods', ['CREATE']);
    else warnings.add('mutation-not-rendered', 'opted in to mutation, but admission.mutatePodsOnly is true and the rule does not match Pods at CREATE', id);
  }
  if (target.size > 0) return target;
  warnings.add('mutation-not-rendered', 'no mutation webhook is rendered: no rule in admission.mutation.rules can mutate what the webhook would receive');
  return undefined;
}

function palisadeResourceRules(resources: string[]): WebhookRule[] {
  return [{ apiGroups: ['palisade.dev'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources, scope: '*' }];
}

function validatingWebhook(
  registration: { name: string; path: string; failurePolicy: FailurePolicy },
  rules: WebhookRule[],
  selector: LabelSelectorRequirement[],
  opts: NormalOptions,
): ValidatingWebhook {
  const namespaceSelector: LabelSelector | undefined = selector.length > 0 ? { matchExpressions: selector } : undefined;
  return {
    name: registration.name,
    clientConfig: opts.clientConfig(registration.path),
    rules,
    ...(namespaceSelector ? { namespaceSelector } : {}),
    failurePolicy: registration.failurePolicy,
    matchPolicy: 'Equivalent',
    sideEffects: 'None',
    timeoutSeconds: opts.timeoutSeconds,
    admissionReviewVersions: ['v1'],
  };
}

function metadata(name: string): ConfigurationMetadata {
  return {
    name,
    labels: { ...CONFIGURATION_LABELS },
    annotations: { [OWNED_FIELDS_ANNOTATION]: OWNED_FIELDS.join(',') },
  };
}

/** Warnings with the same code and detail are reported once, naming every rule concerned. */
class Warnings {
  private readonly byKey = new Map<string, { code: RenderWarningCode; detail: string; rules: Set<string> }>();

  add(code: RenderWarningCode, detail: string, ruleId?: string): void {
    const key = `${code}\u0000${detail}`;
    let entry = this.byKey.get(key);
    if (!entry) this.byKey.set(key, (entry = { code, detail, rules: new Set() }));
    if (ruleId) entry.rules.add(ruleId);
  }

  list(): RenderWarning[] {
    return [...this.byKey.values()]
      .map(({ code, detail, rules }) => {
        const ids = [...rules].sort(compare);
        const message = ids.length === 0 ? detail : `${ids.length === 1 ? 'rule' : 'rules'} ${ids.join(', ')}: ${detail}`;
        return { code, message, rules: ids };
      })
      .sort((a, b) => compare(a.code, b.code) || compare(a.message, b.message));
  }
}
