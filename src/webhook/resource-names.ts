/**
 * Kinds → resource names, for webhook `rules[].resources`. Rules name kinds (Deployment); the API
 * server matches webhooks by resource (deployments). The table covers the built-in kinds and the
 * Gateway API kinds a built-in rule names. Other kinds get their name from an explicit mapping (the
 * in-cluster reconciler takes it from API discovery; the CLI from --resource-name), or else a guess
 * that the caller reports as a warning.
 *
 * Two lists say what is never sent to Palisade: resources it must not intercept (leases: every node
 * and every leader-elected controller renews one every few seconds; events: written on every state
 * change) and kinds the API server never sends to any admission webhook (its own admission
 * configuration, so that a broken webhook cannot lock out its own repair).
 */
import { kindKey } from '../engine/pod-spec.js';

export interface KnownKind {
  /** API group; '' for the core group. */
  group: string;
  kind: string;
  resource: string;
}

const KINDS: Record<string, Record<string, string>> = {
  '': {
    ConfigMap: 'configmaps',
    Endpoints: 'endpoints',
    Event: 'events',
    LimitRange: 'limitranges',
    Namespace: 'namespaces',
    Node: 'nodes',
    PersistentVolume: 'persistentvolumes',
    PersistentVolumeClaim: 'persistentvolumeclaims',
    Pod: 'pods',
    PodTemplate: 'podtemplates',
    ReplicationController: 'replicationcontrollers',
    ResourceQuota: 'resourcequotas',
    Secret: 'secrets',
    Service: 'services',
    ServiceAccount: 'serviceaccounts',
  },
  'admissionregistration.k8s.io': {
    MutatingAdmissionPolicy: 'mutatingadmissionpolicies',
    MutatingAdmissionPolicyBinding: 'mutatingadmissionpolicybindings',
    MutatingWebhookConfiguration: 'mutatingwebhookconfigurations',
    ValidatingAdmissionPolicy: 'validatingadmissionpolicies',
    ValidatingAdmissionPolicyBinding: 'validatingadmissionpolicybindings',
    ValidatingWebhookConfiguration: 'validatingwebhookconfigurations',
  },
  'apiextensions.k8s.io': { CustomResourceDefinition: 'customresourcedefinitions' },
  'apiregistration.k8s.io': { APIService: 'apiservices' },
  apps: {
    ControllerRevision: 'controllerrevisions',
    DaemonSet: 'daemonsets',
    Deployment: 'deployments',
    ReplicaSet: 'replicasets',
    StatefulSet: 'statefulsets',
  },
  autoscaling: { HorizontalPodAutoscaler: 'horizontalpodautoscalers' },
  batch: { CronJob: 'cronjobs', Job: 'jobs' },
  'certificates.k8s.io': { CertificateSigningRequest: 'certificatesigningrequests' },
  'coordination.k8s.io': { Lease: 'leases' },
  'discovery.k8s.io': { EndpointSlice: 'endpointslices' },
  'events.k8s.io': { Event: 'events' },
  'gateway.networking.k8s.io': {
    Gateway: 'gateways',
    GatewayClass: 'gatewayclasses',
    GRPCRoute: 'grpcroutes',
    HTTPRoute: 'httproutes',
    ReferenceGrant: 'referencegrants',
    TLSRoute: 'tlsroutes',
  },
  'networking.k8s.io': { Ingress: 'ingresses', IngressClass: 'ingressclasses', NetworkPolicy: 'networkpolicies' },
  'node.k8s.io': { RuntimeClass: 'runtimeclasses' },
  policy: { PodDisruptionBudget: 'poddisruptionbudgets' },
  'rbac.authorization.k8s.io': {
    ClusterRole: 'clusterroles',
    ClusterRoleBinding: 'clusterrolebindings',
    Role: 'roles',
    RoleBinding: 'rolebindings',
  },
  'scheduling.k8s.io': { PriorityClass: 'priorityclasses' },
  'storage.k8s.io': { CSIDriver: 'csidrivers', CSINode: 'csinodes', StorageClass: 'storageclasses', VolumeAttachment: 'volumeattachments' },
};

