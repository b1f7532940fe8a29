// `npm run cluster`: a real control plane and Git server for poking at by hand; Ctrl-C stops both.
import { startControlPlane } from './control-plane.js';
import { startGitServer } from './git-server.js';

const started = Date.now();
console.log('starting etcd, kube-apiserver, controller-manager, scheduler and a kwok node…');
const cp = await startControlPlane({ workloads: true });
const git = await startGitServer();
const repo = await git.createRepo('config');
console.log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`  export KUBECONFIG=${cp.kubeconfigs.admin}        # admin (system:masters)`);
console.log(`  developer kubeconfig: ${cp.kubeconfigs.developer}   # non-admin user`);
console.log(`  reconciler kubeconfig: ${cp.kubeconfigs.reconciler}  # driftgate's ServiceAccount`);
console.log(`  git: ${repo.url}  (push from ${repo.work})`);
console.log(`  logs: ${cp.dir}/*.log`);
console.log('Ctrl-C to stop and clean up.');

let stopping = false;
const shutdown = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  await git.stop();
  await cp.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
setInterval(() => undefined, 1 << 30);
