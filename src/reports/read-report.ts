/**
 * Reports as read back from the cluster (or a file) are untrusted JSON: another tool may own the
 * CRDs, a user may have edited a report. `readReport` keeps what the schema allows and drops the
 * rest, so the rollout report and the converters only ever see well-typed data.
 */
import { setKey } from '../json/set-key.js';
import { SEVERITIES, type Severity } from '../rules/types.js';
import {
  OPENREPORTS_API_VERSION,
  RESULT_STATUSES,
  type ObjectReference,
  type OwnerReference,
  type Report,
  type ReportConfiguration,
  type ReportMetadata,
  type ReportResult,
  type ReportSummary,
  type ResultStatus,
  type Timestamp,
} from './types.js';
import { isRecord } from '../json/is-record.js';

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) if (typeof v === 'string') setKey(out, key, v);
  return out;
}

function objectReference(value: unknown): ObjectReference | undefined {
  if (!isRecord(value)) return undefined;
  const out: ObjectReference = {};
  for (const key of ['apiVersion', 'kind', 'namespace', 'name', 'uid'] as const) {
    const v = str(value[key]);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function ownerReference(value: unknown): OwnerReference | undefined {
  if (!isRecord(value)) return undefined;
  const [apiVersion, kind, name, uid] = [str(value['apiVersion']), str(value['kind']), str(value['name']), str(value['uid'])];
  if (apiVersion === undefined || kind === undefined || name === undefined || uid === undefined) return undefined;
  return { apiVersion, kind, name, uid };
}

function metadata(value: unknown): ReportMetadata | undefined {
  if (!isRecord(value)) return undefined;
  const name = str(value['name']);
  if (name === undefined) return undefined;
  const namespace = str(value['namespace']);
  const labels = stringMap(value['labels']);
  const annotations = stringMap(value['annotations']);
  const owners = Array.isArray(value['ownerReferences'])
    ? value['ownerReferences'].map(ownerReference).filter((o): o is OwnerReference => o !== undefined)
    : [];
  return {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
    ...(owners.length > 0 ? { ownerReferences: owners } : {}),
  };
}

function timestamp(value: unknown): Timestamp | undefined {
  if (!isRecord(value)) return undefined;
  const seconds = value['seconds'];
  return typeof seconds === 'number' && Number.isFinite(seconds) ? { seconds, nanos: count(value['nanos']) } : undefined;
}

export function parseStatus(value: unknown): ResultStatus | undefined {
  return typeof value === 'string' && (RESULT_STATUSES as readonly string[]).includes(value) ? (value as ResultStatus) : undefined;
}

function severity(value: unknown): Severity | undefined {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value) ? (value as Severity) : undefined;
}

function result(value: unknown): ReportResult | undefined {
  if (!isRecord(value)) return undefined;
  const policy = str(value['policy']);
  if (policy === undefined) return undefined;
  const out: ReportResult = { policy };
  const source = str(value['source']);
  if (source !== undefined) out.source = source;
  const rule = str(value['rule']);
  if (rule !== undefined) out.rule = rule;
  const category = str(value['category']);
  if (category !== undefined) out.category = category;
  const sev = severity(value['severity']);
  if (sev !== undefined) out.severity = sev;
  const ts = timestamp(value['timestamp']);
  if (ts !== undefined) out.timestamp = ts;
  const status = parseStatus(value['result']);
  if (status !== undefined) out.result = status;
  if (typeof value['scored'] === 'boolean') out.scored = value['scored'];
  if (Array.isArray(value['resources'])) {
    out.resources = value['resources'].map(objectReference).filter((r): r is ObjectReference => r !== undefined);
  }
  const message = str(value['message']);
  if (message !== undefined) out.message = message;
  const properties = stringMap(value['properties']);
  if (properties !== undefined) out.properties = properties;
  return out;
}

function configuration(value: unknown): ReportConfiguration | undefined {
  if (!isRecord(value) || !isRecord(value['limits'])) return undefined;
  const limits = value['limits'];
  const maxResults = limits['maxResults'];
  const filter = Array.isArray(limits['statusFilter']) ? limits['statusFilter'].map(parseStatus) : undefined;
  return {
    limits: {
      ...(typeof maxResults === 'number' && Number.isInteger(maxResults) ? { maxResults } : {}),
      ...(filter ? { statusFilter: filter.filter((s): s is ResultStatus => s !== undefined) } : {}),
    },
  };
}

function summary(value: unknown): ReportSummary {
  const v = isRecord(value) ? value : {};
  return { pass: count(v['pass']), fail: count(v['fail']), warn: count(v['warn']), error: count(v['error']), skip: count(v['skip']) };
}

/** An OpenReports Report or ClusterReport, or undefined when the value is not one. */
export function readReport(value: unknown): Report | undefined {
  if (!isRecord(value) || value['apiVersion'] !== OPENREPORTS_API_VERSION) return undefined;
  const kind = value['kind'];
  if (kind !== 'Report' && kind !== 'ClusterReport') return undefined;
  const meta = metadata(value['metadata']);
  if (!meta) return undefined;
  const source = str(value['source']);
  const scope = objectReference(value['scope']);
  const config = configuration(value['configuration']);
  const results = Array.isArray(value['results'])
    ? value['results'].map(result).filter((r): r is ReportResult => r !== undefined)
    : [];
  return {
    apiVersion: OPENREPORTS_API_VERSION,
    kind,
    metadata: meta,
    ...(source !== undefined ? { source } : {}),
    ...(scope !== undefined ? { scope } : {}),
    ...(config !== undefined ? { configuration: config } : {}),
    summary: summary(value['summary']),
    results,
  };
}
