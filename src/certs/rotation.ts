/**
 * When Palisade manages its own certificates (`palisade serve --cert-secret`), what the stored set
 * should become at a given moment. Pure: the stored PEMs and the clock in, the next set out (or
 * "unchanged"), so every replica can run it on the Secret it just read, and two replicas reading
 * the same Secret decide the same thing.
 *
 * The CA ends up in the caBundle of the webhook configurations, which every API server reads, so it
 * is never replaced in one step. A CA with less than a third of its life left gets a successor that
 * is only *added* to the bundle; the serving certificate keeps its old signer. Once the successor
 * has been in the bundle for `promoteAfterMs` (longer than any replica's check interval, so every
 * replica has reconciled the wider bundle), it signs a new serving certificate. The old CA stays
 * in the bundle until it expires, so a replica still serving the old certificate is trusted too.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { DEFAULT_CA_DAYS, DEFAULT_SERVING_DAYS, generateCa, issueServingCert, servingAltNames, type PemPair, type ServingCertOptions } from './generate.js';

/** What a Secret of type kubernetes.io/tls holds, plus the CA keys Palisade keeps beside it. */
export interface ManagedCertSet {
  /** Every CA the API server should trust, signing CA first. */
  caPem: string;
  /** Key of the CA that signs serving certificates. */
  caKeyPem: string;
  /** A successor CA already in the bundle, not yet signing. */
  nextCaPem?: string;
  nextCaKeyPem?: string;
  certPem: string;
  keyPem: string;
}

export interface RotationOptions {
  serving: ServingCertOptions;
  caDays?: number;
  servingDays?: number;
  /** How long a successor CA sits in the bundle before it signs (default 24 h). */
  promoteAfterMs?: number;
}

export interface RotationPlan {
  set: ManagedCertSet;
  /** Why the set changed, for the log; empty when it did not. */
  changes: string[];
}

export const DEFAULT_PROMOTE_AFTER_MS = 24 * 60 * 60 * 1000;
/** A certificate is renewed once less than this share of its lifetime remains. */
const RENEW_AT_REMAINING = 1 / 3;

export function planRotation(stored: Partial<ManagedCertSet> | undefined, now: Date, options: RotationOptions): RotationPlan {
  const changes: string[] = [];
  const caDays = options.caDays ?? DEFAULT_CA_DAYS;
  let signing = usableCa(stored?.caPem, stored?.caKeyPem, now);
  let trusted = certificates(stored?.caPem).filter((c) => new Date(c.validTo) > now);
  let next = usableCa(stored?.nextCaPem, stored?.nextCaKeyPem, now);

  if (!signing) {
    signing = generateCa({ now, days: caDays });
    trusted = [new X509Certificate(signing.certPem)];
    next = undefined;
    changes.push(stored?.caPem ? 'the stored CA is missing its key, invalid or expired: new CA' : 'no CA yet: new CA');
  } else if (next && now.getTime() - new Date(new X509Certificate(next.certPem).validFrom).getTime() >= (options.promoteAfterMs ?? DEFAULT_PROMOTE_AFTER_MS)) {
    signing = next;
    next = undefined;
    changes.push('the successor CA has been trusted long enough: it now signs');
  } else if (!next && nearExpiry(new X509Certificate(signing.certPem), now)) {
    next = generateCa({ now, days: caDays });
    changes.push('the CA nears expiry: a successor CA joins the bundle');
  }

  const signingCert = new X509Certificate(signing.certPem);
  const bundle = orderBundle(signingCert, [...trusted, ...(next ? [new X509Certificate(next.certPem)] : [])]);
  if (bundle !== normalize(stored?.caPem)) changes.push('trusted CA bundle updated');

  let serving: PemPair | undefined = stored?.certPem && stored.keyPem ? { certPem: stored.certPem, keyPem: stored.keyPem } : undefined;
  const reason = servingProblem(serving, signingCert, now, options.serving);
  if (reason) {
    serving = issueServingCert(signing, { ...options.serving, now, days: options.servingDays ?? DEFAULT_SERVING_DAYS });
    changes.push(`serving certificate issued: ${reason}`);
  }
  const set: ManagedCertSet = {
    caPem: bundle,
    caKeyPem: signing.keyPem,
    ...(next ? { nextCaPem: next.certPem, nextCaKeyPem: next.keyPem } : {}),
    certPem: (serving as PemPair).certPem,
    keyPem: (serving as PemPair).keyPem,
  };
  return { set, changes };
}

/** Why the stored serving certificate must be replaced, or undefined when it is fine. */
function servingProblem(serving: PemPair | undefined, signer: X509Certificate, now: Date, wanted: ServingCertOptions): string | undefined {
  if (!serving) return 'none stored';
  const [leaf] = certificates(serving.certPem);
  if (!leaf) return 'the stored one is unreadable';
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(serving.keyPem))) return 'the stored key does not match it';
  } catch {
    return 'the stored key is unreadable';
  }
  if (!leaf.checkIssued(signer) || !leaf.verify(signer.publicKey)) return 'not signed by the current CA';
  if (nearExpiry(leaf, now)) return `expires ${new Date(leaf.validTo).toISOString()}`;
  if (altNamesOf(leaf) !== wantedAltNames(wanted)) return 'the names it must cover changed';
  return undefined;
}

function usableCa(certPem: string | undefined, keyPem: string | undefined, now: Date): PemPair | undefined {
  if (!certPem || !keyPem) return undefined;
  const [cert] = certificates(certPem);
  if (!cert || !cert.ca || new Date(cert.validTo) <= now) return undefined;
  try {
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return undefined;
  } catch {
    return undefined;
  }
  return { certPem: cert.toString(), keyPem };
}

function nearExpiry(cert: X509Certificate, now: Date): boolean {
  const from = new Date(cert.validFrom).getTime();
  const to = new Date(cert.validTo).getTime();
  return to - now.getTime() < (to - from) * RENEW_AT_REMAINING;
}

/** The signing CA first, then the others, each once. */
function orderBundle(signing: X509Certificate, all: X509Certificate[]): string {
  const seen = new Set<string>([signing.fingerprint256]);
  const rest = all.filter((c) => !seen.has(c.fingerprint256) && seen.add(c.fingerprint256));
  return normalize([signing, ...rest].map((c) => c.toString()).join(''));
}

function normalize(pem: string | undefined): string {
  return certificates(pem).map((c) => c.toString().trim()).join('\n') + (pem ? '\n' : '');
}

function certificates(pem: string | undefined): X509Certificate[] {
  const blocks = pem?.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const out: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      out.push(new X509Certificate(block));
    } catch {
      // An unreadable entry is dropped; the rest of the bundle still counts.
    }
  }
  return out;
}

function altNamesOf(cert: X509Certificate): string {
  return (cert.subjectAltName ?? '').split(', ').sort().join(',');
}

function wantedAltNames(wanted: ServingCertOptions): string {
  const { dnsNames, ipAddresses } = servingAltNames(wanted);
  // node:crypto prints IPv6 addresses in full form; compare through a parsed certificate's spelling.
  return [...dnsNames.map((n) => `DNS:${n}`), ...ipAddresses.map((ip) => `IP Address:${expandIp(ip)}`)].sort().join(',');
}

function expandIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => g.toUpperCase().replace(/^0+(?=.)/, '')).join(':');
}
