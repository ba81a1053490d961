/**
 * Resolves the images an object runs to what `require-signed-images` and `deny-known-bad-images`
 * read (`images[ref]` in CEL): the digest the reference points at, whether a trusted key signed
 * it, and whether a deny-list entry names it. Rules never call the network; this runs before
 * evaluation and hands them data.
 *
 * Fast when it can be, predictable when it cannot:
 * - answers are cached: a tag's digest for `tagTtlMs` (tags move), a digest's signature verdict
 *   for `digestTtlMs` (content-addressed: only the keys can change it, and a reload makes a new
 *   verifier); the same reference asked twice at once is resolved once;
 * - at most `maxConcurrent` registry conversations run at once; the rest wait their turn;
 * - every call has a deadline (the caller's signal): past it, or when the registry fails, the
 *   image's policy decides — `Fail`: not verified, saying why; `Ignore`: let through, marked
 *   `ignored`, saying why. Registry failures are not cached, so the next request tries again.
 */
import { setKey } from '../json/set-key.js';
import { matchesAnyGlob, matchesGlob } from '../engine/selectors.js';
import type { ImageStatus } from '../engine/types.js';
import { NO_SIGNATURE, verifySignature, type SignatureCheck, type TrustedKey } from './cosign.js';
import { NO_BUNDLE, verifyReferrerBundles } from './referrers.js';
import type { KeylessPolicy } from './sigstore.js';
import { formatReference, ImageReferenceError, parseReference, repositoryOf, type ImageReference } from './reference.js';
import type { RegistryClient } from './registry-client.js';
import { untilAborted } from '../kube/until-aborted.js';

export interface VerifyPolicy {
  /** For messages: the policy's name in the configuration. */
  name: string;
  /** Globs over the normalised repository (`docker.io/library/nginx`, `registry.example.com/team/*`). */
  images: string[];
  keys: TrustedKey[];
  /** Keyless signers trusted, with the Sigstore trust root they chain to. */
  keyless?: KeylessPolicy;
  /** When the registry cannot answer in time: refuse (Fail, the default) or let through (Ignore). */
  failurePolicy: 'Fail' | 'Ignore';
}

export interface DenyEntry {
  /** Exactly this digest, in whatever repository. */
  digest?: string;
  /** Repository glob (normalised: `docker.io/library/nginx`). */
  repository?: string;
  /** Tag glob; with `repository`, both must match. */
  tag?: string;
  reason: string;
}

export const VERIFIER_DEFAULTS = {
  tagTtlMs: 5 * 60_000,
  digestTtlMs: 60 * 60_000,
  maxConcurrent: 8,
  maxEntries: 10_000,
  /** A registry conversation's own limit, whoever waits for it. */
  workTimeoutMs: 30_000,
} as const;

export interface ImageVerifierOptions {
  client: RegistryClient;
  policies: readonly VerifyPolicy[];
  deny?: readonly DenyEntry[];
  tagTtlMs?: number;
  digestTtlMs?: number;
  maxConcurrent?: number;
  /** Cached answers kept at most (the oldest go first). */
  maxEntries?: number;
  workTimeoutMs?: number;
  now?: () => number;
}

interface Cached<T> {
  value: T;
  expiresAt: number;
}

/** A map that forgets entries past their time, and the oldest beyond `max`. */
class ExpiringCache<T> {
  readonly #entries = new Map<string, Cached<T>>();
  constructor(readonly max: number, readonly now: () => number) {}
  get(key: string): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }
  set(key: string, value: T, ttlMs: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.now() + ttlMs });
    while (this.#entries.size > this.max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }
}

/** Waits for a free slot; `release` hands it to the next in line. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(count: number) {
    this.#free = count;
  }
  async take(signal: AbortSignal): Promise<() => void> {
    if (this.#free > 0) this.#free -= 1;
    else {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const i = this.#waiting.indexOf(go);
          if (i >= 0) this.#waiting.splice(i, 1);
          reject(signal.reason as Error);
        };
        const go = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        this.#waiting.push(go);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free += 1;
    };
  }
}

/** What verifying a digest concluded (cached per digest and policy). */
interface DigestVerdict {
  verified: boolean;
  detail: string;
}

export class ImageVerifier {
  readonly #o: ImageVerifierOptions;
  readonly #digests: ExpiringCache<string>;
  readonly #verdicts: ExpiringCache<DigestVerdict>;
  readonly #inFlight = new Map<string, Promise<unknown>>();
  readonly #slots: Slots;
  readonly #tagTtlMs: number;
  readonly #digestTtlMs: number;
  readonly #workTimeoutMs: number;

