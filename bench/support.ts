// Shared by the webhook benchmarks.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execOk } from '../core/exec.js';
import { waitFor } from '../test/support/processes.js';
import { createCertificate } from '../webhook/tls/pki.js';

/** A serving certificate for 127.0.0.1 (from a throwaway CA) written to `dir`; the file paths. */
export function writeServingCert(dir: string): {
  certFile: string;
  keyFile: string;
  caPem: string;
} {
  const ca = createCertificate({ commonName: 'bench ca', usage: 'ca' });
  const leaf = createCertificate({
    commonName: 'localhost',
    usage: 'server',
    issuer: ca,
    ipAddresses: ['127.0.0.1'],
  });
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  writeFileSync(certFile, leaf.certPem);
  writeFileSync(keyFile, leaf.keyPem);
  return { certFile, keyFile, caPem: ca.certPem };
}

/** Wait until `url` (HTTPS, certificate not checked) answers 200, then `extra()` holds. */
export function waitReady(
  url: string,
  extra: () => Promise<boolean> = async () => true,
  timeoutMs = 60_000,
): Promise<void> {
  return waitFor(
    url,
    async () => {
      const code = await execOk('curl', [
        '-sk',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        url,
      ]).catch(() => '0');
      return code === '200' && (await extra());
    },
    timeoutMs,
    200,
  );
}
