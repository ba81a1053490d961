/**
 * The report objects Palisade stores in the cluster: OpenReports `openreports.io/v1alpha1` Report and
 * ClusterReport (github.com/openreports/reports-api, apis/openreports.io/v1alpha1), and the older
 * `wgpolicyk8s.io/v1alpha2` PolicyReport and ClusterPolicyReport (kubernetes-sigs/wg-policy-prototypes,
 * policy-report/apis/wgpolicyk8s.io/v1alpha2) they are converted to for older tooling. Field names
 * and JSON spellings are the upstream ones; optional fields are left out rather than written empty.
 */
import type { Severity } from '../rules/types.js';

export const OPENREPORTS_API_VERSION = 'openreports.io/v1alpha1';
export const POLICYREPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';

/** pass / fail / warn / error / skip, as the upstream enum. */
export const RESULT_STATUSES = ['pass', 'fail', 'warn', 'error', 'skip'] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

/** corev1.ObjectReference, the fields Palisade sets. */
export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
}

/** metav1.OwnerReference: what garbage collection follows. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ReportMetadata {
  name: string;
  /** Absent for cluster-scoped kinds. */
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

/** metav1.Timestamp: seconds and nanoseconds since the epoch, not an RFC 3339 string. */
export interface Timestamp {
  seconds: number;
  nanos: number;
}

export interface ReportSummary {
  pass: number;
  fail: number;
  warn: number;
  error: number;
  skip: number;
}

export interface ReportResult {
  /** The engine that produced the result; overrides the report's `source`. */
  source?: string;
  /** Required upstream. Palisade: the rule id. */
  policy: string;
  /** Palisade: the finding's code, `rule-id` or `rule-id/validation`. */
  rule?: string;
  category?: string;
  severity?: Severity;
  timestamp?: Timestamp;
  result?: ResultStatus;
  scored?: boolean;
  /** Subjects. Left out by Palisade: every result of a report is about the report's `scope`. */
  resources?: ObjectReference[];
  /** Upstream Go field `Description`, JSON `message`. */
  message?: string;
  properties?: Record<string, string>;
}

export interface ReportConfiguration {
  limits: {
    maxResults?: number;
    /** The statuses the producer writes: consumers must not read a missing pass as "not evaluated". */
    statusFilter?: ResultStatus[];
  };
}

interface ReportBody {
  metadata: ReportMetadata;
  scope?: ObjectReference;
  summary: ReportSummary;
  results: ReportResult[];
}

/** An OpenReports Report (namespaced) or ClusterReport (cluster-scoped). */
export interface Report extends ReportBody {
  apiVersion: typeof OPENREPORTS_API_VERSION;
  kind: 'Report' | 'ClusterReport';
  source?: string;
  configuration?: ReportConfiguration;
}

/** A wgpolicyk8s.io/v1alpha2 PolicyReport or ClusterPolicyReport: no top-level source, no configuration. */
export interface PolicyReport extends ReportBody {
  apiVersion: typeof POLICYREPORT_API_VERSION;
  kind: 'PolicyReport' | 'ClusterPolicyReport';
}
