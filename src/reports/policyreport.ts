/**
 * OpenReports → `wgpolicyk8s.io/v1alpha2` PolicyReport / ClusterPolicyReport, for tooling that
 * predates OpenReports (older Policy Reporter releases, dashboards reading Kyverno's reports).
 *
 * The two schemas share their results and summary; v1alpha2 has no report-level `source` and no
 * `configuration`, so the source moves into every result. Older consumers read the subject from
 * `results[].resources` rather than the report's `scope`, so by default every result names it
 * (about 150 bytes a result; a report at the 512 KiB budget then stays well under 1 MiB).
 */
import { POLICYREPORT_API_VERSION, type PolicyReport, type Report, type ReportMetadata } from './types.js';

export interface PolicyReportOptions {
  /** Name the scope in every result's `resources`. Default true. */
  resultResources?: boolean;
}

/** What a new object may carry: server-set fields (uid, resourceVersion, …) are not copied. */
function portableMetadata(metadata: ReportMetadata): ReportMetadata {
  const { name, namespace, labels, annotations, ownerReferences } = metadata;
  return {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(labels ? { labels: { ...labels } } : {}),
    ...(annotations ? { annotations: { ...annotations } } : {}),
    ...(ownerReferences ? { ownerReferences: ownerReferences.map((o) => ({ ...o })) } : {}),
  };
}

export function toPolicyReport(report: Report, options: PolicyReportOptions = {}): PolicyReport {
  const withResources = (options.resultResources ?? true) && report.scope !== undefined;
  const scope = report.scope;
  return {
    apiVersion: POLICYREPORT_API_VERSION,
    kind: report.kind === 'ClusterReport' ? 'ClusterPolicyReport' : 'PolicyReport',
    metadata: portableMetadata(report.metadata),
    ...(scope ? { scope: { ...scope } } : {}),
    summary: { ...report.summary },
    results: report.results.map((result) => {
      const source = result.source ?? report.source;
      const { source: _source, resources, ...rest } = result;
      return {
        ...(source !== undefined ? { source } : {}),
        ...rest,
        ...(withResources && scope ? { resources: [{ ...scope }] } : resources ? { resources } : {}),
      };
    }),
  };
}
