// `driftgate status|suspend|resume|sync` on GitSources, through the user's kubeconfig: what
// they may do is what Kubernetes RBAC lets them do to the objects.
import type { KubeConfig } from '@kubernetes/client-node';
import { flag } from './args.js';
import { apiErrorMessage } from '../reconciler/kube/errors.js';

export const SOURCES_USAGE = `driftgate status   (-n <namespace> | -A) [--kubeconfig <file>]
driftgate suspend <gitsource> [-n <namespace>] [--kubeconfig <file>]
driftgate resume  <gitsource> [-n <namespace>] [--kubeconfig <file>]
driftgate sync    <gitsource> [-n <namespace>] [--kubeconfig <file>]

GitSources through the kubeconfig (KUBECONFIG, or --kubeconfig): status lists them with their
conditions (exit 0 when every one is Ready, 3 otherwise); suspend and resume set spec.suspend;
sync asks for a sync now (annotation driftgate.io/requested-at). The namespace defaults to the
kubeconfig context's. Exit 1 when the apiserver refuses (RBAC says who may).`;

const G = { group: 'driftgate.io', version: 'v1alpha1', plural: 'gitsources' } as const;

interface Listed {
  metadata: { name: string; namespace: string };
  spec?: { suspend?: boolean };
  status?: {
    lastAppliedRevision?: string;
    conditions?: { type: string; status: string; reason: string; message?: string }[];
  };
}

async function kube(args: readonly string[]): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const file = flag(args, '--kubeconfig');
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}

const namespaceOf = (args: readonly string[], kc: KubeConfig): string =>
  flag(args, '-n') ??
  flag(args, '--namespace') ??
  kc.getContextObject(kc.currentContext)?.namespace ??
  'default';

/** `driftgate status -n <ns> | -A`: GitSources and their conditions. */
export async function sourcesStatus(args: readonly string[]): Promise<number> {
  const kc = await kube(args);
  const { CustomObjectsApi } = await import('@kubernetes/client-node');
  const api = kc.makeApiClient(CustomObjectsApi);
  let items: Listed[];
  try {
    const list = (
      args.includes('-A') || args.includes('--all-namespaces')
        ? await api.listClusterCustomObject(G)
        : await api.listNamespacedCustomObject({ ...G, namespace: namespaceOf(args, kc) })
    ) as { items: Listed[] };
    items = list.items;
  } catch (err) {
    console.error(`driftgate status: ${apiErrorMessage(err)}`);
    return 1;
  }
  const c = (o: Listed, type: string) => o.status?.conditions?.find((x) => x.type === type);
  for (const o of items) {
    const ready = c(o, 'Ready');
    console.log(
      [
        `${o.metadata.namespace}/${o.metadata.name}`.padEnd(32),
        `Ready=${ready?.status ?? 'Unknown'}`.padEnd(14),
        `Synced=${c(o, 'Synced')?.status ?? 'Unknown'}`.padEnd(15),
        (o.status?.lastAppliedRevision ?? '-').slice(0, 12).padEnd(13),
        ready?.status === 'True' ? '' : `${ready?.reason ?? ''}: ${ready?.message ?? ''}`,
      ]
        .join(' ')
        .trimEnd(),
    );
  }
  return items.every((o) => c(o, 'Ready')?.status === 'True') ? 0 : 3;
}

/** `driftgate suspend|resume|sync <gitsource>`: a change to the object, as the user. */
export async function sourceAction(
  action: 'suspend' | 'resume' | 'sync',
  args: readonly string[],
): Promise<number> {
  const name = args.find((a, i) => !a.startsWith('-') && !args[i - 1]?.startsWith('-'));
  if (!name || args.includes('--help')) {
    console.log(SOURCES_USAGE);
    return name ? 0 : 2;
  }
  const kc = await kube(args);
  const { CustomObjectsApi, PatchStrategy, setHeaderOptions } =
    await import('@kubernetes/client-node');
  const namespace = namespaceOf(args, kc);
  const body =
    action === 'sync'
      ? { metadata: { annotations: { 'driftgate.io/requested-at': new Date().toISOString() } } }
      : { spec: { suspend: action === 'suspend' } };
  try {
    await kc
      .makeApiClient(CustomObjectsApi)
      .patchNamespacedCustomObject(
        { ...G, namespace, name, body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
  } catch (err) {
    console.error(`driftgate ${action}: ${namespace}/${name}: ${apiErrorMessage(err)}`);
    return 1;
  }
  const done = { suspend: 'suspended', resume: 'resumed', sync: 'sync requested' }[action];
  console.log(`gitsource ${namespace}/${name} ${done}`);
  return 0;
}
