/**
 * What reconciling changes in a webhook configuration that already exists: only the fields
 * Palisade owns (OWNED_FIELDS: each webhook's `rules` and `clientConfig.caBundle`). Everything else
 * — labels, failure policies, selectors, timeouts, where the API server calls — stays as the chart,
 * `webhook-config` or an operator left it. A registration Palisade renders that is missing is added
 * whole; one of Palisade's own registrations it no longer renders (no rule needs it any more) is
 * removed. Pure: the stored object and the rendering in, the object to write out (or undefined when
 * nothing would change).
 */
import { isDeepStrictEqual } from 'node:util';
import { OWNED_FIELDS_ANNOTATION, WEBHOOKS } from './render.js';
import type { MutatingWebhook, ValidatingWebhook, WebhookConfiguration } from './types.js';

type Webhook = ValidatingWebhook | MutatingWebhook;

/** The stored object as read back: the rendered shape plus whatever the API server and others added. */
export interface StoredConfiguration {
  metadata?: { annotations?: Record<string, string> } & Record<string, unknown>;
  webhooks?: Webhook[];
  [field: string]: unknown;
}

const PALISADE_REGISTRATIONS: ReadonlySet<string> = new Set(Object.values(WEBHOOKS).map((w) => w.name));

export function mergeOwnedFields(stored: StoredConfiguration, rendered: WebhookConfiguration): StoredConfiguration | undefined {
  const wanted = new Map<string, Webhook>(rendered.webhooks.map((w) => [w.name, w]));
  const webhooks: Webhook[] = [];
  for (const webhook of stored.webhooks ?? []) {
    const mine = wanted.get(webhook.name);
    if (mine) {
      webhooks.push(withOwnedFields(webhook, mine));
      wanted.delete(webhook.name);
    } else if (!PALISADE_REGISTRATIONS.has(webhook.name)) {
      webhooks.push(webhook);
    }
  }
  webhooks.push(...wanted.values());
  const annotation = rendered.metadata.annotations[OWNED_FIELDS_ANNOTATION];
  const metadata = { ...stored.metadata, annotations: { ...stored.metadata?.annotations, ...(annotation ? { [OWNED_FIELDS_ANNOTATION]: annotation } : {}) } };
  const next: StoredConfiguration = { ...stored, metadata, webhooks };
  return isDeepStrictEqual(plain(next), plain(stored)) ? undefined : next;
}

/** As JSON: a client may hand back class instances and undefined fields for what is plain JSON. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function withOwnedFields(stored: Webhook, rendered: Webhook): Webhook {
  const clientConfig = { ...stored.clientConfig };
  if (rendered.clientConfig.caBundle) clientConfig.caBundle = rendered.clientConfig.caBundle;
  return { ...stored, rules: rendered.rules, clientConfig };
}
