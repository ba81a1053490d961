/** A standard's control catalogue (standards/<id>.yaml), as rules map to it. */
export const COVERAGES = ['automated', 'context', 'out-of-scope'] as const;
export type Coverage = (typeof COVERAGES)[number];

export interface Control {
  id: string;
  title: string;
  section: string;
  /** automated: object rules judge it; context: rules over the cluster or scanned set; out-of-scope: admission cannot. */
  coverage: Coverage;
  /** Why admission cannot judge it (out-of-scope only). */
  reason?: string;
}

export interface Standard {
  id: string;
  title: string;
  version: string;
  url: string;
  notes?: string;
  controls: Control[];
}
