/**
 * The controller's metrics, on a registry of its own (no process-global state). The compliance and
 * findings gauges are computed when scraped, from the loop's current entries: the loop only says
 * they changed, so a burst of watch events costs one computation per scrape, not one per event.
 *
 * The rule-set gauges have the webhook's names (palisade_ruleset_*), so one dashboard reads both.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditEntry, AuditResult } from '../audit/types.js';
import { auditFindingMetrics, AUDIT_FINDINGS_METRIC, complianceScoreMetrics, complianceSummary, COMPLIANCE_SCORE_METRIC, type ComplianceRule, type MetricSample } from '../reports/compliance.js';
import type { RuleMeta } from '../rules/types.js';
import { collectProcessMetrics, createMetrics, type Metrics } from '../server/metrics.js';
import type { Standard } from '../standards/types.js';
import type { RestartReason } from './kind-watch.js';

export interface ComplianceInputs {
  entries: readonly AuditEntry[];
  rules: readonly (ComplianceRule & Pick<RuleMeta, 'severity'>)[];
  finishedAt: Date;
}

export interface ControllerMetrics {
  registry: Registry;
  leader: Gauge;
  auditDuration: Gauge;
  auditObjects: Gauge;
  audits: Counter<'reason' | 'result'>;
  watchRestarts: Counter<'kind' | 'reason'>;
  eventLatency: Histogram;
  eventEvaluation: Histogram;
  /** For PolicyReloader: the webhook's rule-set metrics, on this registry. */
  policy: Metrics;
  /** The gauges computed at scrape time read this (undefined: no audit yet; both stay empty). */
  setCompliance(source: () => ComplianceInputs | undefined): void;
  watchRestart(kind: string, reason: RestartReason): void;
}

export function createControllerMetrics(options: { standards: readonly Standard[]; processMetrics?: boolean }): ControllerMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectProcessMetrics(registry);
  const registers = [registry];
  let source: () => ComplianceInputs | undefined = () => undefined;
  // Computed once per change of the entries (the loop hands over a new inputs object), not per scrape.
  let cached: { inputs: ComplianceInputs; scores: MetricSample[]; findings: MetricSample[] } | undefined;
  const samples = (): { scores: MetricSample[]; findings: MetricSample[] } | undefined => {
    const inputs = source();
    if (!inputs) return undefined;
    if (cached?.inputs !== inputs) {
      const result = asResult(inputs);
      cached = {
        inputs,
        scores: complianceScoreMetrics(complianceSummary(result, options.standards, inputs.rules)),
        findings: auditFindingMetrics(result, inputs.rules),
      };
    }
    return cached;
  };

  // Registered, and read only through the registry: their values come from collect().
  new Gauge({
    name: COMPLIANCE_SCORE_METRIC,
    help: 'Percent of the in-scope controls of each standard that the cluster passes (0-100), from the background audit',
    labelNames: ['standard'],
    registers,
    collect() {
      this.reset();
      for (const sample of samples()?.scores ?? []) this.set(sample.labels, sample.value);
    },
  });
  new Gauge({
    name: AUDIT_FINDINGS_METRIC,
    help: 'Failing (fail or error), non-excepted findings per rule in the cluster, by the background audit; 0 for a rule evaluated without findings',
    labelNames: ['rule', 'severity'],
    registers,
    collect() {
      this.reset();
      for (const sample of samples()?.findings ?? []) this.set(sample.labels, sample.value);
    },
  });

  // The webhook's metric set, for the reloader; only its rule-set metrics are registered here.
  const spare = createMetrics({ processMetrics: false });
  const policy: Metrics = {
    ...spare,
    registry,
    ruleSetLoaded: new Gauge({ name: 'palisade_ruleset_load_success', help: '1 when the last load of rules and configuration succeeded; 0 when it failed and the last good set is still used', registers }),
    ruleSetRules: new Gauge({ name: 'palisade_ruleset_rules', help: 'Rules in the loaded rule set', registers }),
    reloads: new Counter({ name: 'palisade_ruleset_reloads_total', help: 'Reloads of rules and configuration by result', labelNames: ['result'], registers }),
  };

  const watchRestarts = new Counter({
    name: 'palisade_audit_watch_restarts_total',
    help: 'Watches of audited kinds started again, by kind and reason: gone (410, the kind was listed again), error (restarted after a backoff), stale (silent too long)',
    labelNames: ['kind', 'reason'],
    registers,
  });
  return {
    registry,
    leader: new Gauge({ name: 'palisade_audit_leader', help: '1 when this replica holds the audit lease and runs the audit loop, else 0', registers }),
    auditDuration: new Gauge({ name: 'palisade_audit_duration_seconds', help: 'Duration of the last full audit: lists, evaluation, owners and report writes', registers }),
    auditObjects: new Gauge({ name: 'palisade_audit_objects', help: 'Objects the audit currently keeps findings for (evaluated; excluded namespaces and objects being deleted are not)', registers }),
    audits: new Counter({ name: 'palisade_audit_runs_total', help: 'Full audits by what started them (start, resync, policy) and result (success, failure)', labelNames: ['reason', 'result'], registers }),
    watchRestarts,
    eventLatency: new Histogram({
      name: 'palisade_audit_event_latency_seconds',
      help: 'From a watch event reaching the controller to the reports of the owners it changed being written',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    eventEvaluation: new Histogram({
      name: 'palisade_audit_event_evaluation_seconds',
      help: 'From a watch event reaching the controller to the changed object evaluated and its findings kept (queue wait included; report writes, batched, are not)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    policy,
    setCompliance(next) {
      source = next;
    },
    watchRestart(kind, reason) {
      watchRestarts.inc({ kind, reason });
    },
  };
}

function asResult(inputs: ComplianceInputs): AuditResult {
  return { startedAt: inputs.finishedAt, finishedAt: inputs.finishedAt, objectsByKind: {}, entries: [...inputs.entries], skippedKinds: [] };
}
