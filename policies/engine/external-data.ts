// Asking Gatekeeper external data Providers (gatekeeper/providers.ts) over HTTPS: Gatekeeper's
// ProviderRequest/ProviderResponse, TLS 1.3 verified against the provider's caBundle only, a
// deadline per request, a bounded answer, and a TTL cache of idempotent answers. Never throws:
// every failure is an answer with a status code and a system error, as Gatekeeper gives Rego.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { isObject } from '../../core/object.js';
import type { GkProvider } from './gatekeeper/providers.js';

/** One key's answer: a value, or the provider's error for it. */
export interface ExternalItem {
  readonly value?: unknown;
  readonly error?: string;
}

/** What a provider answered for some keys (items absent for keys it did not answer). */
export interface ProviderAnswer {
  readonly items: ReadonlyMap<string, ExternalItem>;
  readonly idempotent: boolean;
  readonly systemError: string;
  /** The HTTP status (0: nothing was asked, every key came from the cache). */
  readonly status: number;
}

export interface ExternalDataOptions {
  /** How long an idempotent answer is reused (Gatekeeper's default: 3 minutes). */
  readonly cacheTtlMs?: number;
  /** Cached keys kept at most (the oldest go first). */
  readonly cacheEntries?: number;
  /** A provider's answer larger than this is refused. */
  readonly maxResponseBytes?: number;
  /** Keys sent in one request at most; more are answered with an error each. */
  readonly maxKeys?: number;
  /**
   * The client certificate presented to providers that verify their callers (mutual TLS, as
   * Gatekeeper presents its own): PEM files, read at each request so a rotation needs no
   * restart. Default: the files named by DRIFTGATE_PROVIDER_CLIENT_CERT and _KEY, if set.
   */
  readonly clientCert?: ClientCertFiles;
  readonly now?: () => number;
}

export interface ClientCertFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** The client certificate files named by the environment (the chart sets them), if any. */
export function clientCertFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): ClientCertFiles | undefined {
  const certFile = env.DRIFTGATE_PROVIDER_CLIENT_CERT;
  const keyFile = env.DRIFTGATE_PROVIDER_CLIENT_KEY;
  return certFile && keyFile ? { certFile, keyFile } : undefined;
}

