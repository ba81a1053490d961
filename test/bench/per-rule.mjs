import { readFileSync, readdirSync } from 'node:fs';
import { loadRuleSet } from '../../dist/engine/rule-set.js';
import { evaluate } from '../../dist/engine/evaluate.js';
const body = readFileSync(new URL('./fixtures/deployment.json', import.meta.url), 'utf8');
const out = [];
for (const cat of readdirSync('rules')) for (const id of readdirSync('rules/' + cat)) {
  const rs = (await loadRuleSet(['rules/' + cat + '/' + id])).ruleSet;
  if (!rs) { console.log('fail', id); continue; }
  const objs = Array.from({length: 3000}, () => JSON.parse(body));
  for (let i = 0; i < 300; i++) evaluate(rs, { object: objs[i], operation: 'CREATE' }, { phase: 'admission' });
  const t = performance.now();
  for (let i = 300; i < 3000; i++) evaluate(rs, { object: objs[i], operation: 'CREATE' }, { phase: 'admission' });
  out.push([((performance.now() - t) / 2700 * 1000).toFixed(1), id]);
}
out.sort((a, b) => b[0] - a[0]); for (const o of out.slice(0, Number(process.env.TOP || 20))) console.log(o[0] + ' µs', o[1]);
console.log('total', out.reduce((a, b) => a + Number(b[0]), 0).toFixed(0));