/** Every kind in the table, sorted by group then kind. */
export const KNOWN_KINDS: readonly KnownKind[] = Object.keys(KINDS).sort().flatMap((group) =>
  Object.entries(KINDS[group] ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([kind, resource]) => ({ group, kind, resource })),
);

/** The API groups of the table, sorted ('' first). */
export const KNOWN_GROUPS: readonly string[] = Object.keys(KINDS).sort();

/** Resources Palisade never intercepts, whatever a rule says: `group/resource` (core group: `/resource`). */
export const NEVER_INTERCEPTED: ReadonlySet<string> = new Set(['coordination.k8s.io/leases', '/events', 'events.k8s.io/events']);

/** Groups whose `*` would take in a never-intercepted resource: a rule's `*` there is listed out instead. */
export const GROUPS_WITH_EXCLUSIONS: ReadonlySet<string> = new Set(['', 'coordination.k8s.io', 'events.k8s.io']);

/**
 * Kinds the API server never sends to admission webhooks (Kubernetes exempts its own admission
 * configuration, so that a webhook cannot block its own repair). Rules over them still run in the
 * background audit and in `palisade scan`.
 */
export const NEVER_SENT_TO_WEBHOOKS: ReadonlySet<string> = new Set([
  'admissionregistration.k8s.io/MutatingAdmissionPolicy',
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
]);

/** Whether `group/resource` must never be intercepted; group `*` counts as every group. */
export function isNeverIntercepted(group: string, resource: string): boolean {
  if (group === '*') return [...NEVER_INTERCEPTED].some((key) => key.endsWith(`/${resource}`));
  return NEVER_INTERCEPTED.has(`${group}/${resource}`);
}

export function isNeverSentToWebhooks(group: string, kind: string): boolean {
  if (group === '*') return [...NEVER_SENT_TO_WEBHOOKS].some((key) => key.endsWith(`/${kind}`));
  return NEVER_SENT_TO_WEBHOOKS.has(kindKey(group, kind));
}

/** The resources of one group in the table, sorted. */
export function knownResourcesOf(group: string): string[] {
  return Object.values(KINDS[group] ?? {}).sort();
}

export interface ResourceName {
  resource: string;
  /** How the name was found: the explicit mapping, the table, or a guess from the kind. */
  source: 'explicit' | 'table' | 'guessed';
}

/**
 * The resource name of a kind. `explicit` maps `group/Kind` (core group: `/Kind`) or a bare `Kind`
 * to a resource and wins over the table. Group `*` (a rule that names a kind in every group) takes
 * the table's name for the kind in whichever group has it.
 */
export function resourceNameOf(group: string, kind: string, explicit: Readonly<Record<string, string>> = {}): ResourceName {
  const mapped = explicit[kindKey(group, kind)] ?? explicit[kind];
  if (mapped !== undefined) return { resource: mapped, source: 'explicit' };
  const exact = KINDS[group]?.[kind];
  if (exact !== undefined) return { resource: exact, source: 'table' };
  // A kind's resource name follows from the kind, not the group (Deployment is deployments in apps
  // and in extensions), so a known kind in another group keeps its known name.
  const elsewhere = KNOWN_KINDS.find((k) => k.kind === kind);
  if (elsewhere) return { resource: elsewhere.resource, source: 'table' };
  return { resource: guessResourceName(kind), source: 'guessed' };
}

/**
 * Lowercase and plural, as CRD generators name resources: consonant + y → ies (Policy → policies,
 * but Gateway → gateways), s, x, z, ch, sh → +es, otherwise +s. Only a guess: a CRD may declare any
 * plural, which is why the guess is reported.
 */
export function guessResourceName(kind: string): string {
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}
