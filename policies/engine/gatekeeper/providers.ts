// Gatekeeper's external data Providers (externaldata.gatekeeper.sh), read from the policy tree:
// the HTTPS endpoints `external_data` in Rego and `externalData` in Assign/AssignMetadata ask. Pure.
import { isObject } from '../../../core/object.js';

export const PROVIDER_GROUP = 'externaldata.gatekeeper.sh';

/** Gatekeeper's default when a Provider names no timeout (seconds). */
const DEFAULT_TIMEOUT_S = 3;
/** A provider may not hold an admission request longer than this (seconds). */
const MAX_TIMEOUT_S = 30;
/** A CA bundle larger than this is refused (base64 text). */
const MAX_CA_BUNDLE = 64 * 1024;

export interface GkProvider {
  readonly name: string;
  /** https:// only, as in Gatekeeper. */
  readonly url: string;
  readonly timeoutMs: number;
  /** The PEM certificates the provider's serving certificate must chain to. */
  readonly caPem: string;
  readonly file: string;
}

/** A Provider document, or its problems. Pure. */
export function readProvider(doc: Record<string, unknown>, file: string, problems: string[]) {
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const spec = isObject(doc.spec) ? doc.spec : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  const bad = (why: string): undefined =>
    void problems.push(`${file}: Provider ${name || '(no name)'}: ${why}`);
  if (doc.kind !== 'Provider' || name === '') return bad('needs kind Provider and a name');
  let url: URL;
  try {
    url = new URL(String(spec.url));
  } catch {
    return bad('spec.url is not a URL');
  }
  if (url.protocol !== 'https:') return bad('spec.url must be https:// (as in Gatekeeper)');
  const timeout = spec.timeout ?? DEFAULT_TIMEOUT_S;
  if (!Number.isInteger(timeout) || (timeout as number) < 1 || (timeout as number) > MAX_TIMEOUT_S)
    return bad(`spec.timeout must be whole seconds from 1 to ${MAX_TIMEOUT_S}`);
  const ca = spec.caBundle;
  if (typeof ca !== 'string' || ca === '' || ca.length > MAX_CA_BUNDLE)
    return bad('spec.caBundle must be the base64 of the PEM CA bundle (at most 64 KiB)');
  const caPem = Buffer.from(ca, 'base64').toString('utf8');
  if (!caPem.includes('-----BEGIN CERTIFICATE-----'))
    return bad('spec.caBundle holds no PEM certificate');
  const provider: GkProvider = {
    name,
    url: url.href,
    timeoutMs: (timeout as number) * 1000,
    caPem,
    file,
  };
  return provider;
}
