import { isObject } from '../../core/object.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { type Cluster } from '../kube/port.js';
import { kubeCluster } from '../kube/cluster.js';
import { impersonating, sharedAgentCopy } from '../kube/kubeconfig.js';
import { impersonationOf, type GitSourceObject } from './spec.js';
import { readValuesFrom, valuesRefs } from './values-from.js';

/**
 * The data of the ConfigMap or Secret that `holder[refKey].name` names in the GitSource's
 * namespace (a Secret's values decoded), read with the reconciler's identity; undefined when
 * there is no reference or no such object. Values stay in memory: never logged or shown.
 */
export async function readData(
  cluster: Cluster,
  obj: GitSourceObject,
  holder: unknown,
  refKey: 'configMapRef' | 'secretRef',
  kind: 'ConfigMap' | 'Secret',
): Promise<Record<string, string> | undefined> {
  const ref = isObject(holder) && isObject(holder[refKey]) ? holder[refKey] : {};
  if (typeof ref.name !== 'string') return undefined;
  const found = await cluster.get({
    apiVersion: 'v1',
    kind,
    namespace: obj.metadata.namespace,
    name: ref.name,
  });
  const data = found && isObject(found.data) ? found.data : undefined;
  if (!data) return undefined;
  const decode = (x: string): string =>
    kind === 'Secret' ? Buffer.from(x, 'base64').toString('utf8').trim() : x;
  return Object.fromEntries(
    Object.entries(data).flatMap(([k, x]) => (typeof x === 'string' ? [[k, decode(x)]] : [])),
  );
}

/** Everything a GitSource's spec refers to: trust ConfigMap, credentials Secret, chart values. */
export async function readInputs(
  cluster: Cluster,
  obj: GitSourceObject,
  spec: Record<string, unknown>,
  /** Who reads the chart's values: the GitSource's ServiceAccount, when it names one. */
  valuesReader: Cluster = cluster,
): Promise<{
  trust: Record<string, string> | undefined;
  secret: Record<string, string> | undefined;
  kubeConfig: Record<string, string> | undefined;
  helmValues: { values: Record<string, unknown>[]; problems: string[] };
}> {
  const trust = await readData(cluster, obj, spec.verification, 'configMapRef', 'ConfigMap');
  const secret = await readData(cluster, obj, spec, 'secretRef', 'Secret');
  const kubeConfig = await readData(cluster, obj, spec.kubeConfig, 'secretRef', 'Secret');
  const problems: string[] = [];
  const read = await readValuesFrom(valuesReader, obj, valuesRefs(spec, problems));
  return {
    trust,
    secret,
    kubeConfig,
    helmValues: { values: read.values, problems: [...problems, ...read.problems] },
  };
}

/** Who reads a GitSource's chart values: its ServiceAccount when it names one (impersonated). */
export class ValuesReaders {
  readonly #byUser = new Map<string, Cluster>();

  constructor(
    private readonly kc: KubeConfig,
    private readonly base: Cluster,
  ) {}

  of(obj: GitSourceObject): Cluster {
    const user = impersonationOf(obj);
    if (!user) return this.base;
    let r = this.#byUser.get(user);
    if (!r) {
      r = kubeCluster(impersonating(sharedAgentCopy(this.kc), user));
      this.#byUser.set(user, r);
    }
    return r;
  }
}
