// Gatekeeper's real manager (built by `npm run tools -- peers`) outside a cluster, as its docs run
// it for development: its CRDs, a Pod identity for its status objects (kwok "runs" the Pod), our
// own serving certificate, and the webhook, status and generate operations.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ControlPlane } from '../../test/support/control-plane.js';
import { freePort } from '../../test/support/ports.js';
import { waitFor } from '../../test/support/processes.js';
import { writeServingCert, peerBin } from '../support.js';

const NS = 'gatekeeper-system';
const POD = 'gatekeeper-bench-0';

export interface Gatekeeper {
  readonly child: ChildProcess;
  readonly url: string;
  readonly caPem: string;
}

const binDir = (): string =>
  peerBin('gatekeeper', 'GATEKEEPER_VERSION', 'gatekeeper', 'Gatekeeper');

async function must(cp: ControlPlane, args: string[], input?: string): Promise<string> {
  const r = await cp.kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Start Gatekeeper against `cp` (which must run workloads: kwok hosts its Pod). */
export async function startGatekeeper(cp: ControlPlane, dir: string): Promise<Gatekeeper> {
  const bin = binDir();
  // Each CRD document as written (re-serialised, YAML 1.1 booleans in label values change type).
  const crds = parseAllDocuments(readFileSync(join(bin, 'gatekeeper.yaml'), 'utf8'))
    .filter((d) => (d.toJS() as { kind?: string } | null)?.kind === 'CustomResourceDefinition')
    .map((d) => d.toString());
  await must(cp, ['apply', '--server-side', '-f', '-'], crds.join('---\n'));
  await must(cp, ['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
  await must(cp, ['create', 'namespace', NS]);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: POD, namespace: NS } };
  await must(
    cp,
    ['apply', '-f', '-'],
    JSON.stringify({
      ...pod,
      spec: { containers: [{ name: 'manager', image: 'gatekeeper:bench' }] },
    }),
  );
  const certDir = join(dir, 'gatekeeper-certs');
  mkdirSync(certDir, { recursive: true });
  const tls = writeServingCert(certDir);
  const [port, health, metrics] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(
    join(bin, 'gatekeeper'),
    [
      `--kubeconfig=${cp.kubeconfigs.admin}`,
      '--host=127.0.0.1',
      `--port=${port}`,
      `--cert-dir=${certDir}`,
      '--disable-cert-rotation',
      '--operation=webhook',
      '--operation=status',
      '--operation=generate',
      `--health-addr=127.0.0.1:${health}`,
      `--metrics-addr=127.0.0.1:${metrics}`,
      `--api-cache-dir=${join(dir, 'gatekeeper-cache')}`,
      '--shutdown-delay=0',
      // Rego only, as driftgate: with its CEL driver on, Gatekeeper also generates
      // ValidatingAdmissionPolicies the apiserver runs in-process (they judged driftgate's turn).
      '--enable-k8s-native-validation=false',
      '--default-create-vap-for-templates=false',
      '--default-create-vap-binding-for-constraints=false',
      '--log-level=ERROR',
    ],
    {
      env: { ...process.env, POD_NAMESPACE: NS, POD_NAME: POD },
      stdio: ['ignore', 'ignore', openSync(join(dir, 'gatekeeper.log'), 'a')],
    },
  );
  await waitFor(
    `Gatekeeper /readyz (log: ${join(dir, 'gatekeeper.log')})`,
    async () => {
      if (child.exitCode !== null) throw new Error(`gatekeeper exited ${child.exitCode}`);
      return (await fetch(`http://127.0.0.1:${health}/readyz`)).ok;
    },
    120_000,
    250,
  );
  return { child, url: `https://127.0.0.1:${port}/v1/admit`, caPem: tls.caPem };
}

/** Load a library template and a constraint of its kind; wait until the constraint's CRD serves. */
export async function loadConstraint(
  cp: ControlPlane,
  templateFile: string,
  constraint: Record<string, unknown>,
): Promise<void> {
  await must(cp, ['apply', '-f', templateFile]);
  const kind = String(constraint.kind).toLowerCase();
  await waitFor(
    `the ${kind} constraint CRD`,
    async () => (await cp.kubectl(['get', `crd/${kind}.constraints.gatekeeper.sh`])).code === 0,
    60_000,
    250,
  );
  await must(cp, ['wait', '--for=condition=Established', `crd/${kind}.constraints.gatekeeper.sh`]);
  await must(cp, ['apply', '-f', '-'], JSON.stringify(constraint));
}
