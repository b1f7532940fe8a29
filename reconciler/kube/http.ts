import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type AgentOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { isObject } from '../../core/object.js';
import { KubeApiError } from './errors.js';

/** One request to the apiserver. Bodies travel as JSON text, exactly as given: no typed models. */
export interface KubeRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The path below the server, e.g. `/api/v1/namespaces/x/configmaps/y`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  /** @default application/json (with a body) */
  readonly contentType?: string;
  /** Give up after this long. @default 60_000 (watches: none; see `stream`) */
  readonly timeoutMs?: number;
  /** Refuse an answer larger than this. @default 64 MiB */
  readonly maxBytes?: number;
  readonly signal?: AbortSignal;
}

/** The raw JSON access the reconciler and the CLI use for every object. */
export interface KubeHttp {
  /** The JSON answer. Rejects with KubeApiError on an HTTP error status (retry by its code). */
  json(req: KubeRequest): Promise<Record<string, unknown>>;
  /**
   * A streamed GET (a watch): `onLine` per newline-delimited JSON line (each at most `maxBytes`),
   * `onEnd` once, with the error if it failed. Returns a stopper.
   */
  stream(
    req: KubeRequest,
    onLine: (doc: Record<string, unknown>) => void,
    onEnd: (err?: Error) => void,
  ): { abort(): void };
}

const MAX_BYTES = 64 * 1024 * 1024;

export const queryString = (q: KubeRequest['query']): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q ?? {})) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

/** The apiserver's Status of a failed request: its message, never the request body. */
function errorOf(status: number, text: string): KubeApiError {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  const st = isObject(doc) ? doc : {};
  const message = typeof st.message === 'string' ? st.message : '';
  const reason = typeof st.reason === 'string' ? st.reason : undefined;
  return new KubeApiError(status, message, reason, st.details);
}

/** Raw JSON over HTTPS with `kc`'s current context: its credentials, CA, impersonation, agent. */
export function kubeHttp(kc: KubeConfig): KubeHttp {
  const agents = new Map<string, HttpsAgent>();
  const pooled = (o: AgentOptions): HttpsAgent => {
    const key = [o.ca, o.cert, o.key, o.servername, o.rejectUnauthorized].map(String).join('|');
    let a = agents.get(key);
    if (!a) {
      // A new identity (rotated certificate): the old pool goes.
      for (const old of agents.values()) old.destroy();
      agents.clear();
      a = new HttpsAgent({
        keepAlive: true,
        maxSockets: 16,
        ...(o.ca ? { ca: o.ca } : {}),
        ...(o.cert ? { cert: o.cert } : {}),
        ...(o.key ? { key: o.key } : {}),
        ...(o.servername ? { servername: o.servername } : {}),
        ...(o.rejectUnauthorized !== undefined ? { rejectUnauthorized: o.rejectUnauthorized } : {}),
      });
      agents.set(key, a);
    }
    return a;
  };
  const server = (): string => {
    const c = kc.getCurrentCluster();
    if (!c) throw new Error('the kubeconfig has no current cluster');
    return c.server.replace(/\/+$/, '');
  };
  // client-node fills in the CA, client certificate, token (exec and refresh included) and the
  // Impersonate-User header. Its agent does not keep connections alive: a TLS handshake per
  // request took a 10,000-object sync from 27 s to 41 s. Requests get a keep-alive agent per
  // TLS identity; streams (watches) keep a connection of their own, so an apiserver restart
  // ends them.
  const open = async (
    req: KubeRequest,
    stream = false,
  ): Promise<ReturnType<typeof httpsRequest>> => {
    const opts: RequestOptions & { headers: Record<string, string> } = {
      method: req.method,
      headers: {},
    };
    await kc.applyToHTTPSOptions(opts as never);
    // A cluster behind a proxy keeps client-node's proxy agent.
    const direct = !kc.getCurrentCluster()?.proxyUrl && !server().startsWith('http:');
    if (!stream && direct) opts.agent = pooled(opts as AgentOptions);
    opts.headers.accept = 'application/json';
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    if (body !== undefined) {
      opts.headers['content-type'] = req.contentType ?? 'application/json';
      opts.headers['content-length'] = String(Buffer.byteLength(body));
    }
    const url = `${server()}${req.path}${queryString(req.query)}`;
    const r = (url.startsWith('http:') ? httpRequest : httpsRequest)(url, opts);
    if (req.signal) {
      if (req.signal.aborted) r.destroy(new Error('aborted'));
      else
        req.signal.addEventListener('abort', () => r.destroy(new Error('aborted')), { once: true });
    }
    r.end(body);
    return r;
  };
  return {
    async json(req) {
      const r = await open(req);
      const max = req.maxBytes ?? MAX_BYTES;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            r.destroy(
              new Error(
                `${req.method} ${req.path}: no answer within ${req.timeoutMs ?? 60_000} ms`,
              ),
            ),
          req.timeoutMs ?? 60_000,
        );
        const done = (err?: Error, doc?: Record<string, unknown>): void => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve(doc ?? {});
        };
        r.on('error', (err) => done(err));
        r.on('response', (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > max) res.destroy(new Error(`${req.path}: answer over ${max} bytes`));
            else chunks.push(c);
          });
          res.on('error', (err) => done(err));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const code = res.statusCode ?? 0;
            if (code >= 300) return done(errorOf(code, text));
            try {
              const doc: unknown = text ? JSON.parse(text) : {};
              done(undefined, isObject(doc) ? doc : {});
            } catch (err) {
              done(err as Error);
            }
          });
        });
      });
    },
    stream(req, onLine, onEnd) {
      const max = req.maxBytes ?? MAX_BYTES;
      let ended = false;
      let current: ReturnType<typeof httpsRequest> | undefined;
      let aborted = false;
      const end = (err?: Error): void => {
        if (ended) return;
        ended = true;
        onEnd(aborted ? undefined : err);
      };
      void open(req, true).then(
        (r) => {
          current = r;
          if (aborted) r.destroy();
          r.on('error', (err) => end(err));
          r.on('response', (res: IncomingMessage) => {
            const code = res.statusCode ?? 0;
            let pending: Buffer[] = [];
            let size = 0;
            if (code >= 300) {
              res.on('data', (c: Buffer) => size < 65_536 && (pending.push(c), (size += c.length)));
              res.on('end', () => end(errorOf(code, Buffer.concat(pending).toString('utf8'))));
              return;
            }
            res.on('data', (c: Buffer) => {
              let at = c.indexOf(10);
              let rest = c;
              while (at >= 0) {
                pending.push(rest.subarray(0, at));
                const line = Buffer.concat(pending).toString('utf8');
                pending = [];
                size = 0;
                rest = rest.subarray(at + 1);
                at = rest.indexOf(10);
                if (!line.trim()) continue;
                try {
                  const doc: unknown = JSON.parse(line);
                  if (isObject(doc)) onLine(doc);
                } catch (err) {
                  return res.destroy(err as Error);
                }
              }
              size += rest.length;
              if (size > max)
                return res.destroy(new Error(`${req.path}: a line over ${max} bytes`));
              if (rest.length) pending.push(rest);
            });
            res.on('error', (err) => end(err));
            res.on('close', () => end());
          });
        },
        (err: unknown) => end(err as Error),
      );
      return {
        abort() {
          aborted = true;
          current?.destroy();
          end();
        },
      };
    },
  };
}
