/**
 * The admissionregistration.k8s.io/v1 objects Palisade renders, as far as it uses them. Field names
 * and values are the API's own, so the objects serialise straight to what `kubectl apply` takes.
 */
import type { LabelSelector, Operation } from '../rules/types.js';

export type FailurePolicy = 'Fail' | 'Ignore';

export interface WebhookRule {
  apiGroups: string[];
  apiVersions: string[];
  operations: Operation[];
  /** Plural resource names, `resource/subresource`, or `*`. */
  resources: string[];
  scope: '*' | 'Cluster' | 'Namespaced';
}

export interface ServiceReference {
  name: string;
  namespace: string;
  port: number;
  path: string;
}

export interface WebhookClientConfig {
  service?: ServiceReference;
  url?: string;
  /** Base64 of the PEM CA bundle that signed the serving certificate. */
  caBundle?: string;
}

export interface ValidatingWebhook {
  name: string;
  clientConfig: WebhookClientConfig;
  rules: WebhookRule[];
  namespaceSelector?: LabelSelector;
  failurePolicy: FailurePolicy;
  matchPolicy: 'Equivalent' | 'Exact';
  sideEffects: 'None' | 'NoneOnDryRun';
  timeoutSeconds: number;
  admissionReviewVersions: string[];
}

export interface MutatingWebhook extends ValidatingWebhook {
  reinvocationPolicy: 'IfNeeded' | 'Never';
}

export interface ConfigurationMetadata {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ValidatingWebhookConfiguration {
  apiVersion: 'admissionregistration.k8s.io/v1';
  kind: 'ValidatingWebhookConfiguration';
  metadata: ConfigurationMetadata;
  webhooks: ValidatingWebhook[];
}

export interface MutatingWebhookConfiguration {
  apiVersion: 'admissionregistration.k8s.io/v1';
  kind: 'MutatingWebhookConfiguration';
  metadata: ConfigurationMetadata;
  webhooks: MutatingWebhook[];
}

export type WebhookConfiguration = ValidatingWebhookConfiguration | MutatingWebhookConfiguration;
