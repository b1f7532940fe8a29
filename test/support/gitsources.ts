// GitSources in tests: the CRD from the chart, a namespace trusting a signer, a manifest.
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ControlPlane } from './control-plane.js';
import { trustOf } from './reconciler.js';
import type { Signer } from './signing.js';

export const CRDS = join(
  import.meta.dirname,
  '..',
  '..',
  'charts',
  'driftgate',
  'files',
  'gitsources.driftgate.io.yaml',
);

/** kubectl as admin that throws with kubectl's stderr on failure; resolves stdout. */
export const mustKubectl =
  (cp: ControlPlane) =>
  async (args: string[], input?: string): Promise<string> => {
    const r = await cp.kubectl(args, input === undefined ? {} : { input });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

/** Install the GitSource CRD as the chart ships it and wait until it is served. */
export async function installGitSourceApi(cp: ControlPlane): Promise<void> {
  const kubectl = mustKubectl(cp);
  await kubectl(['apply', '-f', CRDS]);
  await kubectl(['wait', '--for=condition=Established', 'crd/gitsources.driftgate.io']);
}

/** A namespace with a ConfigMap `trust` holding the signer's key (sshAllowedSigners). */
export async function trustingNamespace(
  cp: ControlPlane,
  ns: string,
  signer: Signer,
): Promise<void> {
  const kubectl = mustKubectl(cp);
  await kubectl(['create', 'namespace', ns]);
  await kubectl([
    'create',
    'configmap',
    'trust',
    '-n',
    ns,
    `--from-literal=sshAllowedSigners=${trustOf(signer).sshAllowedSigners ?? ''}`,
  ]);
}

/** A GitSource manifest trusting the ConfigMap `trust` of its namespace. */
export const gitSourceManifest = (
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): string =>
  stringify({
    apiVersion: 'driftgate.io/v1alpha1',
    kind: 'GitSource',
    metadata: { name, namespace },
    spec: { verification: { configMapRef: { name: 'trust' } }, ...spec },
  });

/** A namespaced CRD of one served version whose objects keep any field (tests' own kinds). */
export const openCrd = (group: string, kind: string, plural = `${kind.toLowerCase()}s`) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { plural, singular: kind.toLowerCase(), kind },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    ],
  },
});
