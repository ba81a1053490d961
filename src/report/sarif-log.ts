/**
 * The subset of SARIF 2.1.0 that the sarif formatter writes. Hand-written instead of @types/sarif
 * so the build needs no extra package; the test validates the output against the official schema,
 * which is what keeps these shapes honest.
 */

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifMessage {
  text: string;
  markdown?: string;
}

export type PropertyBag = Record<string, unknown> & { tags?: string[] };

export interface SarifPhysicalLocation {
  artifactLocation: { uri: string };
  region?: { startLine: number };
}

export interface SarifLogicalLocation {
  name: string;
  fullyQualifiedName: string;
  kind: string;
}

export interface SarifLocation {
  physicalLocation?: SarifPhysicalLocation;
  logicalLocations?: SarifLogicalLocation[];
}

export interface SarifReportingDescriptor {
  id: string;
  name: string;
  shortDescription: SarifMessage;
  fullDescription: SarifMessage;
  helpUri?: string;
  help: SarifMessage;
  defaultConfiguration?: { level: SarifLevel };
  properties: PropertyBag;
}

export interface SarifSuppression {
  kind: 'inSource' | 'external';
  status: 'accepted' | 'underReview' | 'rejected';
  justification: string;
  properties?: PropertyBag;
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  kind: 'fail';
  level: SarifLevel;
  message: SarifMessage;
  locations: SarifLocation[];
  partialFingerprints: Record<string, string>;
  suppressions?: SarifSuppression[];
  properties: PropertyBag;
}

export interface SarifNotification {
  level: SarifLevel;
  message: SarifMessage;
  locations?: SarifLocation[];
  descriptor: { id: string };
}

export interface SarifInvocation {
  executionSuccessful: boolean;
  endTimeUtc: string;
  toolExecutionNotifications: SarifNotification[];
}

export interface SarifRun {
  tool: {
    driver: {
      name: string;
      version: string;
      semanticVersion?: string;
      informationUri: string;
      rules: SarifReportingDescriptor[];
    };
  };
  invocations: SarifInvocation[];
  results: SarifResult[];
  properties: PropertyBag;
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: SarifRun[];
}
