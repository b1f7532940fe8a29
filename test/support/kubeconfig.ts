import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

/** How a kubeconfig user authenticates: a client certificate or a bearer token. */
export type Credentials =
  { readonly certPem: string; readonly keyPem: string } | { readonly token: string };

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Write a single-context kubeconfig with everything embedded (mode 0600: it holds keys). */
export function writeKubeconfig(
  path: string,
  server: string,
  caPem: string,
  user: string,
  credentials: Credentials,
): void {
  const userEntry =
    'token' in credentials
      ? { token: credentials.token }
      : {
          'client-certificate-data': b64(credentials.certPem),
          'client-key-data': b64(credentials.keyPem),
        };
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'driftgate-test', cluster: { server, 'certificate-authority-data': b64(caPem) } },
    ],
    users: [{ name: user, user: userEntry }],
    contexts: [{ name: user, context: { cluster: 'driftgate-test', user } }],
    'current-context': user,
  };
  writeFileSync(path, stringify(doc), { mode: 0o600 });
}
