/**
 * cosign's Sigstore bundles of an image (`cosign sign --new-bundle-format`): OCI 1.1 referrers of
 * the image digest whose artifact is a bundle, each an OCI manifest with the bundle as its layer.
 * Bounded like the `.sig` path: a registry listing thousands of referrers gets a look at a few.
 */
import { BUNDLE_MEDIA_TYPE, verifyBundle, type KeylessPolicy } from './sigstore.js';
import type { SignatureCheck, TrustedKey } from './cosign.js';
import type { ImageReference } from './reference.js';
import { MANIFEST_TYPES, type RegistryClient } from './registry-client.js';

const MAX_REFERRERS = 20;
export const NO_BUNDLE = 'no Sigstore bundle found';
const MAX_BUNDLE_BYTES = 256 * 1024;

interface Layer {
  mediaType?: unknown;
  digest?: unknown;
  size?: unknown;
}

/** The bundles attached to `digest`, as JSON text (each checked against its digest by the client). */
async function bundlesOf(client: RegistryClient, image: ImageReference, digest: string, signal: AbortSignal): Promise<string[]> {
  const referrers = await client.referrers(image, digest, BUNDLE_MEDIA_TYPE, signal);
  // The tag schema's index may not say the artifact type (or say the config's): read what could be one.
  const candidates = referrers
    .filter((d) => d.mediaType === MANIFEST_TYPES.ociManifest && (d.artifactType === undefined || d.artifactType === BUNDLE_MEDIA_TYPE || d.artifactType === 'application/vnd.oci.empty.v1+json'))
    .slice(0, MAX_REFERRERS);
  const bundles: string[] = [];
  for (const descriptor of candidates) {
    const manifest = await client.manifest(image, descriptor.digest, signal);
    const layers = Array.isArray(manifest.json['layers']) ? (manifest.json['layers'] as Layer[]) : [];
    const layer = layers.find((l) => l.mediaType === BUNDLE_MEDIA_TYPE && typeof l.digest === 'string');
    if (!layer || (typeof layer.size === 'number' && layer.size > MAX_BUNDLE_BYTES)) continue;
    bundles.push((await client.blob(image, layer.digest as string, MAX_BUNDLE_BYTES, signal)).toString('utf8'));
  }
  return bundles;
}

/**
 * Looks for a Sigstore bundle of `digest` that the keys or the keyless policy verify. Registry
 * failures are thrown, as for `.sig` signatures; no bundle is an answer.
 */
export async function verifyReferrerBundles(client: RegistryClient, image: ImageReference, digest: string, keys: readonly TrustedKey[], keyless: KeylessPolicy | undefined, signal: AbortSignal): Promise<SignatureCheck> {
  const bundles = await bundlesOf(client, image, digest, signal);
  if (bundles.length === 0) return { verified: false, detail: NO_BUNDLE };
  let last: SignatureCheck | undefined;
  for (const text of bundles) {
    last = verifyBundle(text, digest, keys, keyless);
    if (last.verified) return last;
  }
  return bundles.length === 1 && last ? last : { verified: false, detail: `${bundles.length} Sigstore bundles found, none verified (${last?.detail ?? ''})` };
}
