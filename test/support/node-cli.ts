/**
 * The real node by hand: `tsx test/support/node-cli.ts up` starts a control plane with a real node
 * (and the driftgate image imported) and prints its kubeconfig until Ctrl-C; `down` undoes what a
 * crashed run left on this machine (processes, mounts, links, nftables tables, sysctls).
 */
import { join } from 'node:path';
import { startControlPlane } from './control-plane.js';
import { teardownHost } from './node/host.js';
import { buildDriftgateImage } from './node/images.js';
import { NODE_IP, startNode } from './node/node.js';

const command = process.argv[2];
if (command === 'down') {
  await teardownHost();
  console.log('real node torn down');
} else if (command === 'up') {
  const cp = await startControlPlane({ workloads: true, nodeIP: NODE_IP });
  const node = await startNode(cp).catch(async (err: unknown) => {
    await cp.stop();
    throw err;
  });
  const tar = await buildDriftgateImage(
    join(cp.dir, 'driftgate.tar'),
    'driftgate.local/driftgate:dev',
  );
  await node.importImage(tar);
  console.log(`node ${node.name} Ready; export KUBECONFIG=${cp.kubeconfigs.admin}`);
  const stop = async (): Promise<void> => {
    await node.stop();
    await cp.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
} else {
  console.error('usage: node-cli.ts up|down');
  process.exitCode = 2;
}
