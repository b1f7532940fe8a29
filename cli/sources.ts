// `driftgate status|suspend|resume|sync` on GitSources, through the user's kubeconfig: what
// they may do is what Kubernetes RBAC lets them do to the objects.
import type { KubeConfig } from '@kubernetes/client-node';
import { has, str, type CliArgs } from './args.js';
import { emit, formatOf, kubeOf } from './output.js';
import { apiErrorMessage } from '../reconciler/kube/errors.js';

export const SOURCES_USAGE = `driftgate status   (-n <namespace> | -A) [-o text|json|yaml]
driftgate suspend <gitsource> [-n <namespace>]
driftgate resume  <gitsource> [-n <namespace>]
driftgate sync    <gitsource> [-n <namespace>]
  each also takes --kubeconfig <file> and --context <name>

GitSources through the kubeconfig (KUBECONFIG, or --kubeconfig; its current context, or
--context): status lists them with their conditions (exit 0 when every one is Ready, 3
otherwise); suspend and resume set spec.suspend;
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

const namespaceOf = (a: CliArgs, kc: KubeConfig): string =>
  str(a, 'namespace') ?? kc.getContextObject(kc.currentContext)?.namespace ?? 'default';

/** `driftgate status -n <ns> | -A`: GitSources and their conditions. */
export async function sourcesStatus(a: CliArgs): Promise<number> {
  const kc = await kubeOf(a);
  if (typeof kc === 'string') {
    console.error(`driftgate status: ${kc}`);
    return 2;
  }
  const { CustomObjectsApi } = await import('@kubernetes/client-node');
  const api = kc.makeApiClient(CustomObjectsApi);
  let items: Listed[];
  try {
    const list = (
      has(a, 'all-namespaces')
        ? await api.listClusterCustomObject(G)
        : await api.listNamespacedCustomObject({ ...G, namespace: namespaceOf(a, kc) })
    ) as { items: Listed[] };
    items = list.items;
  } catch (err) {
    console.error(`driftgate status: ${apiErrorMessage(err)}`);
    return 1;
  }
  const c = (o: Listed, type: string) => o.status?.conditions?.find((x) => x.type === type);
  const ready = items.every((o) => c(o, 'Ready')?.status === 'True') ? 0 : 3;
  const format = formatOf(a);
  if (format !== 'text') {
    emit(format, { gitSources: items.map(summary) });
    return ready;
  }
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
  return ready;
}

/** A GitSource as scripts read it: where it is, whether it is suspended, and its status. */
const summary = (o: Listed) => ({
  namespace: o.metadata.namespace,
  name: o.metadata.name,
  suspended: o.spec?.suspend === true,
  lastAppliedRevision: o.status?.lastAppliedRevision ?? null,
  conditions: o.status?.conditions ?? [],
});

/** `driftgate suspend|resume|sync <gitsource>`: a change to the object, as the user. */
export async function sourceAction(
  action: 'suspend' | 'resume' | 'sync',
  a: CliArgs,
): Promise<number> {
  const name = a.positionals[0];
  if (!name) {
    console.error(`driftgate ${action}: name the GitSource\n\n${SOURCES_USAGE}`);
    return 2;
  }
  const kc = await kubeOf(a);
  if (typeof kc === 'string') {
    console.error(`driftgate ${action}: ${kc}`);
    return 2;
  }
  const { CustomObjectsApi, PatchStrategy, setHeaderOptions } =
    await import('@kubernetes/client-node');
  const namespace = namespaceOf(a, kc);
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
