// How the webhook reaches the apiserver for its Ingress watch, without a client library.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromKubeconfig, inCluster } from '../../webhook/kube-access.js';
import { writeKubeconfig } from '../support/kubeconfig.js';

t.test('a kubeconfig: embedded client certificate, or a token', async (t) => {
  const dir = t.testdir();
  const certs = join(dir, 'certs.kubeconfig');
  writeKubeconfig(certs, 'https://127.0.0.1:6443/', 'CA', 'alice', { certPem: 'C', keyPem: 'K' });
  const a = fromKubeconfig(certs);
  t.equal(a.server, 'https://127.0.0.1:6443');
  t.strictSame(
    [a.ca?.toString(), a.cert?.toString(), a.key?.toString(), a.token],
    ['CA', 'C', 'K', undefined],
  );
  const tok = join(dir, 'token.kubeconfig');
  writeKubeconfig(tok, 'https://api.example:443', 'CA', 'bot', { token: 's3cret' });
  t.equal(fromKubeconfig(tok).token?.(), 's3cret');
  writeFileSync(join(dir, 'bad'), 'kind: Config\ncurrent-context: x\ncontexts: []\n');
  t.throws(() => fromKubeconfig(join(dir, 'bad')), /no context x/);
});

t.test('in-cluster: the ServiceAccount token is read on every request', async (t) => {
  const dir = t.testdir({ 'ca.crt': 'CA', token: 'one\n' });
  const a = inCluster({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir);
  t.equal(a.server, 'https://10.0.0.1:443');
  t.equal(a.token?.(), 'one');
  writeFileSync(join(dir, 'token'), 'two\n');
  t.equal(a.token?.(), 'two', 'a rotated token is picked up');
  t.equal(inCluster({ KUBERNETES_SERVICE_HOST: 'fd00::1' }, dir).server, 'https://[fd00::1]:443');
  t.throws(() => inCluster({}, dir), /not in a cluster/);
});