  constructor(options: ImageVerifierOptions) {
    const d = VERIFIER_DEFAULTS;
    this.#o = options;
    const now = options.now ?? (() => Date.now());
    this.#digests = new ExpiringCache(options.maxEntries ?? d.maxEntries, now);
    this.#verdicts = new ExpiringCache(options.maxEntries ?? d.maxEntries, now);
    this.#slots = new Slots(options.maxConcurrent ?? d.maxConcurrent);
    this.#tagTtlMs = options.tagTtlMs ?? d.tagTtlMs;
    this.#digestTtlMs = options.digestTtlMs ?? d.digestTtlMs;
    this.#workTimeoutMs = options.workTimeoutMs ?? d.workTimeoutMs;
  }

  /** The policy that covers an image: the first whose globs match its repository. */
  policyFor(ref: ImageReference): VerifyPolicy | undefined {
    const repository = repositoryOf(ref);
    return this.#o.policies.find((p) => matchesAnyGlob(p.images, repository));
  }

  /** Every image's status, keyed by the reference as written. */
  async statuses(images: Iterable<string>, signal: AbortSignal): Promise<Record<string, ImageStatus>> {
    const unique = [...new Set(images)];
    const results = await Promise.all(unique.map((image) => this.status(image, signal)));
    const out: Record<string, ImageStatus> = {};
    unique.forEach((image, i) => setKey(out, image, results[i]));
    return out;
  }

  /**
   * Every image's status when the caches (or the configuration alone) can say, without waiting;
   * undefined when any of them needs the registry. The admission hot path: a request whose images
   * are all known needs no deadline timer and no asynchronous hop.
   */
  knownStatuses(images: Iterable<string>): Record<string, ImageStatus> | undefined {
    const out: Record<string, ImageStatus> = {};
    for (const image of images) {
      const parsed = this.#parse(image);
      const status = 'status' in parsed ? parsed.status : this.#fromCache(parsed.ref);
      if (!status) return undefined;
      setKey(out, image, status);
    }
    return out;
  }

  /** One image's status; never throws (a failure is a status that says why). */
  async status(image: string, signal: AbortSignal): Promise<ImageStatus> {
    const parsed = this.#parse(image);
    if ('status' in parsed) return parsed.status;
    return this.#fromCache(parsed.ref) ?? this.#fromRegistry(parsed.ref, signal);
  }

