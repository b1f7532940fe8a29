// A real OCI registry for the tests: CNCF Distribution's `registry serve` (built from the Go
// module proxy by scripts/tools.sh), over TLS with a CA of its own, storing on disk.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createCertificate } from '../../webhook/tls/pki.js';
import { freePort } from './ports.js';
import { supervise, waitFor } from './processes.js';
import { toolPath } from './tools.js';

export interface Registry {
  /** host:port, as image references and oci:// URLs name it. */
  readonly host: string;
  /** The CA that signed the registry's certificate (PEM file): clients trust it. */
  readonly caFile: string;
  /** A folder holding only that CA as ca.crt (skopeo's --src-cert-dir/--dest-cert-dir). */
  readonly certDir: string;
  stop(): Promise<void>;
}

const ping = (host: string, ca: string): Promise<number> =>
  new Promise((resolve) => {
    const [hostname, port] = host.split(':');
    const req = request({ hostname, port, path: '/v2/', ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });

/** Start a registry on `address` (default 127.0.0.1), a free port; it answers /v2/ when resolved. */
export async function startRegistry(address = '127.0.0.1'): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'driftgate-registry-'));
  const ca = createCertificate({ commonName: 'driftgate-test-registry-ca', usage: 'ca' });
  const serving = createCertificate({
    commonName: 'registry',
    usage: 'server',
    issuer: ca,
    dnsNames: ['localhost'],
    ipAddresses: [...new Set(['127.0.0.1', address])],
  });
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text, { mode: 0o600 });
    return p;
  };
  mkdirSync(join(dir, 'certs'));
  const caFile = file('certs/ca.crt', ca.certPem);
  const port = await freePort();
  const host = `${address}:${port}`;
  const config = file(
    'config.yml',
    stringify({
      version: 0.1,
      log: { level: 'warn', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
      http: {
        addr: host,
        tls: {
          certificate: file('tls.crt', serving.certPem),
          key: file('tls.key', serving.keyPem),
          minimumtls: 'tls1.2',
        },
      },
    }),
  );
  const proc = supervise('registry', toolPath('registry'), ['serve', config], join(dir, 'log'), {
    ...process.env,
    OTEL_TRACES_EXPORTER: 'none',
  });
  const stop = async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'the registry answering /v2/',
      async () => (await ping(host, ca.certPem)) === 200,
      60_000,
      100,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { host, caFile, certDir: join(dir, 'certs'), stop };
}
