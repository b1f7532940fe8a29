// A local HTTPS external data provider that answers as Gatekeeper's own test provider
// (test/fixtures/public/gatekeeper/test/externaldata: its provider is a Go program in a container
// that cannot run here, so its documented answers are served from this process instead): a key
// ending `_systemError` fails the whole request, `error_…` keys get the error `<key>_invalid`,
// and every other key not ending `_valid` gets the value `<key>_valid`. TLS 1.3, its own CA.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { CertUsage, createCertificate } from '../../webhook/tls/pki.js';

export interface DummyProvider {
  readonly url: string;
  /** spec.caBundle for a Provider pointing at it. */
  readonly caBundle: string;
  /** The keys of every request received, in order. */
  readonly requests: string[][];
  /** Answer each later request after this long. */
  delayMs: number;
  /** Answer each later request with this body instead (e.g. to send something hostile). */
  rawBody?: string;
  close(): Promise<void>;
}

function answer(keys: readonly string[]): Record<string, unknown> {
  const response = (r: Record<string, unknown>) => ({
    apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
    kind: 'ProviderResponse',
    response: { idempotent: true, ...r },
  });
  if (keys.some((k) => k.endsWith('_systemError')))
    return response({ systemError: 'testing system error' });
  const items = keys.flatMap((key): Record<string, string>[] =>
    key.startsWith('error_')
      ? [{ key, error: `${key}_invalid` }]
      : key.endsWith('_valid')
        ? []
        : [{ key, value: `${key}_valid` }],
  );
  return response({ items });
}

/**
 * Start the provider on 127.0.0.1 (a random port), at path /validate. With `clientCa` (PEM) it
 * asks every caller for a certificate from that CA and refuses a connection without one, as a
 * provider verifying Gatekeeper's client certificate does.
 */
export async function startDummyProvider(
  host = '127.0.0.1',
  clientCa?: string,
): Promise<DummyProvider> {
  const ca = createCertificate({ commonName: 'dummy-provider-ca', usage: CertUsage.ca });
  const cert = createCertificate({
    commonName: 'dummy-provider',
    usage: CertUsage.server,
    ipAddresses: ['127.0.0.1'],
    dnsNames: ['localhost'],
    issuer: ca,
  });
  const state = {
    delayMs: 0,
    rawBody: undefined as string | undefined,
    requests: [] as string[][],
  };
  const server: Server = createServer(
    {
      key: cert.keyPem,
      cert: cert.certPem,
      minVersion: 'TLSv1.3',
      ...(clientCa ? { ca: clientCa, requestCert: true, rejectUnauthorized: true } : {}),
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as {
          request?: { keys?: string[] };
        };
        const keys = body.request?.keys ?? [];
        state.requests.push(keys);
        const send = () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(state.rawBody ?? JSON.stringify(answer(keys)));
        };
        if (state.delayMs > 0) setTimeout(send, state.delayMs);
        else send();
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}/validate`,
    caBundle: Buffer.from(ca.certPem).toString('base64'),
    requests: state.requests,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    get rawBody() {
      return state.rawBody;
    },
    set rawBody(b: string | undefined) {
      state.rawBody = b;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
