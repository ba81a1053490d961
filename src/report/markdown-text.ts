/**
 * Escaping for GitHub-flavoured Markdown, shared by the markdown format and SARIF's help.markdown.
 * Report text quotes object names from the manifests under review, which a PR author controls.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Backslash-escapes the characters that would start emphasis, links, inline HTML or code, and
 * `@` so that a name in a manifest cannot mention (notify) people. `&` becomes an entity so a
 * manifest cannot smuggle in entity-encoded markup. Pipes are escaped per table cell (`cell`).
 */
export function escapeMarkdown(text: string): string {
  return (
    text
      .replace(/[\\`*_[\]~]/g, (ch) => `\\${ch}`)
      // Only an @ that starts a word mentions someone; `image@sha256` stays readable.
      .replace(/(?<![A-Za-z0-9])@/g, '\\@')
      .replace(/[&<>]/g, (ch) => ENTITIES[ch] ?? ch)
  );
}

/** A code span that survives backticks in its content (CommonMark: a longer fence). */
export function code(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/**
 * Table-cell content: in GFM a `|` ends the cell even inside a code span, and `\|` is the
 * documented escape for both. A line break would end the row, so it becomes `<br>`.
 */
export function cell(markdown: string): string {
  return markdown.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}