/** The PEMs of a client certificate, or why they cannot be read (never their content). */
function readClientCert(files: ClientCertFiles): { cert: string; key: string } | { error: string } {
  try {
    return { cert: readFileSync(files.certFile, 'utf8'), key: readFileSync(files.keyFile, 'utf8') };
  } catch (err) {
    return {
      error: `client certificate unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    };
  }
}

const DEFAULTS = {
  cacheTtlMs: 180_000,
  cacheEntries: 10_000,
  maxResponseBytes: 1024 * 1024,
  maxKeys: 1000,
};
const API_VERSION = 'externaldata.gatekeeper.sh/v1beta1';

const failed = (status: number, why: string): ProviderAnswer => ({
  items: new Map(),
  idempotent: false,
  systemError: why,
  status,
});

/** A ProviderResponse body, checked; a message when it is not one. Pure. */
export function readProviderResponse(
  text: string,
): { items: Map<string, ExternalItem>; idempotent: boolean; systemError: string } | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'failed to unmarshal external data response: not JSON';
  }
  const r = isObject(doc) && isObject(doc.response) ? doc.response : undefined;
  if (!r) return 'failed to unmarshal external data response: no response';
  const items = new Map<string, ExternalItem>();
  for (const it of Array.isArray(r.items) ? r.items : []) {
    if (!isObject(it) || typeof it.key !== 'string') continue;
    const error = typeof it.error === 'string' && it.error !== '' ? it.error : undefined;
    items.set(it.key, error ? { error } : { value: it.value });
  }
  const systemError = typeof r.systemError === 'string' ? r.systemError : '';
  return { items, idempotent: r.idempotent === true, systemError };
}

/** POST one ProviderRequest; the body text and status, or why not. */
function post(
  p: GkProvider,
  keys: readonly string[],
  timeoutMs: number,
  maxBytes: number,
  clientCert: ClientCertFiles | undefined,
): Promise<{ status: number; text: string } | { error: string }> {
  const identity = clientCert ? readClientCert(clientCert) : undefined;
  if (identity && 'error' in identity) return Promise.resolve({ error: identity.error });
  const body = JSON.stringify({
    apiVersion: API_VERSION,
    kind: 'ProviderRequest',
    request: { keys },
  });
  return new Promise((resolve) => {
    const req = request(
      p.url,
      {
        method: 'POST',
        ca: p.caPem,
        ...identity,
        minVersion: 'TLSv1.3',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            req.destroy();
            resolve({ error: `external data response larger than ${maxBytes} bytes` });
          } else chunks.push(c);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', (err) => resolve({ error: err.message }));
      },
    );
    const timer = setTimeout(
      () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ error: err.message }));
    req.end(body);
  });
}

/** Asks providers by name, with the cache; one instance per thread. */
export class ExternalDataClient {
  readonly #providers: ReadonlyMap<string, GkProvider>;
  readonly #o: Required<Omit<ExternalDataOptions, 'now' | 'clientCert'>> & {
    now: () => number;
    clientCert: ClientCertFiles | undefined;
  };
  readonly #cache = new Map<string, ExternalItem & { at: number }>();

  constructor(providers: readonly GkProvider[], options: ExternalDataOptions = {}) {
    this.#providers = new Map(providers.map((p) => [p.name, p]));
    this.#o = { ...DEFAULTS, now: Date.now, clientCert: clientCertFromEnv(), ...options };
  }

  /**
   * The provider's answer for `keys`: cached idempotent items, and one request for the rest
   * (waiting at most the provider's timeout and `budgetMs`). `cache: false` asks for every key,
   * as Gatekeeper's mutation does.
   */
  async ask(
    provider: string,
    keys: readonly string[],
    options: { budgetMs?: number; cache?: boolean } = {},
  ): Promise<ProviderAnswer> {
    const p = this.#providers.get(provider);
    if (!p) return failed(400, `external data provider "${provider}" is not declared`);
    const useCache = options.cache !== false;
    const items = new Map<string, ExternalItem>();
    const missing: string[] = [];
    for (const k of new Set(keys)) {
      const hit = useCache ? this.#cached(provider, k) : undefined;
      if (hit) items.set(k, hit);
      else if (missing.length < this.#o.maxKeys) missing.push(k);
      else items.set(k, { error: `more than ${this.#o.maxKeys} keys in one request` });
    }
    if (missing.length === 0) return { items, idempotent: true, systemError: '', status: 0 };
    const timeoutMs = Math.max(1, Math.min(p.timeoutMs, options.budgetMs ?? p.timeoutMs));
    const sent = await post(p, missing, timeoutMs, this.#o.maxResponseBytes, this.#o.clientCert);
    if ('error' in sent) return failed(500, `failed to send external data request: ${sent.error}`);
    const read = readProviderResponse(sent.text);
    if (typeof read === 'string') return failed(500, read);
    const asked = new Set(missing);
    for (const [k, v] of read.items) {
      items.set(k, v);
      if (useCache && read.idempotent && asked.has(k)) this.#remember(provider, k, v);
    }
    return {
      items,
      idempotent: read.idempotent,
      systemError: read.systemError,
      status: sent.status,
    };
  }

  #cached(provider: string, key: string): ExternalItem | undefined {
    const k = `${provider}\u0000${key}`;
    const hit = this.#cache.get(k);
    if (!hit) return undefined;
    if (this.#o.now() - hit.at <= this.#o.cacheTtlMs)
      return hit.error ? { error: hit.error } : { value: hit.value };
    this.#cache.delete(k);
    return undefined;
  }

  #remember(provider: string, key: string, item: ExternalItem): void {
    const k = `${provider}\u0000${key}`;
    this.#cache.delete(k);
    this.#cache.set(k, { ...item, at: this.#o.now() });
    while (this.#cache.size > this.#o.cacheEntries) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
  }
}
