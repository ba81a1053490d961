/**
 * A minimal, strict XML 1.0 well-formedness check for the junit tests, returning a small tree for
 * assertions. It covers what the formatter can produce (declaration, elements, attributes, text,
 * entity and character references, comments); anything else is an error, not a pass.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*$/;
const INVALID_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: string): string {
  if (raw.includes('<')) throw new Error(`raw < in ${where}`);
  return raw.replace(/&([^;]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw new Error(`unterminated reference in ${where}: ${whole}`);
    const named = PREDEFINED[ref];
    if (named !== undefined) return named;
    const code = /^#x[0-9A-Fa-f]+$/.test(ref) ? parseInt(ref.slice(2), 16) : /^#\d+$/.test(ref) ? Number(ref.slice(1)) : NaN;
    if (Number.isNaN(code)) throw new Error(`unknown entity in ${where}: ${whole}`);
    const ch = String.fromCodePoint(code);
    if (INVALID_CHAR.test(ch)) throw new Error(`reference to a forbidden character in ${where}: ${whole}`);
    return ch;
  });
}

function parseAttrs(source: string, tag: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  const rest = source.replace(/\s*([^\s=]+)\s*=\s*"([^"]*)"/g, (_all, name: string, value: string) => {
    if (!NAME.test(name)) throw new Error(`bad attribute name ${name} on <${tag}>`);
    if (name in attrs) throw new Error(`duplicate attribute ${name} on <${tag}>`);
    attrs[name] = decode(value, `attribute ${name} of <${tag}>`);
    return '';
  });
  if (rest.trim() !== '') throw new Error(`malformed attributes on <${tag}>: ${rest.trim()}`);
  return attrs;
}

export function parseXml(xml: string): XmlElement {
  if (INVALID_CHAR.test(xml)) throw new Error('document contains a character XML 1.0 forbids');
  let rest = xml.replace(/^<\?xml\s[^?]*\?>/, '');
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  while (rest.length > 0) {
    const lt = rest.indexOf('<');
    const text = lt === -1 ? rest : rest.slice(0, lt);
    const current = stack[stack.length - 1] ?? root;
    if (text !== '') {
      if (current === root && text.trim() !== '') throw new Error('text outside the root element');
      current.text += decode(text, `text of <${current.name}>`);
    }
    if (lt === -1) break;
    rest = rest.slice(lt);
    if (rest.startsWith('<!--')) {
      const end = rest.indexOf('-->');
      if (end === -1) throw new Error('unterminated comment');
      rest = rest.slice(end + 3);
      continue;
    }
    const gt = rest.indexOf('>');
    if (gt === -1) throw new Error('unterminated tag');
    const tag = rest.slice(1, gt);
    rest = rest.slice(gt + 1);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (!open || open === root || open.name !== name) throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const name = /^[^\s/]+/.exec(body)?.[0] ?? '';
    if (!NAME.test(name)) throw new Error(`bad element name "${name}"`);
    if (current === root && root.children.length > 0) throw new Error('more than one root element');
    const element: XmlElement = { name, attrs: parseAttrs(body.slice(name.length), name), children: [], text: '' };
    current.children.push(element);
    if (!selfClosing) stack.push(element);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]?.name ?? ''}>`);
  const [document] = root.children;
  if (!document) throw new Error('no root element');
  return document;
}

export function descendants(element: XmlElement, name: string): XmlElement[] {
  return element.children.flatMap((child) => [...(child.name === name ? [child] : []), ...descendants(child, name)]);
}
