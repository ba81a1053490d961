/**
 * The server's configuration (`--config palisade.yaml`), after validation and defaults. The policy
 * part feeds the pure `decide` step; the admission part says how requests are treated before and
 * after evaluation. Defaults live in config/defaults.ts, in one place.
 */
import type { PolicyConfig } from '../policy/types.js';

export interface UserMatch {
  usernames: string[];
  groups: string[];
}

export interface AdmissionConfig {
  /** Allow an UPDATE when the old object already failed the same rule (existing violations are the audit's job). */
  allowExistingViolations: boolean;
  /** PSA-style exemptions: requests by these users, or Pods with these runtime classes, are not evaluated. */
  exemptUsernames: string[];
  exemptRuntimeClasses: string[];
  /**
   * Break glass: requests by these users or groups are allowed whatever the findings; the findings are
   * still recorded (audit annotations, logs, metrics) and the request is logged at warn level.
   */
  breakGlass: UserMatch;
  /** Who may add, change or remove `palisade.dev/*` labels on a Namespace. Anyone else is denied. */
  modeLabelSetters: UserMatch;
  /** Mutation is opt-in: the rule ids allowed to mutate, and the namespaces where they may (`*` globs). */
  mutation: { rules: string[]; namespaces: string[] };
  /** Mutate Pods only (at CREATE), not their controllers, so GitOps tools see no drift. */
  mutatePodsOnly: boolean;
}

export interface ClusterConfig {
  /** Namespaces whose Exception resources are honoured. Empty = exceptions from the cluster are refused. */
  exceptionNamespaces: string[];
  /** Longest lifetime an Exception resource may ask for, in days. */
  maxExceptionLifetimeDays: number;
}

/** Keyless signers a verify entry trusts (docs/configuration.md#images). */
export interface KeylessConfig {
  trustedRoot: string;
  identities: { issuer: string; subject?: string; subjectRegExp?: string }[];
  transparencyLog: boolean;
  ctLog: boolean;
}

/**
 * Image verification as the file says it, file names resolved against the configuration's folder.
 * src/images/from-config.ts reads the files (keys, CAs, deny lists, docker config) into a verifier.
 */
export interface ImagesConfig {
  verify: { name: string; images: string[]; keys: string[]; keyless?: KeylessConfig; failurePolicy: 'Fail' | 'Ignore' }[];
  deny: { digest?: string; repository?: string; tag?: string; reason: string }[];
  denyFiles: string[];
  registries: { host: string; ca?: string; insecure: boolean }[];
  dockerConfig?: string;
  tagTtlSeconds: number;
  digestTtlSeconds: number;
  /** The longest a request waits for verification; the API server's own timeout can shorten it. */
  timeoutSeconds: number;
  /** Line of each field in the configuration file (for problems found reading the files it names). */
  lines: Record<string, number>;
  file?: string;
}

export interface PalisadeConfig {
  policy: PolicyConfig;
  admission: AdmissionConfig;
  cluster: ClusterConfig;
  /** Pin the rule set to a release: rules newer than it start in dry-run. */
  release?: string;
  /** Where the configuration came from, for error messages; absent for the built-in default. */
  file?: string;
  /**
   * The `exceptionFiles` the file names, resolved against its folder; their exceptions are already
   * in policy.exceptions. Kept so the server can say where exceptions came from, or re-read them.
   */
  exceptionFiles?: string[];
  /**
   * 1-based line of every key and list item of the file, by field name as in problems
   * (`rules.disallow-privileged`, `disabledCategories[0]`), so checks that need the rule set
   * (config/unknown-rules.ts) can still point at a line. Absent for the built-in default.
   */
  lines?: Record<string, number>;
  /** Absent: no image verification configured (every image reported as not verified). */
  images?: ImagesConfig;
}
