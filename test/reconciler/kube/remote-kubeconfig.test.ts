// A remote cluster's kubeconfig, from a tenant's Secret: inline credentials for one https server
// only. Every field that would run a command, read a file, skip TLS checks or pick a proxy is
// refused by name; nothing in a problem quotes a credential.
import t from 'tap';
import { stringify } from 'yaml';
import {
  MAX_KUBECONFIG_BYTES,
  parseRemoteKubeConfig,
  serverKey,
} from '../../../reconciler/kube/remote-kubeconfig.js';
import { remoteKubeConfig } from '../../../reconciler/kube/kubeconfig.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.sig';
const kubeconfig = (
  cluster: Record<string, unknown> = {},
  user: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): string =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'other', cluster: { server: 'https://other.example' } },
      {
        name: 'spoke',
        cluster: {
          server: 'https://spoke.example:6443',
          'certificate-authority-data': 'Q0E=',
          ...cluster,
        },
      },
    ],
    users: [{ name: 'hub', user: { token: TOKEN, ...user } }],
    contexts: [{ name: 'spoke', context: { cluster: 'spoke', user: 'hub' } }],
    'current-context': 'spoke',
    ...extra,
  });

t.test('inline credentials of the current context are taken, nothing else', async (t) => {
  t.strictSame(parseRemoteKubeConfig(kubeconfig()), {
    config: { server: 'https://spoke.example:6443', caData: 'Q0E=', token: TOKEN },
  });
  const cert = parseRemoteKubeConfig(
    kubeconfig(
      { 'tls-server-name': 'kubernetes' },
      { token: undefined, 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ' },
    ).replace(/\n\s+token: null/, ''),
  );
  t.strictSame(cert, {
    config: {
      server: 'https://spoke.example:6443',
      caData: 'Q0E=',
      tlsServerName: 'kubernetes',
      certData: 'Q0VSVA==',
      keyData: 'S0VZ',
    },
  });
  // What client-node is given: exactly these, with TLS checked.
  const kc = remoteKubeConfig({ server: 'https://spoke.example:6443', token: TOKEN });
  t.strictSame(
    [
      kc.getCurrentCluster()?.server,
      kc.getCurrentCluster()?.skipTLSVerify,
      kc.getCurrentUser()?.token,
    ],
    ['https://spoke.example:6443', false, TOKEN],
  );
});

// Every field a kubeconfig may carry that driftgate refuses, with the reason it gives.
const REFUSED: [string, 'cluster' | 'user', unknown, RegExp][] = [
  ['exec', 'user', { command: '/bin/sh', args: ['-c', 'id'] }, /would run a command/],
  ['auth-provider', 'user', { name: 'oidc', config: {} }, /token helper/],
  ['tokenFile', 'user', '/var/run/secrets/kubernetes.io/serviceaccount/token', /file system/],
  ['client-certificate', 'user', '/etc/cert.pem', /file system/],
  ['client-key', 'user', '/etc/key.pem', /file system/],
  ['certificate-authority', 'cluster', '/etc/ca.pem', /file system/],
  ['insecure-skip-tls-verify', 'cluster', true, /not be checked/],
  ['proxy-url', 'cluster', 'http://proxy.example:3128', /proxy/],
  ['as', 'user', 'system:admin', /impersonation/],
  ['as-groups', 'user', ['system:masters'], /impersonation/],
  ['as-uid', 'user', '0', /impersonation/],
  ['username', 'user', 'admin', /basic authentication/],
  ['password', 'user', 'hunter2', /basic authentication/],
  ['disable-compression', 'cluster', true, /not a field driftgate reads/],
];

t.test(
  'exec plugins, auth providers, file references and the rest are refused by name',
  async (t) => {
    for (const [key, where, value, why] of REFUSED) {
      const text =
        where === 'cluster' ? kubeconfig({ [key]: value }) : kubeconfig({}, { [key]: value });
      const r = parseRemoteKubeConfig(text);
      t.ok('problems' in r, `${where}.${key} refused`);
      const problems = 'problems' in r ? r.problems : [];
      t.equal(problems.length, 1, `${where}.${key}: one problem`);
      t.match(problems[0], new RegExp(`^${where}\\.${key} is refused: `));
      t.match(problems[0], why);
      t.notOk(JSON.stringify(problems).includes(TOKEN), 'the token is never quoted');
    }
  },
);

t.test('a broken or hostile kubeconfig is refused with what is wrong', async (t) => {
  const problems = (text: string) => {
    const r = parseRemoteKubeConfig(text);
    return 'problems' in r ? r.problems : [];
  };
  t.strictSame(problems('{'), ['the kubeconfig is not YAML']);
  t.strictSame(problems('- a list'), ['the kubeconfig is not a mapping']);
  t.strictSame(problems(kubeconfig({}, {}, { 'current-context': 'nope' })), [
    'the kubeconfig has no current-context that it defines',
  ]);
  t.strictSame(
    problems(
      kubeconfig({}, {}, { contexts: [{ name: 'spoke', context: { cluster: 'x', user: 'hub' } }] }),
    ),
    ["the kubeconfig's current context names no cluster or user it defines"],
  );
  t.strictSame(problems(kubeconfig({ server: 'http://spoke.example' })), [
    'cluster.server must be an https:// URL',
  ]);
  t.strictSame(problems(kubeconfig({}, { token: '' })), [
    'user needs a token, or client-certificate-data and client-key-data',
  ]);
  // Larger than the bound: refused before it is parsed.
  const huge = kubeconfig({ 'certificate-authority-data': 'A'.repeat(MAX_KUBECONFIG_BYTES) });
  t.strictSame(problems(huge), [`the kubeconfig is larger than ${MAX_KUBECONFIG_BYTES} bytes`]);
  // An alias bomb: YAML aliases are not expanded at all.
  const bomb = `a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n`;
  t.strictSame(problems(bomb), ['the kubeconfig is not YAML']);
});

t.test('servers compare by scheme, host, port and path', async (t) => {
  t.equal(serverKey('https://Spoke.Example:443/'), 'https://spoke.example');
  t.equal(serverKey('https://spoke.example:6443/k8s/'), 'https://spoke.example:6443/k8s');
  t.not(serverKey('https://spoke.example:6443'), serverKey('https://spoke.example:6444'));
});
