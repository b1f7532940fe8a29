import { readFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import type { ClientRequest } from 'node:http';
import { parse } from 'yaml';
import { isObject } from '../core/object.js';

/** How the webhook reaches the apiserver: no client library (it would cost ~36 MiB of heap). */
export interface KubeAccess {
  readonly server: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** Read on every request (a projected token is rotated on disk). */
  readonly token?: () => string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The pod's own ServiceAccount (in-cluster). Throws when not in a cluster. */
export function inCluster(env: NodeJS.ProcessEnv = process.env, dir = SA_DIR): KubeAccess {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new Error('not in a cluster (KUBERNETES_SERVICE_HOST unset): set kubeconfig');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(`${dir}/ca.crt`),
    token: () => readFileSync(`${dir}/token`, 'utf8').trim(),
  };
}

const data = (o: Record<string, unknown>, k: string): Buffer | undefined =>
  typeof o[k] === 'string' ? Buffer.from(o[k], 'base64') : undefined;
const file = (o: Record<string, unknown>, k: string): Buffer | undefined =>
  typeof o[k] === 'string' ? readFileSync(o[k]) : undefined;

/** The current context of a kubeconfig file (embedded or file credentials, or a token). */
export function fromKubeconfig(path: string): KubeAccess {
  const doc: unknown = parse(readFileSync(path, 'utf8'));
  if (!isObject(doc)) throw new Error(`${path}: not a kubeconfig`);
  const named = (list: unknown, name: unknown, key: string): Record<string, unknown> => {
    const item = Array.isArray(list)
      ? (list as unknown[]).find((x) => isObject(x) && x.name === name)
      : undefined;
    const inner = isObject(item) ? item[key] : undefined;
    if (!isObject(inner)) throw new Error(`${path}: no ${key} ${String(name)}`);
    return inner;
  };
  const ctx = named(doc.contexts, doc['current-context'], 'context');
  const cluster = named(doc.clusters, ctx.cluster, 'cluster');
  const user = named(doc.users, ctx.user, 'user');
  if (typeof cluster.server !== 'string') throw new Error(`${path}: the cluster has no server`);
  const token = typeof user.token === 'string' ? user.token : undefined;
  const ca = data(cluster, 'certificate-authority-data') ?? file(cluster, 'certificate-authority');
  const cert = data(user, 'client-certificate-data') ?? file(user, 'client-certificate');
  const key = data(user, 'client-key-data') ?? file(user, 'client-key');
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(token ? { token: () => token } : {}),
  };
}

/** An HTTPS request to the apiserver with the access's credentials. */
export function kubeRequest(
  a: KubeAccess,
  path: string,
  method: 'GET' | 'POST' = 'GET',
  timeoutMs = 30_000,
): ClientRequest {
  const options: RequestOptions = {
    method,
    ...(a.ca ? { ca: a.ca } : {}),
    ...(a.cert ? { cert: a.cert } : {}),
    ...(a.key ? { key: a.key } : {}),
    headers: {
      accept: 'application/json',
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      ...(a.token ? { authorization: `Bearer ${a.token()}` } : {}),
    },
    timeout: timeoutMs,
  };
  return request(`${a.server}${path}`, options);
}

/**
 * One JSON request (a GET, or a POST of `body`): resolves the JSON answer, at most `maxBytes`.
 * Rejects on an HTTP error status, an oversize or malformed answer, or the deadline.
 */
export function kubeJson(
  a: KubeAccess,
  path: string,
  o: { readonly body?: unknown; readonly timeoutMs: number; readonly maxBytes: number },
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = kubeRequest(a, path, o.body === undefined ? 'GET' : 'POST', o.timeoutMs);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        if (text.length > o.maxBytes) res.destroy(new Error(`${path}: answer too large`));
      });
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 300)
          return reject(new Error(`${path}: HTTP ${res.statusCode}`));
        try {
          const doc: unknown = JSON.parse(text);
          resolve(isObject(doc) ? doc : {});
        } catch (err) {
          reject(err as Error);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)));
    req.on('error', reject);
    req.end(o.body === undefined ? undefined : JSON.stringify(o.body));
  });
}