  #parse(image: string): { ref: ImageReference } | { status: ImageStatus } {
    try {
      return { ref: parseReference(image) };
    } catch (error) {
      if (error instanceof ImageReferenceError) return { status: { verified: false, detail: error.message } };
      throw error;
    }
  }

  /** What the configuration and the caches alone say; undefined when the registry must be asked. */
  #fromCache(ref: ImageReference): ImageStatus | undefined {
    const policy = this.policyFor(ref);
    if (!policy && !this.#needsDigest()) return { verified: false, detail: noKeyFor(ref), ...this.#denied(ref, ref.digest) };
    const digest = ref.digest ?? this.#digests.get(formatReference(ref));
    if (!digest) return undefined;
    if (!policy) return { verified: false, digest, detail: noKeyFor(ref), ...this.#denied(ref, digest) };
    const verdict = this.#verdicts.get(verdictKey(ref, digest, policy));
    return verdict ? { verified: verdict.verified, digest, detail: verdict.detail, ...this.#denied(ref, digest) } : undefined;
  }

  async #fromRegistry(ref: ImageReference, signal: AbortSignal): Promise<ImageStatus> {
    const policy = this.policyFor(ref);
    let digest: string;
    try {
      digest = ref.digest ?? (await this.#resolve(ref, signal));
    } catch (error) {
      return { ...this.#failed(policy, ref, error, signal), ...this.#denied(ref, ref.digest) };
    }
    const denied = this.#denied(ref, digest);
    if (!policy) return { verified: false, digest, detail: noKeyFor(ref), ...denied };
    try {
      const verdict = await this.#verify(ref, digest, policy, signal);
      return { verified: verdict.verified, digest, detail: verdict.detail, ...denied };
    } catch (error) {
      return { ...this.#failed(policy, ref, error, signal), digest, ...denied };
    }
  }

  /** A deny-list entry that names a digest needs the digest of every image, keyed or not. */
  #needsDigest(): boolean {
    return (this.#o.deny ?? []).some((d) => d.digest !== undefined);
  }

  #denied(ref: ImageReference, digest: string | undefined): { denied?: string } {
    const repository = repositoryOf(ref);
    for (const entry of this.#o.deny ?? []) {
      if (entry.digest !== undefined && entry.digest !== digest) continue;
      if (entry.repository !== undefined && !matchesGlob(entry.repository, repository)) continue;
      if (entry.tag !== undefined && !(ref.tag !== undefined && matchesGlob(entry.tag, ref.tag))) continue;
      if (entry.digest === undefined && entry.repository === undefined && entry.tag === undefined) continue;
      return { denied: entry.reason };
    }
    return {};
  }

  #failed(policy: VerifyPolicy | undefined, ref: ImageReference, error: unknown, signal: AbortSignal): ImageStatus {
    const why = signal.aborted ? 'the registry did not answer before the deadline' : `the registry could not be read: ${(error as Error).message}`;
    if (policy?.failurePolicy === 'Ignore') return { verified: false, ignored: true, unavailable: true, detail: `not verified, let through by the failurePolicy Ignore of ${policy.name}: ${why}` };
    return { verified: false, unavailable: true, detail: `${formatReference(ref)} could not be verified: ${why}` };
  }

  /** A tag's digest, cached for tagTtlMs. */
  async #resolve(ref: ImageReference, signal: AbortSignal): Promise<string> {
    const key = formatReference(ref);
    const cached = this.#digests.get(key);
    if (cached) return cached;
    return this.#once(`tag ${key}`, signal, async (own) => {
      const manifest = await this.#o.client.manifest(ref, ref.tag ?? 'latest', own);
      this.#digests.set(key, manifest.digest, this.#tagTtlMs);
      return manifest.digest;
    });
  }

  /** A digest's signature verdict under a policy, cached for digestTtlMs. */
  async #verify(ref: ImageReference, digest: string, policy: VerifyPolicy, signal: AbortSignal): Promise<DigestVerdict> {
    const key = verdictKey(ref, digest, policy);
    const cached = this.#verdicts.get(key);
    if (cached) return cached;
    return this.#once(`verify ${key}`, signal, async (own) => {
      const check = await signatureCheck(this.#o.client, ref, digest, policy, own);
      this.#verdicts.set(key, check, this.#digestTtlMs);
      return check;
    });
  }

  /**
   * Runs `work` in a slot, once for concurrent callers of the same key, under its own time limit
   * (workTimeoutMs), not a caller's: a caller whose deadline passes stops waiting, and the work
   * goes on for the others and fills the cache for the next request.
   */
  async #once<T>(key: string, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let running = this.#inFlight.get(key) as Promise<T> | undefined;
    if (!running) {
      const own = AbortSignal.timeout(this.#workTimeoutMs);
      running = (async () => {
        const release = await this.#slots.take(own);
        try {
          return await work(own);
        } finally {
          release();
        }
      })();
      const settled = running.finally(() => this.#inFlight.delete(key));
      settled.catch(() => undefined);
      this.#inFlight.set(key, running);
    }
    return untilAborted(running, signal);
  }
}

function noKeyFor(ref: ImageReference): string {
  return `no trusted key is configured for ${repositoryOf(ref)}`;
}

/** A digest's verdict is per repository and policy (the keys): one cache entry each. */
function verdictKey(ref: ImageReference, digest: string, policy: VerifyPolicy): string {
  return `${repositoryOf(ref)}@${digest} ${policy.name}`;
}

const NO_SIGNATURE_ANYWHERE = 'no cosign signature found: no .sig tag, no Sigstore bundle';

/**
 * A digest's signatures, wherever cosign keeps them: the `.sig` tag (its default), then Sigstore
 * bundles attached as referrers (`--new-bundle-format`). Either verified is enough.
 */
async function signatureCheck(client: RegistryClient, ref: ImageReference, digest: string, policy: VerifyPolicy, signal: AbortSignal): Promise<SignatureCheck> {
  const tag = await verifySignature(client, ref, digest, policy, signal);
  if (tag.verified) return tag;
  const bundles = await verifyReferrerBundles(client, ref, digest, policy.keys, policy.keyless, signal);
  if (bundles.verified) return bundles;
  if (tag.detail === NO_SIGNATURE) return bundles.detail === NO_BUNDLE ? { verified: false, detail: NO_SIGNATURE_ANYWHERE } : bundles;
  return bundles.detail === NO_BUNDLE ? tag : { verified: false, detail: `${tag.detail}; ${bundles.detail}` };
}
