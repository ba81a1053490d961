/**
 * Just enough ANSI styling for the table format. Kept in-house: a colour library would be a runtime
 * dependency for a dozen escape codes. Whether to colour (TTY, NO_COLOR, --color) is the CLI's
 * decision; formatters only receive the answer.
 */

export type Style = (text: string) => string;

export interface Palette {
  bold: Style;
  dim: Style;
  red: Style;
  yellow: Style;
  cyan: Style;
  magenta: Style;
  green: Style;
}

const sgr =
  (open: number, close: number): Style =>
  (text) =>
    text === '' ? text : `\u001b[${open}m${text}\u001b[${close}m`;

const plain: Style = (text) => text;

const COLORED: Palette = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
  magenta: sgr(35, 39),
  green: sgr(32, 39),
};

const PLAIN: Palette = {
  bold: plain,
  dim: plain,
  red: plain,
  yellow: plain,
  cyan: plain,
  magenta: plain,
  green: plain,
};

export function palette(color: boolean): Palette {
  return color ? COLORED : PLAIN;
}
