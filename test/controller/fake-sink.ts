/**
 * A ReportSink that keeps reports in memory the way the writer leaves the cluster: `all` replaces
 * the reports of every namespace it is given and the ClusterReports, `owners` the reports of those
 * owners only, `namespace` those of one namespace. Tests wait on it (`until`) instead of sleeping: every sync wakes the waiters.
 * Not a *.test.ts file: tap does not run it on its own.
 */
import type { ReportSink, ReportSource } from '../../src/controller/report-sink.js';
import type { SyncResult } from '../../src/kube/report-writer.js';
import { OWNER_UID_LABEL } from '../../src/reports/openreports.js';
import type { Report } from '../../src/reports/types.js';

export interface SinkCall {
  scope: 'all' | 'owners' | 'namespace';
  reports: number;
  uids?: string[];
  namespace?: string;
}

const OK: SyncResult = { applied: 0, unchanged: 0, deleted: 0, failed: 0, failures: [] };

export class FakeSink implements ReportSink {
  /** By `namespace/name`. */
  readonly stored = new Map<string, Report>();
  readonly calls: SinkCall[] = [];
  /** The next sync throws this (the API server refusing the list). */
  failNext: Error | undefined;
  #waiters: (() => void)[] = [];

  #done(call: SinkCall): SyncResult {
    this.calls.push(call);
    for (const wake of this.#waiters.splice(0)) wake();
    return OK;
  }

  #check(): void {
    const error = this.failNext;
    if (error) {
      this.failNext = undefined;
      throw error;
    }
  }

  async all(source: ReportSource): Promise<SyncResult> {
    this.#check();
    let count = 0;
    for (const namespace of [...new Set(source.namespaces), undefined]) {
      for (const [key, report] of this.stored) if (report.metadata.namespace === namespace) this.stored.delete(key);
      const reports = source.reportsOf(namespace);
      for (const report of reports) this.stored.set(keyOf(report), report);
      count += reports.length;
    }
    return this.#done({ scope: 'all', reports: count });
  }

  async owners(reports: readonly Report[], uids: readonly string[]): Promise<SyncResult> {
    this.#check();
    for (const [key, report] of this.stored) if (uids.includes(report.metadata.labels?.[OWNER_UID_LABEL] ?? '')) this.stored.delete(key);
    for (const report of reports) this.stored.set(keyOf(report), report);
    return this.#done({ scope: 'owners', reports: reports.length, uids: [...uids] });
  }

  async namespace(reports: readonly Report[], namespace: string): Promise<SyncResult> {
    this.#check();
    for (const [key, report] of this.stored) if (report.metadata.namespace === namespace) this.stored.delete(key);
    for (const report of reports) this.stored.set(keyOf(report), report);
    return this.#done({ scope: 'namespace', reports: reports.length, namespace });
  }

  report(namespace: string | undefined, name: string): Report | undefined {
    return this.stored.get(`${namespace ?? ''}/${name}`);
  }

  /** Rule ids in a stored report, sorted. */
  rulesOf(namespace: string | undefined, name: string): string[] {
    return (this.report(namespace, name)?.results ?? []).map((r) => r.policy).sort();
  }

  /** Resolves once `check` holds, re-checked after every sync; rejects after `timeoutMs`. */
  async until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; calls: ${JSON.stringify(this.calls.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

function keyOf(report: Report): string {
  return `${report.metadata.namespace ?? ''}/${report.metadata.name}`;
}
