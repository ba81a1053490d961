/**
 * Reads the tables of a Markdown document (GitHub style: `| a | b |` rows, `\|` for a pipe inside
 * a cell), so a test can run every example a reference page shows.
 */

export interface MarkdownTable {
  /** 1-based line of the header row. */
  line: number;
  header: string[];
  rows: { line: number; cells: string[] }[];
}

export function splitRow(row: string): string[] {
  const cells: string[] = [];
  let cell = '';
  for (let i = 0; i < row.length; i++) {
    const c = row[i];
    if (c === '\\' && row[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (c === '|') {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += c;
    }
  }
  cells.push(cell.trim());
  // A row starts and ends with a pipe: drop the empty cells outside them.
  return cells.slice(1, -1);
}

export function markdownTables(markdown: string): MarkdownTable[] {
  const lines = markdown.split('\n');
  const tables: MarkdownTable[] = [];
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('```')) inFence = !inFence;
    if (inFence || !line.startsWith('|') || !/^\|[\s|:-]+\|$/.test(lines[i + 1] ?? '')) continue;
    const table: MarkdownTable = { line: i + 1, header: splitRow(line), rows: [] };
    let j = i + 2;
    for (; j < lines.length && (lines[j] ?? '').startsWith('|'); j++) {
      table.rows.push({ line: j + 1, cells: splitRow(lines[j] ?? '') });
    }
    tables.push(table);
    i = j - 1;
  }
  return tables;
}

/** The text of a cell that is one code span, or undefined. */
export function codeSpan(cell: string): string | undefined {
  const match = /^`([^`]+)`$/.exec(cell);
  return match?.[1];
}

/** The fenced block right after a `<!-- marker -->` line. */
export function markedBlock(markdown: string, marker: string): string | undefined {
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => l.trim() === `<!-- ${marker} -->`);
  if (at < 0) return undefined;
  const open = lines.findIndex((l, i) => i > at && l.startsWith('```'));
  const close = lines.findIndex((l, i) => i > open && l.startsWith('```'));
  if (open < 0 || close < 0) return undefined;
  return lines.slice(open + 1, close).join('\n');
}
