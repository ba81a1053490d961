/**
 * Random AdmissionReviews for the fuzz tests: real reviews from the fixtures, then damaged —
 * fields replaced by values of the wrong type, keys deleted, huge strings and arrays, deep nesting,
 * truncated or corrupted JSON text. Seeded, so a failure names the seed and case that reproduce it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../fixtures/admission/', import.meta.url));
const BASES: string[] = readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => readFileSync(`${dir}${f}`, 'utf8'));

/** mulberry32: small, fast, good enough to spread cases. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface FuzzCase {
  kind: string;
  body: string;
}

export function fuzzCase(rand: () => number, sizeLimit: number): FuzzCase {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const base = JSON.parse(pick(BASES)) as Json;
  const roll = rand();
  if (roll < 0.1) {
    const text = JSON.stringify(base);
    return { kind: 'truncated', body: text.slice(0, Math.floor(rand() * text.length)) };
  }
  if (roll < 0.18) {
    const text = JSON.stringify(base).split('');
    for (let i = 0; i < 1 + rand() * 5; i++) text[Math.floor(rand() * text.length)] = pick(['{', '}', '"', ',', ':', '\\', '\u0000', 'é', '[', '\ud800']);
    return { kind: 'corrupted', body: text.join('') };
  }
  if (roll < 0.21) return { kind: 'oversized', body: JSON.stringify({ ...(base as object), pad: 'x'.repeat(sizeLimit + 1) }) };
  if (roll < 0.24) return { kind: 'deep', body: `${'['.repeat(10_000 + Math.floor(rand() * 100_000))}${']'.repeat(10)}` };
  if (roll < 0.27) return { kind: 'deep-object', body: JSON.stringify(base).replace('"spec":{', `"spec":{"x":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)},`) };
  if (roll < 0.3) return { kind: 'scalar', body: pick(['null', 'true', '0', '"review"', '[]', '{}', '{"request":{}}', '']) };
  const mutations = 1 + Math.floor(rand() * 6);
  // Most damage goes into the object, so most cases get past the schema into the rules.
  const request = (base as { request?: { object?: Json } }).request;
  for (let i = 0; i < mutations; i++) mutate(rand() < 0.8 && request?.object ? request.object : base, rand, pick);
  return { kind: 'type-confused', body: JSON.stringify(base) };
}

function mutate(root: Json, rand: () => number, pick: <T>(items: readonly T[]) => T): void {
  // Walk to a random container node.
  let node: Json = root;
  for (let depth = 0; depth < 12; depth++) {
    const children = childrenOf(node).filter(([, v]) => typeof v === 'object' && v !== null);
    if (children.length === 0 || rand() < 0.25) break;
    node = (pick(children)[1]) as Json;
  }
  const entries = childrenOf(node);
  if (entries.length === 0 || typeof node !== 'object' || node === null) return;
  const [key] = pick(entries);
  const target = node as Record<string, Json>;
  const action = rand();
  if (action < 0.2 && !Array.isArray(node)) {
    delete target[key];
    return;
  }
  target[key] = pick<() => Json>([
    () => null,
    () => rand() < 0.5,
    () => Math.floor(rand() * 2 ** 53) * (rand() < 0.5 ? -1 : 1),
    () => 1e308 * 10 - 1e308 * 10 || 1.5,
    () => 'x'.repeat(Math.floor(rand() * 100_000)),
    () => '',
    () => '__proto__',
    () => [],
    () => Array.from({ length: Math.floor(rand() * 2000) }, () => ({ name: 'c', image: 'i', securityContext: { privileged: true } })),
    () => ({}),
    // Own keys, as JSON.parse makes them (a literal's __proto__ would set the prototype instead).
    () => JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as Json,
    () => ({ uid: 1, kind: 'Pod', operation: 'CREATE' }),
    () => '9'.repeat(400),
    () => ['CREATE', 1, null],
  ])();
}

function childrenOf(node: Json): [string, Json][] {
  if (Array.isArray(node)) return node.map((v, i) => [String(i), v]);
  if (typeof node === 'object' && node !== null) return Object.entries(node);
  return [];
}
