/**
 * The machine-readable format: the ScanReport itself plus a version marker, documented field by
 * field in docs/scan-json.md and described by docs/scan-report.schema.json.
 */
import type { ScanReport } from './types.js';
import { canonicalReport } from './view.js';

/**
 * Bumped only for incompatible changes (a field removed, renamed or retyped). Adding an optional
 * field is compatible and keeps v1; consumers must ignore fields they do not know.
 */
export const SCAN_REPORT_FORMAT = 'palisade.dev/scan-report/v1';

export type ScanReportDocument = { format: typeof SCAN_REPORT_FORMAT } & ScanReport;

/**
 * ScanReport holds no BigInt today, but JSON.stringify throws on one and a rule parameter or
 * integer field could bring one in later; a report must never fail to render. Safe integers stay
 * numbers, larger ones become decimal strings rather than silently losing precision.
 */
function bigintSafe(_key: string, value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

export function toScanReportDocument(report: ScanReport): ScanReportDocument {
  return { format: SCAN_REPORT_FORMAT, ...canonicalReport(report) };
}

export function renderJson(report: ScanReport): string {
  return `${JSON.stringify(toScanReportDocument(report), bigintSafe, 2)}\n`;
}
