/**
 * Prometheus metrics, on a registry of the server's own (no process-global state, so tests and
 * several servers in one process do not share counters). Names follow Prometheus conventions:
 * `palisade_` prefix, base units, `_total` counters.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  requests: Counter<'operation' | 'kind' | 'decision' | 'dry_run' | 'controller_owned' | 'endpoint'>;
  latency: Histogram<'endpoint'>;
  ruleResults: Counter<'rule' | 'mode' | 'result' | 'dry_run' | 'controller_owned'>;
  evaluationErrors: Counter<'rule'>;
  certificateExpiry: Gauge;
  ruleSetLoaded: Gauge;
  ruleSetRules: Gauge;
  reloads: Counter<'result'>;
  badRequests: Counter<'reason'>;
  imageLookups: Counter<'cache'>;
  imageLookupDuration: Histogram;
  imageStatuses: Counter<'outcome'>;
}

/**
 * prom-client's process metrics. Its event-loop lag histogram samples every 10 ms by default: a
 * timer that wakes an idle `palisade serve` 100 times a second and was half of its idle CPU (about
 * 6 of 13 ms per second). Sampling every 100 ms still records any stall of the loop longer than
 * that, which is the lag that matters to an API server waiting on a webhook.
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: 'palisade_', eventLoopMonitoringPrecision: 100 });
}

export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectProcessMetrics(registry);
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'palisade_admission_requests_total',
      help: 'Admission requests by operation, kind and decision (allowed, denied, skipped, error); controller_owned marks objects made by a controller, so one violation is not counted on every replica',
      labelNames: ['operation', 'kind', 'decision', 'dry_run', 'controller_owned', 'endpoint'],
      registers,
    }),
    latency: new Histogram({
      name: 'palisade_admission_duration_seconds',
      help: 'Time from receiving an admission request to answering it',
      labelNames: ['endpoint'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    ruleResults: new Counter({
      name: 'palisade_rule_results_total',
      help: 'Rule findings at admission by rule, effective mode and result (fail, error, excepted)',
      labelNames: ['rule', 'mode', 'result', 'dry_run', 'controller_owned'],
      registers,
    }),
    evaluationErrors: new Counter({
      name: 'palisade_rule_evaluation_errors_total',
      help: 'Rule evaluations that failed with an error (handled per the rule onError)',
      labelNames: ['rule'],
      registers,
    }),
    certificateExpiry: new Gauge({ name: 'palisade_certificate_expiry_seconds', help: 'Seconds until the serving certificate expires', registers }),
    ruleSetLoaded: new Gauge({
      name: 'palisade_ruleset_load_success',
      help: '1 when the last load of rules and configuration succeeded; 0 when it failed and the last good set is still served',
      registers,
    }),
    ruleSetRules: new Gauge({ name: 'palisade_ruleset_rules', help: 'Rules in the served rule set', registers }),
    reloads: new Counter({ name: 'palisade_ruleset_reloads_total', help: 'Reloads of rules and configuration by result', labelNames: ['result'], registers }),
    badRequests: new Counter({ name: 'palisade_bad_requests_total', help: 'Requests refused before evaluation, by reason', labelNames: ['reason'], registers }),
    imageLookups: new Counter({
      name: 'palisade_image_lookups_total',
      help: 'Admission requests whose images were looked up, by cache: hit (every image cached, answered at once) or miss (registries asked)',
      labelNames: ['cache'],
      registers,
    }),
    imageLookupDuration: new Histogram({
      name: 'palisade_image_lookup_duration_seconds',
      help: 'Time an admission request waited for its images on a cache miss (registries, signatures), deadline included',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    imageStatuses: new Counter({
      name: 'palisade_image_statuses_total',
      help: 'Statuses of the images of requests that missed the cache, by outcome: verified, unverified, denied, unavailable (the registry did not answer in time: refused), ignored (the same, let through by failurePolicy Ignore)',
      labelNames: ['outcome'],
      registers,
    }),
  };
}
