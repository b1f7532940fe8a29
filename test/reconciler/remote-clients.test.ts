// Remote clusters' clients: one set per credentials, shared by every source with the same
// kubeconfig, and let go an hour after no source asked for them (a rotated token's old clients
// do not pile up). No cluster is reached: the server is a closed port (asked for its identity in
// the background, which fails and is asked again later).
import t from 'tap';
import { RemoteClusters } from '../../reconciler/remote-clusters.js';
import type { Cluster } from '../../reconciler/kube/port.js';
import type { RemoteKubeConfig } from '../../reconciler/kube/remote-kubeconfig.js';

const creds = (token: string): RemoteKubeConfig => ({
  server: 'https://127.0.0.1:1',
  token,
});

t.test('shared per credentials; idle ones let go after an hour', async (t) => {
  let now = 0;
  const remotes = new RemoteClusters({} as Cluster, 'driftgate-system', () => now);
  const a = remotes.of(creds('t1'));
  t.equal(remotes.of(creds('t1')), a, 'the same kubeconfig: the same clients');
  t.equal(remotes.of(creds('t1')).watch.key, a.watch.key);
  const asSa = remotes.of(creds('t1'), 'system:serviceaccount:team:deployer');
  t.equal(remotes.of(creds('t1'), 'system:serviceaccount:team:deployer'), asSa);
  t.equal(asSa.watch, a.watch, 'one watch whatever ServiceAccount writes');
  t.equal(remotes.size, 1);
  // The token rotates at +10 min; the new one is used from then on.
  now = 600_000;
  const b = remotes.of(creds('t2'));
  t.not(b, a, 'another token: other clients');
  t.equal(remotes.size, 2);
  // The old token was last asked for at 0.
  now = 3_599_999;
  remotes.of(creds('t2'));
  t.equal(remotes.size, 2, 'the old token was asked for less than an hour ago');
  now = 3_600_001;
  remotes.of(creds('t2'));
  t.equal(remotes.size, 1, "the old token's clients are let go");
  t.not(remotes.of(creds('t1')), a, 'asked again later: built anew');
});
