/**
 * Palisade's own count of the Pod creates it decided, by decision, from its /metrics
 * (palisade_admission_requests_total, server-side dry runs left out): the benchmark checks that
 * Palisade evaluated and allowed every Pod the API server stored during its run.
 */
import { get } from 'node:https';

export async function podCreateDecisions(url: string, ca: string): Promise<Record<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    get(`${url}/metrics`, { ca }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    }).on('error', reject);
  });
  const decisions: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('palisade_admission_requests_total{')) continue;
    const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
    if (!labels.includes('operation="CREATE"') || !labels.includes('kind="Pod"') || !labels.includes('dry_run="false"')) continue;
    const decision = /decision="([^"]*)"/.exec(labels)?.[1] ?? 'unknown';
    decisions[decision] = (decisions[decision] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return decisions;
}
