/** Shared by the webhook tests: loading rule sets and configurations, and reading rendered webhooks. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PalisadeConfig } from '../../src/config/types.js';
import type { RuleSet } from '../../src/engine/rule-set.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';
import { formatProblem } from '../../src/rules/problems.js';
import { loadPolicy } from '../../src/server/load-policy.js';
import { renderWebhookConfigurations, type RenderedWebhooks, type RenderOptions } from '../../src/webhook/render.js';
import type { ValidatingWebhook, WebhookConfiguration } from '../../src/webhook/types.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/webhook/', import.meta.url));
export const SERVICE = { service: { name: 'palisade', namespace: 'palisade-system' } };

export interface Policy {
  ruleSet: RuleSet;
  config: PalisadeConfig;
}

/** Built-in rules (unless builtin is false), fixture rule folders and a fixture configuration. */
export async function policy(options: { config?: string; rules?: string[]; builtin?: boolean } = {}): Promise<Policy> {
  const load = await loadPolicy({
    ruleDirs: [...(options.builtin === false ? [] : [BUILTIN_RULES_DIR]), ...(options.rules ?? []).map((d) => join(FIXTURES, 'rules', d))],
    ...(options.config ? { configFile: join(FIXTURES, 'config', options.config) } : {}),
  });
  if (!('ruleSet' in load)) throw new Error(`fixture policy rejected:\n${load.problems.map(formatProblem).join('\n')}`);
  return load;
}

export function render(p: Policy, options: Partial<RenderOptions> = {}): RenderedWebhooks {
  return renderWebhookConfigurations(p.ruleSet, p.config, { client: SERVICE, ...options });
}

export function webhookNamed(configuration: WebhookConfiguration | undefined, name: string): ValidatingWebhook {
  const found = configuration?.webhooks.find((w) => w.name === name);
  if (!found) throw new Error(`no webhook ${name}`);
  return found;
}

/**
 * The operations a webhook receives for group/resource (core group: `/resource`), matched the way
 * the API server matches rules: `*` groups, and `*` resources (which take in no subresource).
 */
export function receives(webhook: ValidatingWebhook, group: string, resource: string): string[] {
  const ops = new Set<string>();
  for (const rule of webhook.rules) {
    const groupMatches = rule.apiGroups.includes('*') || rule.apiGroups.includes(group);
    const resourceMatches = rule.resources.includes(resource) || (rule.resources.includes('*') && !resource.includes('/'));
    if (groupMatches && resourceMatches) for (const op of rule.operations) ops.add(op);
  }
  return ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'].filter((op) => ops.has(op));
}

/** Every (group, resource, operation) a webhook's rules list, as `group/resource:OP`. */
export function listed(webhook: ValidatingWebhook): string[] {
  return webhook.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.operations.map((op) => `${g}/${res}:${op}`))));
}
