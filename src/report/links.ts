/**
 * Where report links point. Rule `docs` are written repository-relative (`docs/rules.md#id`), which
 * means nothing inside a SARIF viewer or a PR comment, so they are resolved against the project's
 * published home. Change DOCS_BASE_URL here if the docs move; every format follows.
 */

export const PALISADE_HOME = 'https://palisade.dev';
export const DOCS_BASE_URL = 'https://palisade.dev/';

/** An absolute http(s) URL for a rule's docs, or undefined when there is nothing to link. */
export function docsUrl(docs: string): string | undefined {
  if (docs.trim() === '' || !URL.canParse(docs, DOCS_BASE_URL)) return undefined;
  const url = new URL(docs, DOCS_BASE_URL);
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
}
