// One POST to a notification or trace endpoint: TLS 1.2 or later (the system roots plus a
// provider's CA), a deadline for the whole exchange, and at most 64 KiB of the answer read.
// Resolves with the status and Retry-After; rejects on a network error or the deadline.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';

/** One request to send. */
export interface OutboundRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const MAX_ANSWER = 64 * 1024;

export interface PostAnswer {
  readonly status: number;
  /** Seconds, when the endpoint said (429, 503). */
  readonly retryAfterS?: number;
}

export function post(
  r: OutboundRequest,
  opts: { timeoutMs: number; ca?: string },
): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(r.url);
    const body = Buffer.from(r.body);
    const headers = {
      ...r.headers,
      'content-length': String(body.length),
      'user-agent': 'driftgate',
    };
    const tls = opts.ca
      ? { ca: [...rootCertificates, opts.ca], minVersion: 'TLSv1.2' as const }
      : { minVersion: 'TLSv1.2' as const };
    const answer = (res: IncomingMessage) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER) res.destroy();
      });
      const done = () => {
        clearTimeout(timer);
        const retry = Number(res.headers['retry-after']);
        resolve({
          status: res.statusCode ?? 0,
          ...(Number.isFinite(retry) && retry >= 0 ? { retryAfterS: retry } : {}),
        });
      };
      res.on('end', done);
      res.on('close', done);
    };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, { method: 'POST', headers, ...tls }, answer)
        : httpRequest(url, { method: 'POST', headers }, answer);
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    timer.unref();
    req.on('error', (err) => {
      clearTimeout(timer);
      // The error of a request never carries its URL here: only what went wrong.
      reject(new Error(err.message.replace(url.origin, '<endpoint>')));
    });
    req.end(body);
  });
}
