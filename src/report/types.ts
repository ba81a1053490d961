/**
 * The scan report every formatter renders (table, json, sarif, junit, markdown). The JSON format
 * is this structure, documented as a stable schema in docs/scan-json.md.
 */
import type { DecidedFinding } from '../policy/types.js';

export interface ResourceRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** File the resource was read from (`-` for stdin) and the 1-based line its document starts on. */
  file?: string;
  line?: number;
}

export interface ResourceResult {
  resource: ResourceRef;
  findings: DecidedFinding[];
}

/** A document that could not be scanned: malformed YAML, not a Kubernetes object, unreadable file. */
export interface InputProblem {
  file: string;
  line?: number;
  message: string;
}

export interface StandardScore {
  standard: string;
  /** Controls in scope (automated or context). */
  controls: number;
  passed: number;
  failed: string[];
  /** Percentage 0–100, one decimal. */
  score: number;
}

export interface ScanSummary {
  resources: number;
  findings: number;
  /** Findings that would be denied at admission (enforce mode, not excepted). */
  denied: number;
  warned: number;
  recorded: number;
  excepted: number;
  bySeverity: Record<string, number>;
}

export interface ScanReport {
  tool: { name: 'palisade'; version: string };
  /** ISO 8601. */
  generatedAt: string;
  results: ResourceResult[];
  problems: InputProblem[];
  summary: ScanSummary;
  standards: StandardScore[];
}
